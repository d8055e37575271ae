import { AsyncLocalStorage } from 'node:async_hooks';
import { timingSafeEqual } from 'node:crypto';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  type KeyringNode,
  type MessageHeader,
  NodeCachingMaterialsManager,
  type NodeMaterialsManager,
} from '@aws-crypto/client-node';
import { isAwsUnavailable } from '@tokenization/service-kit/aws-errors';
import { addRunningRequestMetric } from '@tokenization/service-kit/metrics';
import { DependencyUnavailableError, IntegrityError } from '../domain/errors.js';
import type { ValueCipher, VaultRecord, VaultRecordKey } from '../domain/ports.js';
import { SingleFlightMaterialsManager } from './single-flight-materials.js';

/** Limits of the legacy format's data key cache; see docs/configuration.md. */
export interface DataKeyCacheOptions {
  /** Data keys (per tenant and direction) kept at once. */
  capacity: number;
  /** Seconds a data key is used before KMS is asked for a new one. */
  maxAgeSeconds: number;
  /** Values encrypted under one data key before it is retired. */
  maxMessagesEncrypted: number;
}

/** The legacy format: every tenant under the vault key, the token and facts sealed inside the plaintext. */
export interface LegacyFormatOptions {
  /** A KmsKeyringNode on the vault key in production. */
  keyring: KeyringNode;
  /** Data key cache; `false` asks the keyring (KMS) for every value, as the original sample did. */
  cache: DataKeyCacheOptions | false;
  /** Suite of legacy writes (sample-per-item-signing only); decryption reads it from the message. */
  suiteId?: AlgorithmSuiteIdentifier;
}

export interface EncryptionSdkCipherOptions {
  /** The tenants' keyring: the AWS KMS Hierarchical keyring over their branch keys in production. */
  keyring: KeyringNode;
  /** Reads items without keyVersion (written before the tenant keys); writes too with `writeLegacyFormat`. */
  legacy: LegacyFormatOptions;
  /**
   * Writes new values in the legacy format: only for measuring the original sample's design
   * (ENCRYPTION_PROFILE=sample-per-item-signing) and for tests of in-process keyrings.
   */
  writeLegacyFormat?: boolean;
  /**
   * Committing suite without signature: the tokenizer both encrypts and decrypts, so a signature would
   * prove nothing to anyone else and costs ~6x the throughput.
   */
  suiteId?: AlgorithmSuiteIdentifier;
  /** Answers the readiness probe for the keyring's backend (KMS DescribeKey in production). */
  checkKeyHealth: () => Promise<void>;
}

export const encryptionContextPurpose = 'token-vault';

/** The hierarchical keyring's encrypted data keys; their ciphertext names the branch key version. */
const hierarchyProviderId = 'aws-kms-hierarchy';

/** Legacy format: version 2 (the token's facts digest sealed beside the token). */
const frameVersion = 2;
const maxCiphertextBytes = 64 * 1024;
const committingSuite = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;

const { encrypt, decrypt } = buildClient({
  commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
  maxEncryptedDataKeys: 1,
});

/**
 * Encrypts values with the AWS Encryption SDK under the tenant's branch key (hierarchical keyring: one data
 * key per message, wrapped by a key derived from the branch key, which the keyring caches).
 *
 * Binding: the encryption context is `{purpose, tenant, token, facts}` (facts: base64url of the token's
 * facts digest); the plaintext is the value alone. The keyring picks the branch key from the context's
 * tenant, and after decryption all four are checked against the key that was asked for and the record's
 * facts, so a ciphertext copied onto another token or tenant, or an item whose facts changed, is refused.
 *
 * Items without keyVersion are in the legacy format (the vault key behind the caching materials manager,
 * context `{purpose, tenant}`, the token and facts sealed inside the plaintext): they keep decrypting
 * until the tenant is re-encrypted.
 */
export class EncryptionSdkCipher implements ValueCipher {
  readonly #keyring: KeyringNode;
  readonly #legacy: NodeMaterialsManager | KeyringNode;
  readonly #legacySuiteId: AlgorithmSuiteIdentifier;
  readonly #writeLegacyFormat: boolean;
  readonly #suiteId: AlgorithmSuiteIdentifier;
  readonly #checkKeyHealth: () => Promise<void>;

  constructor(options: EncryptionSdkCipherOptions) {
    this.#keyring = options.keyring;
    const { legacy } = options;
    this.#legacy = legacy.cache
      ? new SingleFlightMaterialsManager(
          new NodeCachingMaterialsManager({
            backingMaterials: legacy.keyring,
            cache: getLocalCryptographicMaterialsCache(legacy.cache.capacity),
            maxAge: legacy.cache.maxAgeSeconds * 1000,
            maxMessagesEncrypted: legacy.cache.maxMessagesEncrypted,
          }),
        )
      : legacy.keyring;
    this.#legacySuiteId = legacy.suiteId ?? committingSuite;
    this.#writeLegacyFormat = options.writeLegacyFormat ?? false;
    this.#suiteId = options.suiteId ?? committingSuite;
    this.#checkKeyHealth = options.checkKeyHealth;
  }

  async encrypt(
    { tenant, token }: VaultRecordKey,
    value: string,
    facts: Uint8Array,
  ): Promise<{ ciphertext: Uint8Array; keyVersion?: string }> {
    if (this.#writeLegacyFormat) {
      const { result } = await withKmsOutcome(() =>
        encrypt(this.#legacy, frame(token, facts, value), {
          encryptionContext: legacyEncryptionContext(tenant),
          suiteId: this.#legacySuiteId,
        }),
      );
      return { ciphertext: result };
    }
    const { result, messageHeader } = await withKmsOutcome(() =>
      encrypt(this.#keyring, Buffer.from(value, 'utf8'), {
        encryptionContext: encryptionContext(tenant, token, facts),
        suiteId: this.#suiteId,
      }),
    );
    const keyVersion = branchKeyVersionOf(messageHeader);
    return keyVersion === undefined ? { ciphertext: result } : { ciphertext: result, keyVersion };
  }

  async decrypt(
    key: VaultRecordKey & Pick<VaultRecord, 'keyVersion'>,
    ciphertext: Uint8Array,
    facts: Uint8Array,
  ): Promise<{ value: string; keyVersion?: string }> {
    if (key.keyVersion === undefined) return { value: await this.#decryptLegacy(key, ciphertext, facts) };
    const { plaintext, messageHeader } = await opened(this.#keyring, ciphertext);
    const expected = encryptionContext(key.tenant, key.token, facts);
    const context = messageHeader.encryptionContext;
    if (context.purpose !== expected.purpose || context.tenant !== expected.tenant) {
      throw new IntegrityError('ciphertext belongs to another tenant or purpose');
    }
    if (context.token !== expected.token) throw new IntegrityError('ciphertext belongs to another token');
    if (context.facts !== expected.facts) throw new IntegrityError('stored token facts were changed');
    const keyVersion = branchKeyVersionOf(messageHeader);
    const value = plaintext.toString('utf8');
    return keyVersion === undefined ? { value } : { value, keyVersion };
  }

  async #decryptLegacy({ tenant, token }: VaultRecordKey, ciphertext: Uint8Array, facts: Uint8Array) {
    const output = await opened(this.#legacy, ciphertext);
    const context = output.messageHeader.encryptionContext;
    if (context.purpose !== encryptionContextPurpose || context.tenant !== tenant) {
      throw new IntegrityError('ciphertext belongs to another tenant or purpose');
    }
    const sealed = unframe(output.plaintext);
    if (sealed?.token !== token) throw new IntegrityError('ciphertext belongs to another token');
    if (!sameBytes(sealed.facts, facts)) throw new IntegrityError('stored token facts were changed');
    return sealed.value;
  }

  checkHealth(): Promise<void> {
    return this.#checkKeyHealth();
  }
}

/** Decrypts; anything but an outage (a wrong key, an altered message) is an IntegrityError. */
async function opened(materials: NodeMaterialsManager | KeyringNode, ciphertext: Uint8Array) {
  try {
    return await withKmsOutcome(() => decrypt(materials, ciphertext, { maxBodySize: maxCiphertextBytes }));
  } catch (error) {
    if (error instanceof DependencyUnavailableError) throw error;
    throw new IntegrityError('ciphertext did not decrypt', { cause: error });
  }
}

function encryptionContext(tenant: string, token: string, facts: Uint8Array): Record<string, string> {
  return {
    purpose: encryptionContextPurpose,
    tenant,
    token,
    facts: Buffer.from(facts).toString('base64url'),
  };
}

function legacyEncryptionContext(tenant: string): Record<string, string> {
  return { purpose: encryptionContextPurpose, tenant };
}

/**
 * The branch key version that wrapped a message's data key: the hierarchical keyring's encrypted data key
 * is salt (16) | IV (12) | version (16, the UUID's bytes) | wrapped key; authenticated with the header.
 */
export function branchKeyVersionOf(header: MessageHeader): string | undefined {
  const edk = header.encryptedDataKeys.find((key) => key.providerId === hierarchyProviderId);
  if (!edk || edk.encryptedDataKey.length < 44) return undefined;
  const hex = Buffer.from(edk.encryptedDataKey.subarray(28, 44)).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function frame(token: string, facts: Uint8Array, value: string): Buffer {
  const tokenBytes = Buffer.from(token, 'utf8');
  const version = Buffer.of(frameVersion);
  return Buffer.concat([
    version,
    lengthOf(tokenBytes),
    tokenBytes,
    lengthOf(facts),
    facts,
    Buffer.from(value, 'utf8'),
  ]);
}

function lengthOf(bytes: Uint8Array): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return length;
}

function unframe(plaintext: Buffer): { token: string; facts: Buffer; value: string } | undefined {
  if (plaintext.length < 3 || plaintext.readUInt8(0) !== frameVersion) return undefined;
  const tokenEnd = 3 + plaintext.readUInt16BE(1);
  if (tokenEnd + 2 > plaintext.length) return undefined;
  const factsEnd = tokenEnd + 2 + plaintext.readUInt16BE(tokenEnd);
  if (factsEnd > plaintext.length) return undefined;
  return {
    token: plaintext.subarray(3, tokenEnd).toString('utf8'),
    facts: plaintext.subarray(tokenEnd + 2, factsEnd),
    value: plaintext.subarray(factsEnd).toString('utf8'),
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

// The KMS keyring folds KMS failures into generic errors (on decrypt, into one message listing them), so
// the KMS client reports its own failures (and its calls) to the operation that is running, through this
// store.
const kmsOutcome = new AsyncLocalStorage<{ unavailable?: unknown; calls: number }>();

/**
 * Runs an Encryption SDK operation; a KMS outage during it becomes DependencyUnavailableError('kms'). An
 * operation that made no KMS call found its key in a cache: the branch key in the hierarchical keyring's,
 * a data key in the legacy format's (`DataKeyCacheHits` in the request's metrics line; `DataKeyCacheMisses`
 * otherwise).
 */
async function withKmsOutcome<T>(operation: () => Promise<T>): Promise<T> {
  const outcome: { unavailable?: unknown; calls: number } = { calls: 0 };
  try {
    const result = await kmsOutcome.run(outcome, operation);
    addRunningRequestMetric(outcome.calls === 0 ? 'DataKeyCacheHits' : 'DataKeyCacheMisses');
    return result;
  } catch (error) {
    if (outcome.unavailable !== undefined)
      throw new DependencyUnavailableError('kms', { cause: outcome.unavailable });
    throw error;
  }
}

/** Call from a KMS client middleware for every KMS call: counts it for the running operation. */
export function reportKmsCall(): void {
  const outcome = kmsOutcome.getStore();
  if (outcome) outcome.calls++;
}

/** Call from a KMS client middleware when a KMS call fails: marks the running operation's outcome. */
export function reportKmsFailure(error: unknown): void {
  const outcome = kmsOutcome.getStore();
  if (outcome && isAwsUnavailable(error)) outcome.unavailable = error;
}
