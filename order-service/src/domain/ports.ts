// The ports the order domain depends on; adapters implement them for DynamoDB, the tokenizer's HTTP API,
// payments through the tokenizer's forward operation, and Cognito.
import type { CardBrand } from '@tokenization/service-kit/card';
import type { OrderRecord, OrderReservation } from './order.js';
import type { OrderKey } from './order-key.js';

export interface OrderPlacement {
  cardToken: string;
  cardLast4: string;
  cardBrand: CardBrand;
  createdAt: Date;
}

export interface OrderPayment {
  chargeId: string;
  paidAt: Date;
}

/**
 * Every write is conditional: nothing is ever overwritten blindly. Orders are keyed by owner and
 * CustomerOrder (OrderKey): no method reaches another owner's order.
 */
export interface OrderStore {
  /**
   * Writes the reservation unless the owner's CustomerOrder is taken by anything but an expired
   * reservation.
   */
  reserve(reservation: OrderReservation, now: Date): Promise<boolean>;
  /** Turns this reservation into a CREATED order; false when the item is no longer this reservation. */
  complete(key: OrderKey, reservationId: string, placement: OrderPlacement): Promise<boolean>;
  /** Deletes the item if it still is this reservation; does nothing otherwise. */
  release(key: OrderKey, reservationId: string): Promise<void>;
  /** The owner's order or reservation; its owner and CustomerOrder are the key asked for. */
  get(key: OrderKey): Promise<OrderRecord | undefined>;
  /** Marks a CREATED order paid; false when it is not one (absent, reserved or already paid). */
  markPaid(key: OrderKey, payment: OrderPayment): Promise<boolean>;
  /** Throws DependencyUnavailableError when the store does not answer. */
  checkHealth(): Promise<void>;
}

export interface TokenizedCard {
  token: string;
  /**
   * The tokenizer's card facts. It sends them with every card number it tokenizes; an answer without them
   * (a broken contract) leaves this undefined, and the order is not stored.
   */
  card?: { last4: string; brand: CardBrand };
}

/** The tokenizer, seen from the order service. Errors: DependencyUnavailableError, TokenizerRejectedError. */
export interface CardTokenizer {
  /**
   * Tokenizes a card number (the tokenizer's `type: card_number`: it checks Luhn and answers the card's
   * last four and brand). Not retried inside: a lost answer would leave a second token.
   */
  tokenize(cardNumber: string): Promise<TokenizedCard>;
  /**
   * Whether `cardNumber` is the token's value, compared inside the tokenizer: the service never reads a
   * card number back. False also when the tokenizer no longer compares for this token (locked after too
   * many mismatches): the card cannot be shown to be the same. CardTokenUnusableError when the token is gone.
   */
  verify(token: string, cardNumber: string): Promise<boolean>;
  /** Deletes a token that no order holds; a token already gone is not an error. */
  deleteToken(token: string): Promise<void>;
}

export interface ChargeRequest {
  /**
   * The charge's idempotency key: one order is charged at most once. The order's chargeReference, not its
   * CustomerOrder, which only its owner's orders keep unique.
   */
  idempotencyKey: string;
  /** The order's card token: the card number is put in its place inside the tokenizer, never here. */
  cardToken: string;
  amount: { minorUnits: number; currency: string };
}

export interface PaymentProcessor {
  /**
   * Charges the card behind the token. Precondition the payment flow relies on: idempotent per
   * `idempotencyKey` (a repeat answers the first charge and charges nothing), as real processors' idempotency
   * keys are. Throws PaymentDeclinedError when the card is refused, DependencyUnavailableError when the
   * processor (or the tokenizer in front of it) is down: whether it charged is then unknown, and a retry
   * with the same key settles it.
   */
  charge(request: ChargeRequest): Promise<{ chargeId: string }>;
}

/** The verified caller of a request. */
export interface Caller {
  /** The Cognito user's `sub`: the owner of the orders they create. */
  sub: string;
}

export interface IdTokenVerifier {
  /** Throws AuthenticationError when the token does not verify, DependencyUnavailableError without keys. */
  verify(idToken: string): Promise<Caller>;
}

export type Clock = () => Date;
