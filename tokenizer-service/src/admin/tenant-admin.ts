// The security team's tenant operations: onboard (a branch key, then the record), rotate, and the
// two-step crypto-shred (schedule, then execute after the waiting period; cancellable). Every action is
// conditional on the tenant record's revision and leaves an audit item. See docs/key-administration.md.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BranchKeyStoreNode } from '@aws-crypto/client-node';
import { branchKeyIdOf } from '../adapters/key-store-table.js';
import {
  type Clock,
  TenantChangedError,
  TenantExistsError,
  type TenantRecord,
  type TenantRegistry,
} from '../domain/ports.js';
import type { AdminAction, AdminAuditTrail, AuditDetails, AuditItem } from './audit-trail.js';
import type { BranchKeyItems, BranchKeySummary } from './branch-key-items.js';
import { AdminNotFoundError, AdminRefusedError, AdminUsageError } from './exit-codes.js';

/** The tenant names the authorization policy accepts (they appear inside vault keys and branch key ids). */
export const tenantNamePattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface TenantAdminOptions {
  registry: TenantRegistry;
  keyStore: Pick<BranchKeyStoreNode, 'createKey' | 'versionKey'>;
  branchKeys: BranchKeyItems;
  audit: AdminAuditTrail;
  actor: () => Promise<string>;
  clock: Clock;
  /** TENANT_STATE_CACHE_SECONDS: how late a tokenizer instance sees a change of a tenant record. */
  tenantStateCacheSeconds: number;
  /** BRANCH_KEY_CACHE_TTL_SECONDS: how late an instance sees a new active branch key version. */
  branchKeyCacheTtlSeconds: number;
  /** FINGERPRINT_ROTATION_WINDOW_SECONDS: no second rotation while the previous one's window is open. */
  fingerprintWindowSeconds: number;
  /** Waits (rotate waits for every instance to see the rotation record); default a timer. */
  wait?: (milliseconds: number) => Promise<unknown>;
}

export interface TenantDetails {
  record: TenantRecord;
  branchKey: BranchKeySummary;
  audit: AuditItem[];
}

export class TenantAdmin {
  readonly #options: TenantAdminOptions;

  constructor(options: TenantAdminOptions) {
    this.#options = options;
  }

  /**
   * Onboards a tenant: its branch key first, then its record (the tokenizer serves the tenant from the
   * record on). A create interrupted between the two is finished by running it again.
   */
  async create(tenant: string): Promise<TenantRecord> {
    checkTenantName(tenant);
    const { registry, keyStore, branchKeys } = this.#options;
    if (await registry.get(tenant)) throw new AdminRefusedError(`tenant ${tenant} already exists`);
    const branchKeyId = branchKeyIdOf(tenant);
    const existingKey = await branchKeys.summary(branchKeyId);
    if (existingKey.items === 0) {
      await keyStore.createKey({ branchKeyIdentifier: branchKeyId, encryptionContext: { tenant } });
    }
    let record: TenantRecord;
    try {
      record = await registry.create(tenant, this.#options.clock());
    } catch (error) {
      if (error instanceof TenantExistsError) throw new AdminRefusedError(`tenant ${tenant} already exists`);
      throw error;
    }
    const { activeVersion } = await branchKeys.summary(branchKeyId);
    await this.#audit(tenant, 'tenant-created', { branchKeyId, ...(activeVersion ? { activeVersion } : {}) });
    return record;
  }

  list(): Promise<TenantRecord[]> {
    return this.#options.registry.list();
  }

  async show(tenant: string, auditItems = 20): Promise<TenantDetails> {
    const record = await this.#get(tenant);
    const [branchKey, audit] = await Promise.all([
      this.#options.branchKeys.summary(record.branchKeyId),
      this.#options.audit.recent(tenant, auditItems),
    ]);
    return { record, branchKey, audit };
  }

  /**
   * Versions the tenant's branch key: new values are sealed under the new version (once each tokenizer's
   * cache of the active version expires), earlier ones keep decrypting. The record (previous version,
   * rotation time) is written first and the new version made TENANT_STATE_CACHE_SECONDS later, so no
   * instance uses the new version before it knows to look up deterministic tokens under the previous
   * one. Refused while the previous rotation's fingerprint window is open: lookups only try the previous
   * version, so a second rotation would silently change deterministic tokens not yet re-encrypted.
   * A rotation interrupted between the record and the new version is finished by running it again.
   */
  async rotate(tenant: string): Promise<TenantRecord> {
    let record = await this.#get(tenant);
    requireStatus(record, 'active', 'rotate');
    const { activeVersion } = await this.#options.branchKeys.summary(record.branchKeyId);
    if (!activeVersion) throw new Error(`tenant ${tenant} has no active branch key in the key store`);
    const interrupted = record.previousKeyVersion === activeVersion;
    if (record.rotatedAt && !interrupted) {
      const windowEnds = new Date(record.rotatedAt.getTime() + this.#options.fingerprintWindowSeconds * 1000);
      if (this.#options.clock() < windowEnds) {
        throw new AdminRefusedError(
          `tenant ${tenant} was rotated at ${record.rotatedAt.toISOString()}: its deterministic tokens are looked up under the previous version until ${windowEnds.toISOString()}; re-encrypt the tenant and rotate after that`,
        );
      }
    }
    if (!interrupted) {
      record = await this.#update(record, {
        previousKeyVersion: activeVersion,
        rotatedAt: this.#options.clock(),
      });
    }
    await (this.#options.wait ?? sleep)(this.#options.tenantStateCacheSeconds * 1000);
    await this.#options.keyStore.versionKey({ branchKeyIdentifier: record.branchKeyId });
    const { activeVersion: newVersion } = await this.#options.branchKeys.summary(record.branchKeyId);
    await this.#audit(tenant, 'key-rotated', {
      previousKeyVersion: activeVersion,
      ...(newVersion ? { activeVersion: newVersion } : {}),
    });
    return record;
  }

  /**
   * When every tokenizer instance uses the version made by the tenant's latest rotation: the record's
   * wait, then one branch key cache time. Moving deterministic tokens to it earlier would hide them from
   * an instance still fingerprinting under the previous version.
   */
  rotationSettledAt(record: TenantRecord): Date | undefined {
    if (!record.rotatedAt) return undefined;
    const { tenantStateCacheSeconds, branchKeyCacheTtlSeconds } = this.#options;
    return new Date(record.rotatedAt.getTime() + (tenantStateCacheSeconds + branchKeyCacheTtlSeconds) * 1000);
  }

  /** Suspends the tenant now (403 tenant-suspended within TENANT_STATE_CACHE_SECONDS) and sets the shred date. */
  async scheduleShred(tenant: string, waitingSeconds: number): Promise<TenantRecord> {
    // Every instance sees the suspension, then drops the branch key it cached, before the shred.
    const minimum = this.#options.tenantStateCacheSeconds + this.#options.branchKeyCacheTtlSeconds;
    if (!Number.isSafeInteger(waitingSeconds) || waitingSeconds < minimum) {
      throw new AdminUsageError(
        `the waiting period must be at least ${minimum} seconds (BRANCH_KEY_CACHE_TTL_SECONDS + TENANT_STATE_CACHE_SECONDS)`,
      );
    }
    const record = await this.#get(tenant);
    requireStatus(record, 'active', 'schedule the shred of');
    // Values in the legacy format are sealed under the vault key, which the shred does not delete.
    if (!record.legacyRetired) {
      throw new AdminRefusedError(
        `tenant ${tenant} may still have values in the legacy format (the vault key, which a shred does not delete): run reencrypt ${tenant} first`,
      );
    }
    const shredAfter = new Date(this.#options.clock().getTime() + waitingSeconds * 1000);
    const updated = await this.#update(record, { status: 'shred_scheduled', shredAfter });
    await this.#audit(tenant, 'shred-scheduled', { shredAfter: shredAfter.toISOString(), waitingSeconds });
    return updated;
  }

  async cancelShred(tenant: string): Promise<TenantRecord> {
    const record = await this.#get(tenant);
    requireStatus(record, 'shred_scheduled', 'cancel the shred of');
    const updated = await this.#update(record, { status: 'active', shredAfter: null });
    await this.#audit(tenant, 'shred-cancelled', {});
    return updated;
  }

  /**
   * Deletes every key store item of the tenant's branch key (every version: nothing can unwrap its data
   * keys any more), then marks the record shredded. Interrupted, it is run again: the record stays
   * `shred_scheduled` until the key store holds nothing of the tenant.
   */
  async shred(tenant: string): Promise<TenantRecord> {
    const record = await this.#get(tenant);
    requireStatus(record, 'shred_scheduled', 'shred');
    const now = this.#options.clock();
    if (!record.shredAfter || now < record.shredAfter) {
      throw new AdminRefusedError(
        `tenant ${tenant} may be shredded from ${record.shredAfter?.toISOString() ?? '(no date)'} on`,
      );
    }
    await this.#audit(tenant, 'shred-started', { branchKeyId: record.branchKeyId });
    const deleted = await this.#options.branchKeys.deleteAll(record.branchKeyId);
    const updated = await this.#update(record, { status: 'shredded', shreddedAt: this.#options.clock() });
    await this.#audit(tenant, 'tenant-shredded', {
      branchKeyId: record.branchKeyId,
      keyStoreItemsDeleted: deleted,
    });
    return updated;
  }

  /** Written by the re-encryption job at the end of its pass. */
  async recordAction(tenant: string, action: AdminAction, details: AuditDetails): Promise<void> {
    await this.#audit(tenant, action, details);
  }

  async #get(tenant: string): Promise<TenantRecord> {
    checkTenantName(tenant);
    const record = await this.#options.registry.get(tenant);
    if (!record) throw new AdminNotFoundError(`no tenant ${tenant}`);
    return record;
  }

  async #update(
    record: TenantRecord,
    changes: Parameters<TenantRegistry['update']>[1],
  ): Promise<TenantRecord> {
    try {
      return await this.#options.registry.update(record, changes);
    } catch (error) {
      if (error instanceof TenantChangedError) {
        throw new AdminRefusedError(
          `tenant ${record.tenant} changed while this command ran (another admin?): run show and decide again`,
        );
      }
      throw error;
    }
  }

  async #audit(tenant: string, action: AdminAction, details: AuditDetails): Promise<void> {
    await this.#options.audit.record({
      tenant,
      action,
      actor: await this.#options.actor(),
      at: this.#options.clock(),
      details,
    });
  }
}

export function checkTenantName(tenant: string): void {
  if (!tenantNamePattern.test(tenant)) {
    throw new AdminUsageError(
      'a tenant is 1-63 lowercase letters, digits and hyphens, starting with a letter or digit',
    );
  }
}

function requireStatus(record: TenantRecord, status: TenantRecord['status'], action: string): void {
  if (record.status !== status) {
    throw new AdminRefusedError(`cannot ${action} tenant ${record.tenant}: it is ${record.status}`);
  }
}
