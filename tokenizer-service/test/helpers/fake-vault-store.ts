// An in-memory fake of the vault store, for the vault's domain rules (the fast tier). It keeps the
// DynamoDB adapter's conditional semantics: no overwrite, token and fingerprint written as one
// transaction, spendUse limited by the caller's verified maxUses, a key/attribute mismatch refused. The
// real adapter is tested on DynamoDB Local (tokens-api.test.ts and the resilience suites).
import { DependencyUnavailableError, IntegrityError } from '../../src/domain/errors.js';
import {
  FingerprintTakenError,
  TokenCollisionError,
  type UseOutcome,
  type VaultRecord,
  type VaultRecordKey,
  type VaultStore,
  type VerifyAttemptOutcome,
} from '../../src/domain/ports.js';

/** What a stored item says about itself: a test may rewrite it, as someone with table access could. */
export interface FakeVaultItem {
  record: VaultRecord;
  /** The item's own tenant and token attributes (the adapter's `tenant` and `token`). */
  stored: VaultRecordKey;
}

const itemKey = (tenant: string, token: string) => `${tenant} ${token}`;

export class FakeVaultStore implements VaultStore {
  /** Token items by `tenant token`. */
  readonly items = new Map<string, FakeVaultItem>();
  /** Fingerprint entries by `tenant fingerprint` → token. */
  readonly fingerprints = new Map<string, string>();
  /** Verify mismatches by `tenant token` (the adapter keeps them on the token's item). */
  readonly verifyMismatches = new Map<string, number>();
  /** When set, every call throws DependencyUnavailableError (an outage). */
  down = false;

  async create(record: VaultRecord): Promise<void> {
    this.#answer();
    const key = itemKey(record.tenant, record.token);
    if (this.items.has(key)) throw new TokenCollisionError();
    if (record.fingerprint !== undefined) {
      const entry = itemKey(record.tenant, record.fingerprint);
      if (this.fingerprints.has(entry)) throw new FingerprintTakenError();
      this.fingerprints.set(entry, record.token);
    }
    this.items.set(key, { record: copy(record), stored: { tenant: record.tenant, token: record.token } });
  }

  async get(key: VaultRecordKey): Promise<VaultRecord | undefined> {
    this.#answer();
    const found = this.#read(key);
    if (found instanceof IntegrityError) throw found;
    return found;
  }

  async getMany(
    tenant: string,
    tokens: readonly string[],
  ): Promise<Map<string, VaultRecord | IntegrityError>> {
    this.#answer();
    const found = new Map<string, VaultRecord | IntegrityError>();
    for (const token of tokens) {
      const record = this.#read({ tenant, token });
      if (record) found.set(token, record);
    }
    return found;
  }

  async findByFingerprint(tenant: string, fingerprint: string): Promise<string | undefined> {
    this.#answer();
    return this.fingerprints.get(itemKey(tenant, fingerprint));
  }

  async releaseFingerprint(tenant: string, fingerprint: string, token: string): Promise<void> {
    this.#answer();
    const entry = itemKey(tenant, fingerprint);
    if (this.fingerprints.get(entry) === token) this.fingerprints.delete(entry);
  }

  async spendUse(key: VaultRecordKey, maxUses: number): Promise<UseOutcome> {
    this.#answer();
    const item = this.items.get(itemKey(key.tenant, key.token));
    if (!item) return 'not_found';
    // As the adapter's condition: a missing, negative or non-numeric counter fails, and the limit is the
    // caller's, not the stored maxUses.
    const spent = item.record.usesSpent;
    if (spent === undefined || !(spent >= 0) || !(spent < maxUses)) return 'exhausted';
    item.record.usesSpent = spent + 1;
    return 'used';
  }

  async countVerifyAttempt(
    key: VaultRecordKey,
    mismatch: boolean,
    limit: number,
  ): Promise<VerifyAttemptOutcome> {
    this.#answer();
    const id = itemKey(key.tenant, key.token);
    if (!this.items.has(id)) return 'not_found';
    const mismatches = this.verifyMismatches.get(id) ?? 0;
    if (mismatches >= limit) return 'locked';
    this.verifyMismatches.set(id, mismatches + (mismatch ? 1 : 0));
    return 'counted';
  }

  async resetVerifyMismatches(key: VaultRecordKey): Promise<boolean> {
    this.#answer();
    const id = itemKey(key.tenant, key.token);
    this.verifyMismatches.delete(id);
    return this.items.has(id);
  }

  async delete(key: VaultRecordKey & Pick<VaultRecord, 'fingerprint'>): Promise<boolean> {
    this.#answer();
    this.verifyMismatches.delete(itemKey(key.tenant, key.token));
    const found = this.items.delete(itemKey(key.tenant, key.token));
    if (!found) return false;
    if (key.fingerprint !== undefined) {
      const entry = itemKey(key.tenant, key.fingerprint);
      if (this.fingerprints.get(entry) === key.token) this.fingerprints.delete(entry);
    }
    return true;
  }

  async checkHealth(): Promise<void> {
    this.#answer();
  }

  /** The stored item of a token, for a test to alter (as a tamperer with table access could). */
  item(tenant: string, token: string): FakeVaultItem {
    const item = this.items.get(itemKey(tenant, token));
    if (!item) throw new Error('no such item in the fake vault store');
    return item;
  }

  /** Copies an item under another key, its own attributes unchanged (a record moved to another token). */
  moveItem(from: VaultRecordKey, to: VaultRecordKey): void {
    const item = this.item(from.tenant, from.token);
    this.items.set(itemKey(to.tenant, to.token), { record: copy(item.record), stored: { ...item.stored } });
  }

  #read(key: VaultRecordKey): VaultRecord | IntegrityError | undefined {
    const item = this.items.get(itemKey(key.tenant, key.token));
    if (!item) return undefined;
    if (item.stored.tenant !== key.tenant || item.stored.token !== key.token) {
      return new IntegrityError('stored tenant or token disagrees with the item key');
    }
    // Like the adapter: tenant and token are the key's, and the caller gets its own copy.
    return { ...copy(item.record), tenant: key.tenant, token: key.token };
  }

  #answer(): void {
    if (this.down) throw new DependencyUnavailableError('store');
  }
}

function copy(record: VaultRecord): VaultRecord {
  return {
    ...record,
    ciphertext: new Uint8Array(record.ciphertext),
    metadata: { ...record.metadata },
    ...(record.card ? { card: { ...record.card } } : {}),
  };
}
