import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import type { BranchKeyStoreNode } from '@aws-crypto/client-node';
import { isAwsUnavailable } from '@tokenization/service-kit/aws-errors';
import { DependencyUnavailableError } from '../domain/errors.js';
import type { Clock, Fingerprinter, TenantRegistry } from '../domain/ports.js';
import { branchKeyIdOf } from './key-store-table.js';
import type { BranchKeyMaterials } from './tenant-keyring.js';

export interface BranchKeyFingerprinterOptions {
  keyStore: Pick<BranchKeyStoreNode, 'getActiveBranchKey' | 'getBranchKeyVersion'>;
  /** The legacy fingerprints (one vault-wide key), tried until the tenant record says `legacyRetired`. */
  legacy: { existingFingerprint(tenant: string, scope: string, value: string): Promise<string | undefined> };
  /** The tenant records (cached): the previous key version, when it was rotated, `legacyRetired`. */
  tenants: Pick<TenantRegistry, 'get'>;
  clock: Clock;
  /** BRANCH_KEY_CACHE_TTL_SECONDS: how long the active version and each version's HMAC key are kept. */
  cacheTtlSeconds: number;
  /** BRANCH_KEY_CACHE_SIZE: HMAC keys (tenant and version) kept at once. */
  cacheSize: number;
  /** FINGERPRINT_ROTATION_WINDOW_SECONDS: how long after a rotation the previous version's fingerprint is tried. */
  rotationWindowSeconds: number;
}

interface VersionKey {
  version: string;
  key: KeyObject;
}

/**
 * Fingerprints of deterministic tokens with versioned keys: the HMAC key of a tenant's branch key version
 * v is HKDF-SHA-256(branch key material of v, no salt, info `token-fingerprint|<tenant>|<v>`), so rotating
 * the branch key rotates it and shredding the branch key destroys it. A fingerprint is
 * `<v>.<base64url HMAC>` (a legacy one has no `.`), sealed with the token's facts.
 */
export class BranchKeyFingerprinter implements Fingerprinter {
  readonly #options: BranchKeyFingerprinterOptions;
  readonly #active: ExpiringCache<VersionKey>;
  readonly #versions: ExpiringCache<VersionKey>;

  constructor(options: BranchKeyFingerprinterOptions) {
    this.#options = options;
    const ttlMs = options.cacheTtlSeconds * 1000;
    this.#active = new ExpiringCache(ttlMs, options.cacheSize);
    this.#versions = new ExpiringCache(ttlMs, options.cacheSize);
  }

  async fingerprints(
    tenant: string,
    scope: string,
    value: string,
  ): Promise<{ active: string; earlier: string[] }> {
    const { tenants, legacy, clock, rotationWindowSeconds } = this.#options;
    const [active, record] = await Promise.all([this.#activeKey(tenant), tenants.get(tenant)]);
    const earlier: string[] = [];
    const previous = record?.previousKeyVersion;
    if (
      previous !== undefined &&
      previous !== active.version &&
      record?.rotatedAt !== undefined &&
      clock().getTime() < record.rotatedAt.getTime() + rotationWindowSeconds * 1000
    ) {
      earlier.push(fingerprintWith(await this.#versionKey(tenant, previous), tenant, scope, value));
    }
    if (!record?.legacyRetired) {
      const legacyFingerprint = await legacy.existingFingerprint(tenant, scope, value);
      if (legacyFingerprint !== undefined) earlier.push(legacyFingerprint);
    }
    return { active: fingerprintWith(active, tenant, scope, value), earlier };
  }

  /** The active version: a rotation reaches new fingerprints within the cache time, as it reaches new values. */
  #activeKey(tenant: string): Promise<VersionKey> {
    return this.#active.get(tenant, async () => {
      const materials = await keyStoreCall(() =>
        this.#options.keyStore.getActiveBranchKey(branchKeyIdOf(tenant)),
      );
      const versionKey = derived(tenant, materials);
      this.#versions.put(`${tenant}\0${versionKey.version}`, versionKey);
      return versionKey;
    });
  }

  #versionKey(tenant: string, version: string): Promise<VersionKey> {
    return this.#versions.get(`${tenant}\0${version}`, async () =>
      derived(
        tenant,
        await keyStoreCall(() => this.#options.keyStore.getBranchKeyVersion(branchKeyIdOf(tenant), version)),
      ),
    );
  }
}

/** The HMAC key of a branch key version, derived as the class comment says. */
export function fingerprintKeyOf(tenant: string, version: string, branchKey: Uint8Array): KeyObject {
  const info = `token-fingerprint|${tenant}|${version}`;
  return createSecretKey(Buffer.from(hkdfSync('sha256', branchKey, Buffer.alloc(0), info, 32)));
}

function derived(tenant: string, materials: BranchKeyMaterials): VersionKey {
  const version = materials.branchKeyVersion.toString('utf8');
  return { version, key: fingerprintKeyOf(tenant, version, materials.branchKey()) };
}

function fingerprintWith({ version, key }: VersionKey, tenant: string, scope: string, value: string): string {
  const mac = createHmac('sha256', key).update(`${tenant}\0${scope}\0`).update(value).digest('base64url');
  return `${version}.${mac}`;
}

async function keyStoreCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isAwsUnavailable(error)) throw new DependencyUnavailableError('kms', { cause: error });
    throw error;
  }
}

/**
 * Entries kept for `ttlMs` from when they were made, at most `capacity` (the oldest goes first). A lookup
 * in flight is shared; a failed one is not kept.
 */
class ExpiringCache<T> {
  readonly #entries = new Map<string, { madeAt: number; value: Promise<T> }>();

  constructor(
    readonly ttlMs: number,
    readonly capacity: number,
  ) {}

  get(key: string, make: () => Promise<T>): Promise<T> {
    const entry = this.#entries.get(key);
    if (entry && Date.now() - entry.madeAt < this.ttlMs) return entry.value;
    const value = make();
    this.#set(key, value);
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    return value;
  }

  put(key: string, value: T): void {
    this.#set(key, Promise.resolve(value));
  }

  #set(key: string, value: Promise<T>): void {
    this.#entries.delete(key);
    this.#entries.set(key, { madeAt: Date.now(), value });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.capacity) break;
      this.#entries.delete(oldest);
    }
  }
}
