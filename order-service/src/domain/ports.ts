// The ports the order domain depends on; adapters implement them for DynamoDB, the tokenizer's HTTP API,
// a payment processor and Cognito.
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
  /** The card number behind the token; CardTokenUnusableError when the tokenizer does not reveal it. */
  detokenize(token: string): Promise<string>;
  /** Deletes a token that no order holds; a token already gone is not an error. */
  deleteToken(token: string): Promise<void>;
}

export interface ChargeRequest {
  /**
   * The charge's idempotency key: one order is charged at most once. The order's chargeReference, not its
   * CustomerOrder, which only its owner's orders keep unique.
   */
  orderId: string;
  /** The sample's orders carry no amount; a processor that needs one gets it here. */
  amount?: { minorUnits: number; currency: string };
  card: { number: string; expiry?: string };
}

export interface PaymentProcessor {
  /**
   * Charges the card. Precondition the payment flow relies on: idempotent per `orderId` (a repeat answers
   * the first charge and charges nothing), as real processors' idempotency keys are. Throws
   * PaymentDeclinedError when the card is refused, DependencyUnavailableError when the processor is down.
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
