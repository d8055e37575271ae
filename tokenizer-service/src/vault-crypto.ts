import { AlgorithmSuiteIdentifier, KmsKeyringNode } from '@aws-crypto/client-node';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMS } from '@aws-sdk/client-kms';
import { BranchKeyFingerprinter } from './adapters/branch-key-fingerprinter.js';
import { EncryptionSdkCipher, type LegacyFormatOptions } from './adapters/encryption-sdk-cipher.js';
import { kmsKeyHealthCheck } from './adapters/kms-client.js';
import { KmsFingerprinter } from './adapters/kms-fingerprinter.js';
import {
  createTenantKeyStore,
  type SingleFlightBranchKeyStore,
  tenantKeyring,
} from './adapters/tenant-keyring.js';
import type { TokenizerConfig } from './config.js';
import type { Clock, TenantRegistry } from './domain/ports.js';

/** The settings the vault's keys need (the tokenizer's; the admin CLI reads the same variables). */
export type VaultCryptoConfig = Pick<
  TokenizerConfig,
  | 'TOKEN_VAULT_TABLE_NAME'
  | 'KMS_KEY_ARN'
  | 'KEY_STORE_TABLE_NAME'
  | 'BRANCH_KEY_KMS_KEY_ARN'
  | 'KEY_STORE_LOGICAL_NAME'
  | 'BRANCH_KEY_CACHE_TTL_SECONDS'
  | 'BRANCH_KEY_CACHE_SIZE'
  | 'FINGERPRINT_ROTATION_WINDOW_SECONDS'
  | 'ENCRYPTION_PROFILE'
  | 'DATA_KEY_CACHE_CAPACITY'
  | 'DATA_KEY_CACHE_MAX_AGE_SECONDS'
  | 'DATA_KEY_CACHE_MAX_MESSAGES'
>;

export interface VaultCryptoClients {
  dynamoDb: DynamoDBClient;
  /** From createKmsClient: every call is counted for the request and an outage answers 503. */
  kms: KMS;
  /** The tenant records (cached in the tokenizer): rotation facts for the fingerprints. */
  tenants: Pick<TenantRegistry, 'get'>;
  clock: Clock;
}

export interface VaultCrypto {
  /** The tenants' branch keys (createKey and versionKey for the admin; reads single-flighted). */
  keyStore: SingleFlightBranchKeyStore;
  cipher: EncryptionSdkCipher;
  fingerprinter: BranchKeyFingerprinter;
  /** The vault-wide fingerprints of deterministic tokens made before the tenants' branch keys. */
  legacyFingerprinter: KmsFingerprinter;
}

/** The branch key store, the cipher (tenant keys, legacy reads) and the versioned fingerprinter. */
export function createVaultCrypto(config: VaultCryptoConfig, clients: VaultCryptoClients): VaultCrypto {
  const { dynamoDb, kms } = clients;
  const keyStore = createTenantKeyStore({
    logicalName: config.KEY_STORE_LOGICAL_NAME,
    tableName: config.KEY_STORE_TABLE_NAME,
    dynamoDb,
    kms,
    kmsKeyArn: config.BRANCH_KEY_KMS_KEY_ARN,
  });
  const cacheOptions = {
    cacheTtlSeconds: config.BRANCH_KEY_CACHE_TTL_SECONDS,
    cacheSize: config.BRANCH_KEY_CACHE_SIZE,
  };
  const legacyFingerprinter = new KmsFingerprinter({
    kms,
    keyArn: config.KMS_KEY_ARN,
    dynamoDb,
    tableName: config.TOKEN_VAULT_TABLE_NAME,
  });
  const sample = config.ENCRYPTION_PROFILE === 'sample-per-item-signing';
  return {
    keyStore,
    cipher: new EncryptionSdkCipher({
      keyring: tenantKeyring(keyStore, cacheOptions),
      legacy: legacyFormat(config, kms),
      writeLegacyFormat: sample,
      checkKeyHealth: kmsKeyHealthCheck(kms, config.KMS_KEY_ARN),
    }),
    fingerprinter: new BranchKeyFingerprinter({
      keyStore,
      legacy: legacyFingerprinter,
      tenants: clients.tenants,
      clock: clients.clock,
      ...cacheOptions,
      rotationWindowSeconds: config.FINGERPRINT_ROTATION_WINDOW_SECONDS,
    }),
    legacyFingerprinter,
  };
}

/** The legacy format: the vault key behind the data key cache; for the sample profile, its own design. */
function legacyFormat(config: VaultCryptoConfig, kms: KMS): LegacyFormatOptions {
  const keyring = new KmsKeyringNode({ generatorKeyId: config.KMS_KEY_ARN, clientProvider: () => kms });
  if (config.ENCRYPTION_PROFILE === 'sample-per-item-signing') {
    // The original sample's design, kept to be measured against (`npm run bench`): one KMS data key call
    // per value, and the SDK's default suite, which signs every message with ECDSA P-384.
    return {
      keyring,
      cache: false,
      suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    };
  }
  return {
    keyring,
    cache: {
      capacity: config.DATA_KEY_CACHE_CAPACITY,
      maxAgeSeconds: config.DATA_KEY_CACHE_MAX_AGE_SECONDS,
      maxMessagesEncrypted: config.DATA_KEY_CACHE_MAX_MESSAGES,
    },
  };
}
