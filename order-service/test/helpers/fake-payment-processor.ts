// An in-memory fake of the payment processor port: idempotent per idempotency key, as the port requires,
// and counting the charges it really made so a test can prove "charged exactly once". It reads the card
// behind a token from the fake tokenizer's vault, as the tokenizer's forward operation does.
import { randomUUID } from 'node:crypto';
import { DependencyUnavailableError, PaymentDeclinedError } from '../../src/domain/errors.js';
import type { ChargeRequest, PaymentProcessor } from '../../src/domain/ports.js';

export class FakePaymentProcessor implements PaymentProcessor {
  /** One charge per idempotency key: the card number is never kept, only its last four. */
  readonly charges = new Map<string, { chargeId: string; cardLast4: string }>();
  requests = 0;
  /** Card numbers to decline. */
  readonly declined = new Set<string>();
  /** Charges the next request, then answers it as lost (the processor unreachable after charging). */
  loseNextAnswer = false;

  constructor(private readonly cardOf: (token: string) => string | undefined) {}

  async charge(request: ChargeRequest): Promise<{ chargeId: string }> {
    this.requests++;
    let charge = this.charges.get(request.idempotencyKey);
    if (!charge) {
      const card = this.cardOf(request.cardToken);
      if (!card || this.declined.has(card)) throw new PaymentDeclinedError('card_declined');
      charge = { chargeId: `fake_ch_${randomUUID()}`, cardLast4: card.slice(-4) };
      this.charges.set(request.idempotencyKey, charge);
    }
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new DependencyUnavailableError('payment-processor');
    }
    return { chargeId: charge.chargeId };
  }
}
