// Paces the re-encryption job: every item it rewrites costs vault capacity and KMS-free CPU the live
// traffic also needs, so the operator chooses the rate (--rate items per second) across all segments.
import { setTimeout as sleep } from 'node:timers/promises';

export interface RateLimiterOptions {
  /** Permits per second (> 0). */
  perSecond: number;
  /** Milliseconds on a monotonic clock; default performance.now. */
  now?: () => number;
  wait?: (milliseconds: number) => Promise<unknown>;
}

/**
 * Hands out one permit every 1/perSecond seconds, in the order asked. No burst: time not used while
 * nobody asked is not saved up, so a pause (a slow scan page) is never followed by a spike.
 */
export class RateLimiter {
  readonly #interval: number;
  readonly #now: () => number;
  readonly #wait: (milliseconds: number) => Promise<unknown>;
  #nextSlot = Number.NEGATIVE_INFINITY;

  constructor(options: RateLimiterOptions) {
    if (!(options.perSecond > 0) || !Number.isFinite(options.perSecond)) {
      throw new RangeError('the rate must be a positive number of items per second');
    }
    this.#interval = 1000 / options.perSecond;
    this.#now = options.now ?? (() => performance.now());
    this.#wait = options.wait ?? sleep;
  }

  /** Resolves when the caller may do one unit of work. */
  async take(): Promise<void> {
    const now = this.#now();
    const slot = Math.max(now, this.#nextSlot);
    this.#nextSlot = slot + this.#interval;
    if (slot > now) await this.#wait(slot - now);
  }
}
