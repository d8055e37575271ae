import { TenantNotOnboardedError, TenantShreddedError, TenantSuspendedError } from './errors.js';
import type { Clock, TenantRecord, TenantRegistry } from './ports.js';

export interface TenantStatesOptions {
  registry: Pick<TenantRegistry, 'get'>;
  /** How long one read of a tenant's record is used: how late a state change may be seen here. */
  cacheSeconds: number;
  clock: Clock;
}

interface Entry {
  readAt: number;
  record: Promise<TenantRecord | undefined>;
}

/**
 * The tenant records as this process sees them: each tenant's record is read at most once per
 * `cacheSeconds` (concurrent first requests share one read), so a state change made by the admin takes
 * effect here within that time. A record's absence is cached too: an unknown tenant costs no more reads
 * than a known one. A failed read is not kept; the next request reads again.
 */
export class TenantStates {
  readonly #registry: Pick<TenantRegistry, 'get'>;
  readonly #cacheMs: number;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();

  constructor(options: TenantStatesOptions) {
    this.#registry = options.registry;
    this.#cacheMs = options.cacheSeconds * 1000;
    this.#clock = options.clock;
  }

  /**
   * The tenant's record, at most `cacheSeconds` old; undefined when it has none. Throws the registry's
   * DependencyUnavailableError when it cannot be read (the fingerprinter reads key rotation facts here).
   */
  get(tenant: string): Promise<TenantRecord | undefined> {
    const now = this.#clock().getTime();
    const cached = this.#entries.get(tenant);
    if (cached && now >= cached.readAt && now < cached.readAt + this.#cacheMs) return cached.record;
    const entry: Entry = { readAt: now, record: this.#registry.get(tenant) };
    this.#entries.set(tenant, entry);
    entry.record.catch(() => {
      if (this.#entries.get(tenant) === entry) this.#entries.delete(tenant);
    });
    return entry.record;
  }

  /**
   * The record of a tenant that may use the tokenizer now. Throws TenantNotOnboardedError (no record),
   * TenantSuspendedError (shred scheduled) or TenantShreddedError.
   */
  async requireActive(tenant: string): Promise<TenantRecord> {
    const record = await this.get(tenant);
    if (!record) throw new TenantNotOnboardedError();
    switch (record.status) {
      case 'active':
        return record;
      case 'shred_scheduled':
        throw new TenantSuspendedError();
      case 'shredded':
        throw new TenantShreddedError();
    }
  }
}
