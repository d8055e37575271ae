// The ports the vault domain depends on; adapters implement them for DynamoDB and the Encryption SDK.

/** One vault entry: the ciphertext of a value, bound to its tenant and token. */
export interface VaultRecord {
  tenant: string;
  token: string;
  ciphertext: Uint8Array;
  createdAt: Date;
}

export type VaultRecordKey = Pick<VaultRecord, 'tenant' | 'token'>;

export interface VaultStore {
  /** Writes a new record; throws TokenCollisionError when the token exists (never overwrites). */
  create(record: VaultRecord): Promise<void>;
  get(key: VaultRecordKey): Promise<VaultRecord | undefined>;
  /** Reads up to 100 records of one tenant; missing tokens are absent from the map. */
  getMany(tenant: string, tokens: readonly string[]): Promise<Map<string, VaultRecord>>;
  /** Deletes a record; false when there was none. */
  delete(key: VaultRecordKey): Promise<boolean>;
  /** Throws DependencyUnavailableError when the store does not answer. */
  checkHealth(): Promise<void>;
}

export class TokenCollisionError extends Error {
  override readonly name = 'TokenCollisionError';
  constructor() {
    super('token already exists');
  }
}

/** Encrypts values so that a ciphertext only ever decrypts for the tenant and token it was made for. */
export interface ValueCipher {
  encrypt(key: VaultRecordKey, value: string): Promise<Uint8Array>;
  /** Throws IntegrityError when the ciphertext was made for another token or tenant, or was altered. */
  decrypt(key: VaultRecordKey, ciphertext: Uint8Array): Promise<string>;
  checkHealth(): Promise<void>;
}

export type Clock = () => Date;
