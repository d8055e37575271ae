// The order service's CardTokenizer, over the tokenizer client SDK (@tokenization/tokenizer-client),
// which signs, times out and retries where it is safe. This adapter says what the order service asks
// (a card_number tokenization, a verify of a replayed card, a delete), checks what it keeps, and turns the
// SDK's typed errors into the order domain's. It never asks for a card number back.
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { type CardBrand, cardBrands } from '@tokenization/service-kit/card';
import {
  type CardFacts,
  TokenExpiredError,
  TokenizerClient,
  TokenizerError,
  TokenizerProblemError,
  TokenizerResponseError,
  TokenNotFoundError,
  VerifyLockedError,
} from '@tokenization/tokenizer-client';
import {
  CardTokenUnusableError,
  DependencyUnavailableError,
  TokenizerRejectedError,
} from '../domain/errors.js';
import type { CardTokenizer, TokenizedCard } from '../domain/ports.js';

export interface TokenizerClientOptions {
  /** The tokenizer API's base URL, stage path included (`https://…/prod`). */
  baseUrl: string;
  /** Region of the SigV4 signature (service `execute-api`). */
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Limit of one attempt, answer body included. */
  timeoutMs: number;
  /**
   * Attempts of a call the SDK may retry (delete; a forward with its idempotency key); a tokenize or a
   * verify is sent again only if it never left.
   */
  maxAttempts?: number;
  /** Full-jitter backoff: a random delay below min(cap, base × 2^(attempt-1)). */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** A Retry-After up to this is waited for; a longer one ends the retries and is passed to the client. */
  maxRetryAfterMs?: number;
  logger?: { warn(context: object, message: string): void };
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const tokenPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** The SDK client the order service's adapters share (this one and the forwarded payments). */
export function createTokenizerSdk(options: TokenizerClientOptions): TokenizerClient {
  const { logger } = options;
  return new TokenizerClient({
    endpoint: options.baseUrl,
    region: options.region,
    credentials: options.credentials,
    timeoutMs: options.timeoutMs,
    maxRetries: (options.maxAttempts ?? 3) - 1,
    backoff: {
      ...(options.backoffBaseMs === undefined ? {} : { baseMs: options.backoffBaseMs }),
      ...(options.backoffCapMs === undefined ? {} : { capMs: options.backoffCapMs }),
      ...(options.maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs: options.maxRetryAfterMs }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
      ...(options.random === undefined ? {} : { random: options.random }),
    },
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(logger === undefined
      ? {}
      : {
          onRetry: ({ operation, attempt, delayMs, error }) =>
            logger.warn(
              {
                dependency: 'tokenizer',
                operation,
                attempt,
                reason: error.kind,
                delayMs: Math.round(delayMs),
              },
              'retrying',
            ),
        }),
  });
}

/**
 * The tokenizer's HTTP API through the SDK. A call that times out, cannot connect, is throttled (429) or
 * meets a server fault (5xx) ends as a DependencyUnavailableError (the client sees 503); any other refusal
 * is a TokenizerRejectedError (this service's request or permissions are wrong, which no retry cures).
 */
export class TokenizerHttpClient implements CardTokenizer {
  readonly #client: TokenizerClient;

  constructor(client: TokenizerClient | TokenizerClientOptions) {
    this.#client = client instanceof TokenizerClient ? client : createTokenizerSdk(client);
  }

  async tokenize(cardNumber: string): Promise<TokenizedCard> {
    // A card number: the tokenizer checks it (Luhn) and answers its last four and brand. The options it
    // defaults (a random token, not deterministic, ...) are left to it; so the SDK sends it once.
    const result: unknown = await domainErrors(
      this.#client.tokenize({ value: cardNumber, type: 'card_number' }),
    );
    const { token, card } = (typeof result === 'object' && result !== null ? result : {}) as {
      token?: unknown;
      card?: unknown;
    };
    if (typeof token !== 'string' || !tokenPattern.test(token)) {
      throw new TokenizerRejectedError(201, 'the tokenizer answered without a token');
    }
    const facts = cardFacts(card);
    return facts ? { token, card: facts } : { token };
  }

  async verify(token: string, cardNumber: string): Promise<boolean> {
    let answer: { match?: unknown };
    try {
      answer = await this.#client.verify(token, cardNumber);
    } catch (error) {
      // A 410 for this service's whole tenant is no answer about the token.
      if (refusesTenant(error)) throw domainError(error);
      // By problem type, or by status alone when the type is not the tokenizer's own.
      const status = error instanceof TokenizerProblemError ? error.status : undefined;
      // Locked after too many mismatches: the tokenizer compares no more, so the card is not shown the same.
      if (error instanceof VerifyLockedError || status === 423) return false;
      if (error instanceof TokenNotFoundError || error instanceof TokenExpiredError || status === 410) {
        throw new CardTokenUnusableError(status === 404 ? 'not_found' : 'expired', { cause: error });
      }
      throw domainError(error);
    }
    if (typeof answer.match !== 'boolean') {
      throw new TokenizerRejectedError(200, 'the tokenizer answered neither match nor no match');
    }
    return answer.match;
  }

  async deleteToken(token: string): Promise<void> {
    try {
      await domainErrors(this.#client.deleteToken(token));
    } catch (error) {
      // 404: already gone, perhaps by an earlier attempt whose answer was lost.
      if (error instanceof TokenizerRejectedError && error.cause instanceof TokenNotFoundError) return;
      throw error;
    }
  }
}

/** The call's result, or its SDK error as the order domain's. */
async function domainErrors<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw domainError(error);
  }
}

export function domainError(error: unknown): unknown {
  if (!(error instanceof TokenizerError)) return error;
  const retryAfterSeconds = error instanceof TokenizerProblemError ? error.retryAfterSeconds : undefined;
  // The tokenizer refuses this service's tenant as a whole (not onboarded, suspended while its shred is
  // scheduled, shredded): no order can be served until the security team acts, whatever the request. The
  // client sees the tokenizer unavailable; the log keeps the problem type (the cause).
  const unavailable =
    refusesTenant(error) ||
    error.kind === 'timeout' ||
    error.kind === 'connection' ||
    error.kind === 'rate-limited' ||
    (error instanceof TokenizerProblemError && error.status >= 500);
  if (unavailable) {
    return new DependencyUnavailableError('tokenizer', {
      cause: error,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }
  if (error instanceof TokenizerProblemError || error instanceof TokenizerResponseError) {
    // The SDK's message: the status and the problem type, never anything the tokenizer wrote.
    return new TokenizerRejectedError(error.status ?? 0, error.message, { cause: error });
  }
  return error;
}

function refusesTenant(error: unknown): boolean {
  return (
    error instanceof TokenizerError &&
    (error.kind === 'tenant-not-onboarded' ||
      error.kind === 'tenant-suspended' ||
      error.kind === 'tenant-shredded')
  );
}

// The order stores the tokenizer's brand codes: the contract's list and the domain's must be the same.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const brandCodesAgree: Same<CardFacts['brand'], CardBrand> = true;
void brandCodesAgree;

/** The tokenizer's card facts when it sent well-formed ones. */
function cardFacts(value: unknown): { last4: string; brand: CardBrand } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { last4, brand } = value as { last4?: unknown; brand?: unknown };
  const knownBrand = cardBrands.find((known) => known === brand);
  return typeof last4 === 'string' && /^\d{4}$/.test(last4) && knownBrand
    ? { last4, brand: knownBrand }
    : undefined;
}
