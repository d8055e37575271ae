// Payments without reveal: the order service sends the charge request to the tokenizer's forward operation
// with the card TOKEN at `/card/number`; the tokenizer puts the card number in its place inside its own
// boundary and relays the request to the processor of its `payments` connection (allow-listed by the
// security team, its API key added by the tokenizer). The order service never holds the card number.
import {
  DestinationFailedError,
  DestinationRefusedError,
  type TokenizerClient,
  TokenUnusableError,
} from '@tokenization/tokenizer-client';
import {
  CardTokenUnusableError,
  DependencyUnavailableError,
  PaymentDeclinedError,
  PaymentRejectedError,
} from '../domain/errors.js';
import type { ChargeRequest, PaymentProcessor } from '../domain/ports.js';
import { domainError } from './tokenizer-client.js';

export interface ForwardedPaymentProcessorOptions {
  client: TokenizerClient;
  /** The tokenizer's connection to the payment processor. */
  connection: string;
}

const chargeIdPattern = /^[A-Za-z0-9_-]{1,128}$/;
// A processor's reason code is shown in logs only, and only when it is one: a word, never free text.
const reasonPattern = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * The processor's API (Stripe-like `POST /v1/charges`) through the tokenizer's forward operation. The
 * processor's idempotency key is the order's chargeReference, so the SDK may retry a forward whose outcome
 * it does not know, and so may the client after a 503.
 */
export class ForwardedPaymentProcessor implements PaymentProcessor {
  readonly #client: TokenizerClient;
  readonly #connection: string;

  constructor(options: ForwardedPaymentProcessorOptions) {
    this.#client = options.client;
    this.#connection = options.connection;
  }

  async charge(request: ChargeRequest): Promise<{ chargeId: string }> {
    let body: unknown;
    try {
      ({ body } = await this.#client.forward(this.#connection, {
        method: 'POST',
        path: '/v1/charges',
        headers: { 'idempotency-key': request.idempotencyKey },
        body: {
          amount: { value: request.amount.minorUnits, currency: request.amount.currency },
          card: { number: request.cardToken },
        },
      }));
    } catch (error) {
      throw paymentError(error);
    }
    const { id, status } = (typeof body === 'object' && body !== null ? body : {}) as {
      id?: unknown;
      status?: unknown;
    };
    if (typeof id !== 'string' || !chargeIdPattern.test(id) || status !== 'captured') {
      throw new PaymentRejectedError(0, 'the payment processor answered without a captured charge');
    }
    return { chargeId: id };
  }
}

function paymentError(error: unknown): unknown {
  if (error instanceof DestinationRefusedError) {
    const status = error.destination?.status ?? error.status;
    const { type, code } = processorError(error.destination?.body);
    // A card the processor refuses (402, or a card_error such as incorrect_number): the order is not paid.
    if (status === 402 || type === 'card_error') {
      const reason = typeof code === 'string' && reasonPattern.test(code) ? code : 'declined';
      return new PaymentDeclinedError(reason, { cause: error });
    }
    return new PaymentRejectedError(status, undefined, { cause: error });
  }
  if (error instanceof DestinationFailedError) {
    // The processor did not answer, or answered 5xx: whether it charged is unknown until a retry asks again.
    return new DependencyUnavailableError('payment-processor', {
      cause: error,
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
    });
  }
  if (error instanceof TokenUnusableError) return new CardTokenUnusableError('unusable', { cause: error });
  return domainError(error);
}

/** The `error` of a Stripe-like error body, when there is one. */
function processorError(body: unknown): { type?: unknown; code?: unknown } {
  const { error } = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown };
  return typeof error === 'object' && error !== null ? (error as { type?: unknown; code?: unknown }) : {};
}
