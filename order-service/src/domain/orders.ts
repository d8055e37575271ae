import { randomUUID } from 'node:crypto';
import { type CardNumber, containsCardNumber, parseCardNumber } from '@tokenization/service-kit/card';
import {
  DependencyUnavailableError,
  InvalidOrderFieldError,
  OrderAlreadyPaidError,
  OrderConflictError,
  OrderNotFoundError,
  TokenizerRejectedError,
} from './errors.js';
import { maskedCard } from './masked-card.js';
import {
  type OrderFacts,
  type OrderRequest,
  type PlacedOrder,
  requestFingerprint,
  sameRequest,
} from './order.js';
import { chargeReference, type OrderKey } from './order-key.js';
import type {
  CardTokenizer,
  ChargeRequest,
  Clock,
  OrderStore,
  PaymentProcessor,
  TokenizedCard,
} from './ports.js';

/** The request's logger: pino's, or anything with the same two methods. */
export interface OrderLog {
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
}

export interface OrdersOptions {
  store: OrderStore;
  tokenizer: CardTokenizer;
  payments: PaymentProcessor;
  clock: Clock;
  /** How long a create attempt holds its reservation before another request may take it over. */
  reservationLeaseSeconds?: number;
}

export interface CreatedOrder {
  cardToken: string;
  /** True when an earlier identical request had created the order. */
  replayed: boolean;
}

export interface PaidOrder {
  /** The charged card with all but its last four digits as `*`. */
  maskedCard: string;
  chargeId: string;
}

type Claim =
  | { kind: 'reserved'; reservationId: string }
  | { kind: 'placed'; order: PlacedOrder }
  | { kind: 'vanished' };

// Rounds of reserve → tokenize → complete when identical requests race; more means churn, answered 503.
const maxCreateRounds = 3;

/**
 * What paying an order charges. The sample's orders carry no price: every order is charged this one flat
 * amount until orders get a price of their own.
 */
export const orderChargeAmount: ChargeRequest['amount'] = { minorUnits: 1000, currency: 'USD' };

/**
 * Creates, reads and pays orders, keeping only card tokens.
 *
 * Creating is idempotent and never leaves half an order (docs/order-service.md, "Idempotency protocol"):
 * 1. reserve: a conditional put of a `PENDING` item keyed by owner and CustomerOrder, holding the
 *    request's fingerprint (`attribute_not_exists`, or an expired reservation). A `PENDING` item is not an
 *    order: reads and payments treat it as absent, and it expires (TTL).
 * 2. tokenize the card through the tokenizer as a `card_number` (not retried: a lost answer would leave a
 *    second token); it answers the token and the card's facts (last four, brand).
 * 3. complete: a conditional update of that reservation (`reservationId` must match) to `CREATED` with the
 *    token and those facts. Only this step makes an order exist.
 * A tokenizer failure releases the reservation; a crash anywhere leaves at most a reservation, which a
 * retry of the same request resumes and any other request of the owner may take over once it expires. A
 * second request of the owner for their existing CustomerOrder is a replay when the fingerprint matches
 * and the tokenizer verifies the submitted card number against the stored token; anything else is a
 * conflict. The service never reads a card number back: paying goes through the tokenizer too.
 * Another user's request for the same CustomerOrder is their own order, never a conflict.
 */
export class Orders {
  readonly #store: OrderStore;
  readonly #tokenizer: CardTokenizer;
  readonly #payments: PaymentProcessor;
  readonly #clock: Clock;
  readonly #leaseMs: number;

  constructor(options: OrdersOptions) {
    this.#store = options.store;
    this.#tokenizer = options.tokenizer;
    this.#payments = options.payments;
    this.#clock = options.clock;
    this.#leaseMs = (options.reservationLeaseSeconds ?? 60) * 1000;
  }

  async create(owner: string, request: OrderRequest, log: OrderLog): Promise<CreatedOrder> {
    const card = validatedCard(request);
    const facts: OrderFacts = {
      customerOrder: request.CustomerOrder,
      customerName: request.CustomerName,
      address: request.Address,
      owner,
      requestHash: requestFingerprint({
        customerOrder: request.CustomerOrder,
        customerName: request.CustomerName,
        address: request.Address,
        cardLast4: card.last4,
      }),
      cardLast4: card.last4,
    };
    for (let round = 0; round < maxCreateRounds; round++) {
      const claim = await this.#claim(facts);
      if (claim.kind === 'vanished') continue;
      if (claim.kind === 'placed') {
        await this.#assertSameCard(claim.order, card);
        log.info({ event: 'order.replayed', customerOrder: facts.customerOrder, owner }, 'order replayed');
        return { cardToken: claim.order.cardToken, replayed: true };
      }
      const cardToken = await this.#placeOrder(facts, claim.reservationId, card, log);
      if (cardToken) {
        log.info({ event: 'order.created', customerOrder: facts.customerOrder, owner }, 'order created');
        return { cardToken, replayed: false };
      }
      // An identical request completed or released this reservation first: look at the item again.
    }
    throw new DependencyUnavailableError('order-store', {
      cause: new Error('the order item kept changing under identical requests'),
    });
  }

  /**
   * The caller's order; OrderNotFoundError when they have none of this CustomerOrder (absent or only
   * reserved). Another user's order of the same CustomerOrder is never looked at: the owner is in the key.
   */
  async get(owner: string, customerOrder: string): Promise<PlacedOrder> {
    // No order can hold a card number (create refuses one), so such an id never becomes a DynamoDB key.
    if (containsCardNumber(customerOrder)) throw new OrderNotFoundError();
    const order = await this.#store.get({ owner, customerOrder });
    if (!order || order.status === 'PENDING') throw new OrderNotFoundError();
    return order;
  }

  /**
   * Charges the order's card token and marks the order paid. Two payments at once both reach the
   * processor, which charges one order at most once (its port's precondition: the order's chargeReference
   * is the idempotency key), and only one marks the order paid. A payment whose outcome is unknown (the
   * processor down) leaves the order unpaid; its retry sends the same key, so the order is charged once.
   */
  async pay(owner: string, customerOrder: string, log: OrderLog): Promise<PaidOrder> {
    const key: OrderKey = { owner, customerOrder };
    const order = await this.get(owner, customerOrder);
    if (order.status === 'PAID') throw new OrderAlreadyPaidError();
    const { chargeId } = await this.#payments.charge({
      idempotencyKey: chargeReference(key),
      cardToken: order.cardToken,
      amount: orderChargeAmount,
    });
    const paid = await this.#store.markPaid(key, { chargeId, paidAt: this.#clock() });
    if (!paid) throw new OrderAlreadyPaidError();
    log.info({ event: 'order.paid', customerOrder, owner, chargeId }, 'order paid');
    return { maskedCard: maskedCard(order.cardLast4, order.cardBrand), chargeId };
  }

  async checkHealth(): Promise<void> {
    await this.#store.checkHealth();
  }

  /** Step 1: reserve the owner's CustomerOrder, resume this request's own reservation, or find the order. */
  async #claim(facts: OrderFacts): Promise<Claim> {
    const now = this.#clock();
    const reservationId = randomUUID();
    const reserved = await this.#store.reserve(
      { ...facts, status: 'PENDING', reservationId, expiresAt: new Date(now.getTime() + this.#leaseMs) },
      now,
    );
    if (reserved) return { kind: 'reserved', reservationId };
    const existing = await this.#store.get(facts);
    if (!existing) return { kind: 'vanished' };
    if (!sameRequest(existing, facts)) throw new OrderConflictError();
    // The same request interrupted (or still running): carry on with its reservation.
    if (existing.status === 'PENDING') return { kind: 'reserved', reservationId: existing.reservationId };
    return { kind: 'placed', order: existing };
  }

  /** Steps 2 and 3. Returns the token, or undefined when the reservation was no longer ours. */
  async #placeOrder(
    facts: OrderFacts,
    reservationId: string,
    card: CardNumber,
    log: OrderLog,
  ): Promise<string | undefined> {
    let tokenized: TokenizedCard;
    try {
      tokenized = await this.#tokenizer.tokenize(card.digits);
    } catch (error) {
      // Nothing but the reservation was written: free the CustomerOrder.
      await this.#release(facts, reservationId, log);
      throw error;
    }
    const { card: cardFacts } = tokenized;
    if (!cardFacts) {
      // The tokenizer validates a card number and describes it (last four, brand) in the same answer; one
      // without the description broke its contract. The order is not stored without a brand.
      await this.#discardToken(tokenized.token, log);
      await this.#release(facts, reservationId, log);
      throw new TokenizerRejectedError(201, 'the tokenizer answered a card number without its card facts');
    }
    let completed: boolean;
    try {
      completed = await this.#store.complete(facts, reservationId, {
        cardToken: tokenized.token,
        cardLast4: cardFacts.last4,
        cardBrand: cardFacts.brand,
        createdAt: this.#clock(),
      });
    } catch (error) {
      await this.#discardToken(tokenized.token, log);
      throw error;
    }
    if (completed) return tokenized.token;
    await this.#discardToken(tokenized.token, log);
    return undefined;
  }

  /**
   * Frees a reservation nothing was stored for. Should this fail as well, the reservation expires, and a
   * retry of the same request resumes it before then.
   */
  async #release(key: OrderKey, reservationId: string, log: OrderLog): Promise<void> {
    await this.#store.release(key, reservationId).catch((error: unknown) => {
      log.warn(
        { err: error, customerOrder: key.customerOrder, owner: key.owner },
        'reservation not released',
      );
    });
  }

  /** A replay must carry the same card: the tokenizer compares it with the stored token's value. */
  async #assertSameCard(order: PlacedOrder, card: CardNumber): Promise<void> {
    if (!(await this.#tokenizer.verify(order.cardToken, card.digits))) throw new OrderConflictError();
  }

  /**
   * Deletes a token no order holds, so the vault keeps no card for nothing. Safe only because tokens are
   * random (one per tokenize call): a deterministic token could be another order's too.
   */
  async #discardToken(token: string, log: OrderLog): Promise<void> {
    await this.#tokenizer.deleteToken(token).catch((error: unknown) => {
      log.warn({ err: error }, 'unused card token not deleted');
    });
  }
}

/** In a `u` regular expression a surrogate pair is one code point: only unpaired halves match. */
const loneSurrogate = /[\uD800-\uDFFF]/u;

/**
 * What the contract's schema cannot say: the card passes Luhn, and no other field holds a card number, by
 * the one rule both services use (`containsCardNumber` of the service kit: any script, any single
 * separator or two spaces, a card inside a longer digit run), so none lands in the table, its key or a log.
 */
function validatedCard(request: OrderRequest): CardNumber {
  for (const field of ['CustomerOrder', 'CustomerName', 'Address'] as const) {
    if (containsCardNumber(request[field])) {
      throw new InvalidOrderFieldError(field, 'must not contain a card number');
    }
    // A lone surrogate (`"\ud800"` in JSON) has no UTF-8 form: the table would keep U+FFFD instead.
    if (loneSurrogate.test(request[field])) {
      throw new InvalidOrderFieldError(field, 'must be well-formed Unicode');
    }
  }
  const card = parseCardNumber(request.CreditCard);
  if (!card) throw new InvalidOrderFieldError('CreditCard', 'is not a valid card number');
  return card;
}
