// An in-memory fake of the order store, for the idempotency protocol's domain rules (the fast tier). Every
// write keeps the DynamoDB adapter's condition (reserve: absent or an expired reservation, in whole epoch
// seconds as the TTL attribute is stored; complete/release: this very reservation; markPaid: a CREATED
// order). The real adapter is tested on DynamoDB Local (idempotency.test.ts and the resilience suites).
import type { OrderRecord, OrderReservation } from '../../src/domain/order.js';
import type { OrderKey } from '../../src/domain/order-key.js';
import type { OrderPayment, OrderPlacement, OrderStore } from '../../src/domain/ports.js';

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

type StoreCall = 'reserve' | 'complete' | 'release' | 'get' | 'markPaid';

export class FakeOrderStore implements OrderStore {
  /** Items by `owner customerOrder`. */
  readonly items = new Map<string, OrderRecord>();
  /** Every call in order, for tests of the protocol's steps. */
  readonly calls: StoreCall[] = [];
  /** Errors to throw, once each, from the named call (an outage or a crash between steps). */
  readonly failNext = new Map<StoreCall, Error>();
  /** Runs before a call's condition is evaluated: a test's way to let a concurrent request act first. */
  before?: (call: StoreCall) => Promise<void> | void;

  async reserve(reservation: OrderReservation, now: Date): Promise<boolean> {
    await this.#enter('reserve');
    const current = this.items.get(keyOf(reservation));
    const takeable =
      !current || (current.status === 'PENDING' && epochSeconds(current.expiresAt) < epochSeconds(now));
    if (!takeable) return false;
    this.items.set(keyOf(reservation), structuredClone(reservation));
    return true;
  }

  async complete(key: OrderKey, reservationId: string, placement: OrderPlacement): Promise<boolean> {
    await this.#enter('complete');
    const current = this.items.get(keyOf(key));
    if (current?.status !== 'PENDING' || current.reservationId !== reservationId) return false;
    const { reservationId: _, expiresAt: __, ...facts } = current;
    this.items.set(keyOf(key), { ...facts, ...structuredClone(placement), status: 'CREATED' });
    return true;
  }

  async release(key: OrderKey, reservationId: string): Promise<void> {
    await this.#enter('release');
    const current = this.items.get(keyOf(key));
    if (current?.status === 'PENDING' && current.reservationId === reservationId)
      this.items.delete(keyOf(key));
  }

  async get(key: OrderKey): Promise<OrderRecord | undefined> {
    await this.#enter('get');
    const current = this.items.get(keyOf(key));
    return current && structuredClone(current);
  }

  async markPaid(key: OrderKey, payment: OrderPayment): Promise<boolean> {
    await this.#enter('markPaid');
    const current = this.items.get(keyOf(key));
    if (current?.status !== 'CREATED') return false;
    this.items.set(keyOf(key), { ...current, ...structuredClone(payment), status: 'PAID' });
    return true;
  }

  async checkHealth(): Promise<void> {}

  async #enter(call: StoreCall): Promise<void> {
    this.calls.push(call);
    await this.before?.(call);
    const failure = this.failNext.get(call);
    if (failure) {
      this.failNext.delete(call);
      throw failure;
    }
  }
}

function keyOf(key: OrderKey): string {
  return JSON.stringify([key.owner, key.customerOrder]);
}
