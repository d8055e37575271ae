// When a failed call may be sent again, and after how long.
//
// A retry is only safe when sending the request twice does no more than sending it once. For the
// tokenizer that is not true of every operation:
// - tokenize (and tokenizeBatch) creates a new token each time. If the answer is lost (a timeout, a reset
//   connection, a 503 from a gateway after the tokenizer wrote), a retry leaves a second token for the
//   same value, and the first is never known to anyone. So a tokenize is retried only when it cannot have
//   been processed (the connection was never made, or a 429 refused it before any work), or when every
//   item is deterministic (the same value then answers the same token).
// - detokenize with `reveal: full` spends one use of a token with `maxUses`: a retry after a lost answer
//   spends a second one. It is retried like tokenize, unless the reveal is masked (spends nothing) or the
//   caller states that none of its tokens has a use limit (`idempotent: true`).
// - reads (metadata, health), deleteToken (a repeat finds the token already gone) and resetVerifyLock are
//   retried.
// - forward sends a request to a payment processor (or another destination): a repeat could charge twice.
//   It is retried like tokenize, unless the caller passes an `idempotency-key` header, which the
//   destination uses to answer a repeat without acting twice.
// - verify counts a mismatch per call: retried like tokenize, so a lost answer never counts twice.
import { setTimeout as sleepFor } from 'node:timers/promises';
import {
  DestinationAnswerRefusedError,
  TokenizerConnectionError,
  type TokenizerError,
  TokenizerProblemError,
  TokenizerRateLimitError,
  TokenizerTimeoutError,
} from './errors.js';

export interface BackoffOptions {
  /** Full jitter: the n-th retry waits a random time below min(capMs, baseMs × 2^(n-1)). Default 100. */
  baseMs?: number;
  /** Default 1,000. */
  capMs?: number;
  /**
   * A Retry-After up to this is waited for; a longer one ends the retries and the error (with its
   * `retryAfterSeconds`) goes to the caller, who can pass the delay on. Default 2,000.
   */
  maxRetryAfterMs?: number;
  /** Replaces Math.random (tests). */
  random?: () => number;
  /** Replaces the wait between attempts (tests); the default wait ends early when the call is aborted. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type ResolvedBackoff = Required<BackoffOptions>;

export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  return {
    baseMs: options.baseMs ?? 100,
    capMs: options.capMs ?? 1_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 2_000,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, signal ? { signal } : {})),
  };
}

// Gateway and availability faults. A 500 is the tokenizer's own unexpected fault (or an integrity error):
// sending the same request again is not expected to help.
const transientStatus = new Set([502, 503, 504]);

/**
 * Whether the failure may be retried. `repeatable`: sending this request twice has the effect of sending it
 * once. Otherwise only failures that prove nothing was done are retried.
 */
export function mayRetry(error: TokenizerError, repeatable: boolean): boolean {
  // Never connected: the tokenizer cannot have received the request.
  if (error instanceof TokenizerConnectionError && !error.connected) return true;
  // A 429 refuses the request before any work (API Gateway's throttling, the tokenizer's deterministic
  // limit, which answers "nothing was tokenized").
  if (error instanceof TokenizerRateLimitError) return true;
  if (!repeatable) return false;
  // A 502 of the tokenizer's forward guards (a redirect, an oversized answer) would be refused again.
  if (error instanceof DestinationAnswerRefusedError) return false;
  if (error instanceof TokenizerTimeoutError || error instanceof TokenizerConnectionError) return true;
  return error instanceof TokenizerProblemError && transientStatus.has(error.status);
}

/** The wait before retry number `retry` (1-based), or undefined when the server asked for longer than we wait. */
export function retryDelayMs(
  error: TokenizerError,
  retry: number,
  backoff: ResolvedBackoff,
): number | undefined {
  const retryAfterSeconds = error instanceof TokenizerProblemError ? error.retryAfterSeconds : undefined;
  if (retryAfterSeconds !== undefined) {
    const ms = retryAfterSeconds * 1000;
    return ms <= backoff.maxRetryAfterMs ? ms : undefined;
  }
  return backoff.random() * Math.min(backoff.capMs, backoff.baseMs * 2 ** (retry - 1));
}

/** Retry-After in seconds: delta-seconds, or an HTTP date converted; undefined when absent or malformed. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d{1,9}$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
