// An in-memory fake of the rate window store, for the pure rules of the deterministic limit. The real
// store (the vault table, shared by every instance) is tested through the app on DynamoDB Local.
import type { RateWindow, RateWindowCounter } from '../../src/domain/deterministic-rate-limit.js';

export class FakeRateWindowCounter implements RateWindowCounter {
  /** Count per window, keyed as `tenant principal start`. */
  readonly counts = new Map<string, number>();

  async tryAdd(window: RateWindow, amount: number, limit: number): Promise<boolean> {
    const key = `${window.tenant} ${window.principal} ${window.start.toISOString()}`;
    const count = this.counts.get(key) ?? 0;
    if (count + amount > limit) return false;
    this.counts.set(key, count + amount);
    return true;
  }
}
