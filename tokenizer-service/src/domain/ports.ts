// The ports the vault domain depends on; adapters implement them for DynamoDB and the Encryption SDK.
import type { CardBrand } from '@tokenization/service-kit/card';
import type { IntegrityError } from './errors.js';

export type ValueType = 'generic' | 'card_number';
export type TokenFormat = 'random' | 'format_preserving';

/**
 * One vault entry: the ciphertext of a value, bound to its tenant and token, and its policy. Every field
 * but `ciphertext`, `keyVersion` and `usesSpent` is an immutable fact of the token, bound to the ciphertext
 * (see token-facts.ts): a read that finds them changed is refused.
 */
export interface VaultRecord {
  /** From the key that was asked for, never from a stored attribute. */
  tenant: string;
  /** From the key that was asked for, never from a stored attribute. */
  token: string;
  ciphertext: Uint8Array;
  /**
   * The tenant's branch key version that sealed the value: a hint (the version is authenticated inside the
   * ciphertext), not a sealed fact. Absent: the legacy format (the vault key), readable until re-encrypted.
   */
  keyVersion?: string;
  createdAt: Date;
  type: ValueType;
  format: TokenFormat;
  /** Keyed fingerprint of a deterministic token's value (an HMAC, not the value). */
  fingerprint?: string;
  expiresAt?: Date;
  maxUses?: number;
  /** Full reveals spent so far (with maxUses only): a counter that only grows, not sealed. */
  usesSpent?: number;
  card?: { last4: string; brand: CardBrand };
  metadata: Record<string, string>;
}

export type VaultRecordKey = Pick<VaultRecord, 'tenant' | 'token'>;

/** Result of spending one use of a token with a usage limit. */
export type UseOutcome = 'used' | 'exhausted' | 'not_found';

/**
 * Result of counting one verify: `counted` (below the limit; a mismatch added one), `locked` (the token
 * already had `limit` mismatches: nothing counted, the comparison must not be answered), `not_found`.
 */
export type VerifyAttemptOutcome = 'counted' | 'locked' | 'not_found';

export interface VaultStore {
  /**
   * Writes a new record, never overwriting. Throws TokenCollisionError when the token exists and, for a
   * record with a fingerprint, FingerprintTakenError when another token already holds the fingerprint
   * (both checks are one transaction).
   */
  create(record: VaultRecord): Promise<void>;
  /**
   * Reads a record: its tenant and token are the key's. Throws IntegrityError when the item's stored
   * tenant or token disagrees with its key (it was moved or rewritten).
   */
  get(key: VaultRecordKey): Promise<VaultRecord | undefined>;
  /**
   * Reads up to 100 records of one tenant; missing tokens are absent from the map, and an item whose stored
   * tenant or token disagrees with its key is an IntegrityError in it.
   */
  getMany(tenant: string, tokens: readonly string[]): Promise<Map<string, VaultRecord | IntegrityError>>;
  /** The token holding a fingerprint in a tenant, if any. */
  findByFingerprint(tenant: string, fingerprint: string): Promise<string | undefined>;
  /** Removes a fingerprint entry that points at a token that no longer exists. */
  releaseFingerprint(tenant: string, fingerprint: string, token: string): Promise<void>;
  /**
   * Atomically spends one use: only while fewer than `maxUses` were spent. The caller passes the maxUses it
   * verified (sealed with the value), never one read back from the table.
   */
  spendUse(key: VaultRecordKey, maxUses: number): Promise<UseOutcome>;
  /**
   * Atomically checks a token's verify mismatches against `limit` and, for a mismatch, adds one: a match
   * or a mismatch is only answered while fewer than `limit` mismatches were counted before it, so
   * concurrent guesses never get more than `limit` answers of "no match". The counter lives on the token's
   * item (deleted with it) and is not sealed: it only ever locks, a tamperer gains nothing but a reset.
   */
  countVerifyAttempt(key: VaultRecordKey, mismatch: boolean, limit: number): Promise<VerifyAttemptOutcome>;
  /** Sets a token's verify mismatches back to zero; false when there is no such token. */
  resetVerifyMismatches(key: VaultRecordKey): Promise<boolean>;
  /** Deletes a record and, when it has one, its fingerprint entry; false when there was none. */
  delete(record: VaultRecordKey & Pick<VaultRecord, 'fingerprint'>): Promise<boolean>;
  /** Throws DependencyUnavailableError when the store does not answer. */
  checkHealth(): Promise<void>;
}

export class TokenCollisionError extends Error {
  override readonly name = 'TokenCollisionError';
  constructor() {
    super('token already exists');
  }
}

export class FingerprintTakenError extends Error {
  override readonly name = 'FingerprintTakenError';
  constructor() {
    super('another token holds this fingerprint');
  }
}

/**
 * Encrypts values so that a ciphertext only ever decrypts for the tenant and token it was made for, and
 * binds `facts` (the digest of the token's immutable facts) to the value.
 */
export interface ValueCipher {
  /** `keyVersion`: the tenant's branch key version that sealed it; absent when written in the legacy format. */
  encrypt(
    key: VaultRecordKey,
    value: string,
    facts: Uint8Array,
  ): Promise<{ ciphertext: Uint8Array; keyVersion?: string }>;
  /**
   * Opens a record's ciphertext: the legacy format when the record has no keyVersion. Returns the branch
   * key version that sealed it (read from the ciphertext; undefined for the legacy format). Throws
   * IntegrityError when the ciphertext was made for another token or tenant, was altered, or was sealed
   * with other facts than `facts`.
   */
  decrypt(
    key: VaultRecordKey & Pick<VaultRecord, 'keyVersion'>,
    ciphertext: Uint8Array,
    facts: Uint8Array,
  ): Promise<{ value: string; keyVersion?: string }>;
  checkHealth(): Promise<void>;
}

/**
 * Keyed fingerprints for deterministic tokens (HMAC-SHA-256; the key of each branch key version derived
 * from it). `active` is the one a new deterministic token gets; `earlier` are the ones an existing token
 * may still hold (the previous version's within the rotation window, then the legacy one), to look up
 * after `active`, in order.
 */
export interface Fingerprinter {
  fingerprints(tenant: string, scope: string, value: string): Promise<{ active: string; earlier: string[] }>;
}

/**
 * A tenant's life as the tokenizer sees it: `active` (usable), `shred_scheduled` (refused until the shred
 * is cancelled or executed, like a KMS key pending deletion), `shredded` (its branch key is gone).
 */
export type TenantStatus = 'active' | 'shred_scheduled' | 'shredded';

/** A tenant's record in the vault table (`tenant#<tenant>`), written by the admin operations only. */
export interface TenantRecord {
  tenant: string;
  status: TenantStatus;
  /** The tenant's branch key in the key store (`tenant-<tenant>`). */
  branchKeyId: string;
  createdAt: Date;
  /** The branch key version active before the latest rotation, and when it was rotated. */
  previousKeyVersion?: string;
  rotatedAt?: Date;
  /** When a scheduled shred may be executed. */
  shredAfter?: Date;
  shreddedAt?: Date;
  /** A re-encryption pass left no item of the tenant in the legacy format: no legacy fingerprint lookups. */
  legacyRetired?: boolean;
  /** Starts at 1; every write is conditional on the revision it read, then adds one. */
  revision: number;
}

/** What an admin operation changes on a tenant record; `null` removes an optional attribute. */
export type TenantChanges = {
  [Name in Exclude<keyof TenantRecord, 'tenant' | 'branchKeyId' | 'createdAt' | 'revision'>]?:
    | TenantRecord[Name]
    | (undefined extends TenantRecord[Name] ? null : never);
};

export interface TenantRegistry {
  /** The tenant's record, or undefined when the tenant was never onboarded. */
  get(tenant: string): Promise<TenantRecord | undefined>;
  /** Every tenant record (a scan: admin use only, never on a request's path). */
  list(): Promise<TenantRecord[]>;
  /** Writes an `active` record at revision 1; TenantExistsError when the tenant has one already. */
  create(tenant: string, at: Date): Promise<TenantRecord>;
  /**
   * Applies `changes` only if the stored record is still at `record.revision`, and returns the record at
   * the next revision; TenantChangedError when another write came first (read again and decide again).
   */
  update(record: TenantRecord, changes: TenantChanges): Promise<TenantRecord>;
}

/** A conditional write of a tenant record lost: the record is not at the revision it was read at. */
export class TenantChangedError extends Error {
  override readonly name: string = 'TenantChangedError';
  constructor(message = 'the tenant record changed since it was read') {
    super(message);
  }
}

/** The tenant already has a record: a create lost to an earlier one. */
export class TenantExistsError extends TenantChangedError {
  override readonly name = 'TenantExistsError';
  constructor() {
    super('the tenant already has a record');
  }
}

export type Clock = () => Date;
