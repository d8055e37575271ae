import { AsyncLocalStorage } from 'node:async_hooks';
import { timingSafeEqual } from 'node:crypto';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  type KeyringNode,
  NodeCachingMaterialsManager,
  type NodeMaterialsManager,
} from '@aws-crypto/client-node';
import { isAwsUnavailable } from '@tokenization/service-kit/aws-errors';
import { addRunningRequestMetric } from '@tokenization/service-kit/metrics';
import { DependencyUnavailableError, IntegrityError } from '../domain/errors.js';
import type { ValueCipher, VaultRecordKey } from '../domain/ports.js';
import { SingleFlightMaterialsManager } from './single-flight-materials.js';

/** Limits of the data key cache; see docs/configuration.md. */
export interface DataKeyCacheOptions {
  /** Data keys (per tenant and direction) kept at once. */
  capacity: number;
  /** Seconds a data key is used before KMS is asked for a new one. */
  maxAgeSeconds: number;
  /** Values encrypted under one data key before it is retired. */
  maxMessagesEncrypted: number;
}

export interface EncryptionSdkCipherOptions {
  /** The wrapping keyring: a KmsKeyringNode in production. */
  keyring: KeyringNode;
  /** Data key cache; `false` asks the keyring (KMS) for every value, as the original sample did. */
  cache: DataKeyCacheOptions | false;
  /**
   * Committing suite without signature by default: the tokenizer both encrypts and decrypts, so a
   * signature would prove nothing to anyone else and costs ~6x the throughput.
   */
  suiteId?: AlgorithmSuiteIdentifier;
  /** Answers the readiness probe for the keyring's backend (KMS DescribeKey in production). */
  checkKeyHealth: () => Promise<void>;
}

export const encryptionContextPurpose = 'token-vault';

/** 2: the token's facts digest is sealed beside the token. Version 1 (token only) is refused: none exist. */
const frameVersion = 2;
const maxCiphertextBytes = 64 * 1024;

const { encrypt, decrypt } = buildClient({
  commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
  maxEncryptedDataKeys: 1,
});

/**
 * Encrypts values with the AWS Encryption SDK.
 *
 * Binding: the encryption context names the purpose and the tenant, and is checked after decryption; the
 * token and the digest of its immutable facts are sealed inside the plaintext
 * (`version | token length | token | facts length | facts | value`, lengths as 16-bit big-endian). A
 * per-token encryption context would also bind them, but it would give every value its own cache entry and
 * so one KMS call per value: the data key cache only reuses keys for identical contexts.
 */
export class EncryptionSdkCipher implements ValueCipher {
  readonly #materials: NodeMaterialsManager | KeyringNode;
  readonly #suiteId: AlgorithmSuiteIdentifier;
  readonly #checkKeyHealth: () => Promise<void>;

  constructor(options: EncryptionSdkCipherOptions) {
    this.#materials = options.cache
      ? new SingleFlightMaterialsManager(
          new NodeCachingMaterialsManager({
            backingMaterials: options.keyring,
            cache: getLocalCryptographicMaterialsCache(options.cache.capacity),
            maxAge: options.cache.maxAgeSeconds * 1000,
            maxMessagesEncrypted: options.cache.maxMessagesEncrypted,
          }),
        )
      : options.keyring;
    this.#suiteId =
      options.suiteId ?? AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;
    this.#checkKeyHealth = options.checkKeyHealth;
  }

  async encrypt({ tenant, token }: VaultRecordKey, value: string, facts: Uint8Array): Promise<Uint8Array> {
    const { result } = await withKmsOutcome(() =>
      encrypt(this.#materials, frame(token, facts, value), {
        encryptionContext: encryptionContext(tenant),
        suiteId: this.#suiteId,
      }),
    );
    return result;
  }

  async decrypt(
    { tenant, token }: VaultRecordKey,
    ciphertext: Uint8Array,
    facts: Uint8Array,
  ): Promise<string> {
    let output: Awaited<ReturnType<typeof decrypt>>;
    try {
      output = await withKmsOutcome(() =>
        decrypt(this.#materials, ciphertext, { maxBodySize: maxCiphertextBytes }),
      );
    } catch (error) {
      if (error instanceof DependencyUnavailableError) throw error;
      throw new IntegrityError('ciphertext did not decrypt', { cause: error });
    }
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

function encryptionContext(tenant: string): Record<string, string> {
  return { purpose: encryptionContextPurpose, tenant };
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
 * operation that made no KMS call found its data key in the cache (`DataKeyCacheHits` in the request's
 * metrics line; `DataKeyCacheMisses` otherwise).
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
