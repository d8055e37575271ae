import {
  BranchKeyStoreNode,
  getLocalCryptographicMaterialsCache,
  KmsHierarchicalKeyRingNode,
  type NodeAlgorithmSuite,
} from '@aws-crypto/client-node';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { reportKmsFailure } from './encryption-sdk-cipher.js';
import { branchKeyIdOf } from './key-store-table.js';

/** A branch key version's materials as the key store returns them. */
export type BranchKeyMaterials = Awaited<ReturnType<BranchKeyStoreNode['getActiveBranchKey']>>;

export interface TenantKeyStoreOptions {
  /** KEY_STORE_LOGICAL_NAME: bound into every branch key's KMS encryption context, never changed. */
  logicalName: string;
  tableName: string;
  dynamoDb: DynamoDBClient;
  /** The service's KMS client (createKmsClient), so the key store's calls are counted per request. */
  kms: KMSClient;
  /** The KMS key protecting the branch keys (BRANCH_KEY_KMS_KEY_ARN). */
  kmsKeyArn: string;
}

// Calls in flight per key store (the store freezes its instances: no state can live on them).
const inFlight = new WeakMap<BranchKeyStoreNode, Map<string, Promise<BranchKeyMaterials>>>();

/**
 * The branch key store, with concurrent cold lookups of the same branch key (or version) sharing one
 * lookup: the hierarchical keyring does not coalesce its cache misses, so a cold container receiving a
 * burst for one tenant would ask KMS once per message. The keyring accepts only a BranchKeyStoreNode,
 * so this is one, and it freezes it: the calls in flight live beside it, not on it.
 */
export class SingleFlightBranchKeyStore extends BranchKeyStoreNode {
  override getActiveBranchKey(branchKeyId: string): Promise<BranchKeyMaterials> {
    return shared(this, `active\0${branchKeyId}`, () => super.getActiveBranchKey(branchKeyId));
  }

  override getBranchKeyVersion(branchKeyId: string, branchKeyVersion: string): Promise<BranchKeyMaterials> {
    return shared(this, `version\0${branchKeyId}\0${branchKeyVersion}`, () =>
      super.getBranchKeyVersion(branchKeyId, branchKeyVersion),
    );
  }
}

async function shared(
  store: BranchKeyStoreNode,
  key: string,
  lookup: () => Promise<BranchKeyMaterials>,
): Promise<BranchKeyMaterials> {
  let calls = inFlight.get(store);
  if (!calls) {
    calls = new Map();
    inFlight.set(store, calls);
  }
  let call = calls.get(key);
  if (!call) {
    const started = lookup();
    call = started;
    calls.set(key, started);
    const forget = () => {
      if (calls.get(key) === started) calls.delete(key);
    };
    started.then(forget, forget);
  }
  try {
    return copyOf(await call);
  } catch (error) {
    // The KMS call ran in the first caller's operation only, and a key store read (DynamoDB) is no KMS call:
    // every caller learns of an outage here, so it answers 503 rather than an integrity error.
    reportKmsFailure(error);
    throw error;
  }
}

/**
 * Each caller gets materials of its own: the keyring's cache zeroes the key of an entry it replaces, and
 * callers sharing one lookup each put their result in the cache (the second put would zero the first's).
 * The materials class is taken from the instance: its package is no dependency of ours.
 */
function copyOf(materials: BranchKeyMaterials): BranchKeyMaterials {
  const Materials = materials.constructor as new (
    branchKey: Buffer,
    branchKeyIdentifier: string,
    branchKeyVersion: string,
    encryptionContext: Record<string, string>,
  ) => BranchKeyMaterials;
  return new Materials(
    Buffer.from(materials.branchKey()),
    materials.branchKeyIdentifier,
    materials.branchKeyVersion.toString('utf8'),
    { ...materials.encryptionContext },
  );
}

/** The key store of the tenants' branch keys (the tokenizer reads it; the admin CLI also creates and versions keys). */
export function createTenantKeyStore(options: TenantKeyStoreOptions): SingleFlightBranchKeyStore {
  return new SingleFlightBranchKeyStore({
    logicalKeyStoreName: options.logicalName,
    storage: { ddbTableName: options.tableName, ddbClient: options.dynamoDb },
    keyManagement: { kmsClient: options.kms },
    kmsConfiguration: { identifier: options.kmsKeyArn },
  });
}

export interface TenantKeyringOptions {
  /** BRANCH_KEY_CACHE_TTL_SECONDS: how long branch key materials are used before the key store is asked again. */
  cacheTtlSeconds: number;
  /** BRANCH_KEY_CACHE_SIZE: branch key (version) entries kept. */
  cacheSize: number;
}

/**
 * The AWS KMS Hierarchical keyring over the tenants' branch keys: a message's tenant (its encryption
 * context; on decrypt the authenticated header's) names the branch key, every message gets its own data key.
 */
export function tenantKeyring(
  keyStore: BranchKeyStoreNode,
  options: TenantKeyringOptions,
): KmsHierarchicalKeyRingNode {
  return new KmsHierarchicalKeyRingNode({
    keyStore,
    branchKeyIdSupplier: {
      getBranchKeyId(encryptionContext) {
        const tenant = encryptionContext.tenant;
        if (!tenant) throw new Error('the encryption context names no tenant');
        return branchKeyIdOf(tenant);
      },
    },
    cacheLimitTtl: options.cacheTtlSeconds,
    cache: firstPutWinsCache(options),
  });
}

/**
 * The keyring's cache of branch key materials, except that a put finding a live entry (younger than the
 * keyring's TTL) keeps it. The keyring only looks a key up when its entry is missing or expired, so a live
 * entry at put time was cached by a concurrent caller of the same shared lookup; replacing it would zero
 * its key (the cache zeroes what it drops) while that caller may still be about to use it.
 */
function firstPutWinsCache({ cacheTtlSeconds, cacheSize }: TenantKeyringOptions) {
  const cache = getLocalCryptographicMaterialsCache<NodeAlgorithmSuite>(cacheSize);
  return {
    ...cache,
    putBranchKeyMaterial(...[key, material, maxAge]: Parameters<typeof cache.putBranchKeyMaterial>) {
      const current = cache.getBranchKeyMaterial(key);
      if (current && Date.now() - current.now <= cacheTtlSeconds * 1000) return;
      cache.putBranchKeyMaterial(key, material, maxAge);
    },
  };
}
