// An in-memory fake of the payment processor port: idempotent per orderId, as the port requires, and
// counting the charges it really made so a test can prove "charged exactly once".
import { randomUUID } from 'node:crypto';
import { PaymentDeclinedError } from '../../src/domain/errors.js';
import type { ChargeRequest, PaymentProcessor } from '../../src/domain/ports.js';

export class FakePaymentProcessor implements PaymentProcessor {
  /** One charge per orderId: the card number is never kept, only its last four. */
  readonly charges = new Map<string, { chargeId: string; cardLast4: string }>();
  requests = 0;
  /** Card numbers to decline. */
  readonly declined = new Set<string>();

  async charge(request: ChargeRequest): Promise<{ chargeId: string }> {
    this.requests++;
    const previous = this.charges.get(request.orderId);
    if (previous) return { chargeId: previous.chargeId };
    if (this.declined.has(request.card.number)) throw new PaymentDeclinedError('card_declined');
    const chargeId = `fake_ch_${randomUUID()}`;
    this.charges.set(request.orderId, { chargeId, cardLast4: request.card.number.slice(-4) });
    return { chargeId };
  }
}
