// The per-principal limit on deterministic tokenizations. A deterministic tokenization answers "was this
// value tokenized before, and as which token?": whoever may ask it at will can try candidate values until
// one gives a known token (a value oracle). The limit bounds how fast candidates can be tried, across every
// instance of the service.
import type { Clock } from './ports.js';

/** One principal's allowance during one minute. */
export interface RateWindow {
  tenant: string;
  principal: string;
  /** The window's first instant: a whole minute (UTC). */
  start: Date;
  /** The instant it ends; its count is of no use afterwards and may be removed. */
  end: Date;
}

/** Where the windows are counted: one store every instance shares (a container-local count would multiply). */
export interface RateWindowCounter {
  /**
   * Adds `amount` to the window's count unless the total would go above `limit`: all or nothing, atomic
   * across instances. True when added. Throws DependencyUnavailableError when the store does not answer.
   */
  tryAdd(window: RateWindow, amount: number, limit: number): Promise<boolean>;
}

export type RateDecision =
  | { allowed: true }
  | {
      allowed: false;
      /** Seconds until the window ends (at least 1). */
      retryAfterSeconds: number;
      /** The request alone holds more than a whole window allows: waiting will not help, splitting will. */
      exceedsWindow: boolean;
    };

export interface DeterministicTokenizationLimitOptions {
  counter: RateWindowCounter;
  /** Deterministic tokenizations one principal may make per minute. */
  perMinute: number;
  clock: Clock;
}

const windowMs = 60_000;

export class DeterministicTokenizationLimit {
  readonly perMinute: number;
  readonly #counter: RateWindowCounter;
  readonly #clock: Clock;

  constructor(options: DeterministicTokenizationLimitOptions) {
    if (!Number.isInteger(options.perMinute) || options.perMinute < 1) {
      throw new RangeError('perMinute must be a positive integer');
    }
    this.perMinute = options.perMinute;
    this.#counter = options.counter;
    this.#clock = options.clock;
  }

  /**
   * Spends `count` deterministic tokenizations of the caller's current minute, all or nothing: a batch
   * that would cross the limit spends none. Fixed one-minute windows: at most twice the limit can pass
   * around a window's edge, which leaves the bound's order of magnitude unchanged.
   */
  async spend(caller: { tenant: string; principal: string }, count: number): Promise<RateDecision> {
    if (count <= 0) return { allowed: true };
    const now = this.#clock().getTime();
    const start = Math.floor(now / windowMs) * windowMs;
    const window: RateWindow = { ...caller, start: new Date(start), end: new Date(start + windowMs) };
    const retryAfterSeconds = Math.max(1, Math.ceil((start + windowMs - now) / 1000));
    if (count > this.perMinute) return { allowed: false, retryAfterSeconds, exceedsWindow: true };
    if (await this.#counter.tryAdd(window, count, this.perMinute)) return { allowed: true };
    return { allowed: false, retryAfterSeconds, exceedsWindow: false };
  }
}
