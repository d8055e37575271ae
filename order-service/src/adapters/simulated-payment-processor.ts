import { randomUUID } from 'node:crypto';
import { parseCardNumber } from '@tokenization/service-kit/card';
import { PaymentDeclinedError } from '../domain/errors.js';
import type { ChargeRequest, PaymentProcessor } from '../domain/ports.js';

/** A charge as the simulated processor keeps it: never the card number. */
export interface SimulatedCharge {
  chargeId: string;
  orderId: string;
  amount?: ChargeRequest['amount'];
  cardLast4: string;
  chargedAt: Date;
}

/** Declined by default, as in card networks' test ranges. */
export const declinedTestCardNumber = '4000000000000002';

export interface SimulatedPaymentProcessorOptions {
  /** Card numbers (digits only) to decline; `declinedTestCardNumber` unless given. */
  declinedCardNumbers?: Iterable<string>;
  clock?: () => Date;
}

/**
 * DEVELOPMENT AND TESTS ONLY: a payment processor that moves no money. It checks the number (Luhn),
 * declines the configured numbers, and keeps each charge in memory by order, so that a repeated charge of
 * an order answers the first one (the idempotency the PaymentProcessor port requires). A real processor
 * adapter implements the same port, passing `orderId` as its idempotency key.
 */
export class SimulatedPaymentProcessor implements PaymentProcessor {
  readonly #charges = new Map<string, SimulatedCharge>();
  readonly #declined: ReadonlySet<string>;
  readonly #clock: () => Date;

  constructor(options: SimulatedPaymentProcessorOptions = {}) {
    this.#declined = new Set(options.declinedCardNumbers ?? [declinedTestCardNumber]);
    this.#clock = options.clock ?? (() => new Date());
  }

  async charge(request: ChargeRequest): Promise<{ chargeId: string }> {
    const previous = this.#charges.get(request.orderId);
    if (previous) return { chargeId: previous.chargeId };
    const card = parseCardNumber(request.card.number);
    if (!card) throw new PaymentDeclinedError('invalid_number');
    if (this.#declined.has(card.digits)) throw new PaymentDeclinedError('card_declined');
    const charge: SimulatedCharge = {
      chargeId: `sim_ch_${randomUUID()}`,
      orderId: request.orderId,
      ...(request.amount ? { amount: request.amount } : {}),
      cardLast4: card.last4,
      chargedAt: this.#clock(),
    };
    this.#charges.set(request.orderId, charge);
    return { chargeId: charge.chargeId };
  }

  /** Every charge made, oldest first. */
  charges(): SimulatedCharge[] {
    return [...this.#charges.values()];
  }
}
