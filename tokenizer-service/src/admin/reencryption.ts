// Re-encrypts every token item of a tenant in place, into its active branch key version: items in the
// legacy format (the vault key), items sealed under an older version, and deterministic tokens whose
// fingerprint is the legacy or previous version's. Safe while traffic runs: each write is conditional on
// the ciphertext that was read and touches only ciphertext, key version and fingerprint, so a concurrent
// use, verify count or delete is never lost or undone. Resumable (checkpoint file), rate-limited, with
// progress. See docs/key-administration.md, "Re-encryption".
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDbVaultMaintenance, StoredToken } from '../adapters/dynamodb-vault-maintenance.js';
import { IntegrityError } from '../domain/errors.js';
import type {
  Fingerprinter,
  TenantRecord,
  TenantRegistry,
  ValueCipher,
  VaultRecord,
} from '../domain/ports.js';
import { tokenFactsDigest } from '../domain/token-facts.js';
import { fingerprintScope } from '../domain/vault.js';
import type { BranchKeyItems } from './branch-key-items.js';
import { CheckpointWriter, type ReencryptionCheckpoint, readCheckpoint } from './checkpoint.js';
import { AdminNotFoundError, AdminRefusedError, AdminUsageError } from './exit-codes.js';
import { type ProgressReporter, silentProgress } from './progress.js';
import { RateLimiter } from './rate-limiter.js';
import { checkTenantName } from './tenant-admin.js';

export interface ReencryptionCounts {
  /** Token items of the tenant looked at. */
  examined: number;
  /** Already under the active version (ciphertext and fingerprint). */
  current: number;
  /** Rewritten (with --dry-run: would be). */
  reencrypted: number;
  /** Deleted (or expired) between the scan and the write: skipped. */
  vanished: number;
  /** Could not be moved (an integrity failure, a fingerprint held by another token): left as they are. */
  failed: number;
  /** Items left in the legacy format (failed ones; with --dry-run, every legacy item found). */
  legacyRemaining: number;
}

export interface ReencryptionRequest {
  tenant: string;
  /** Items per second, across all segments. */
  rate: number;
  /** Parallel scan segments (and so concurrent items). */
  segments: number;
  /** Where to keep (and resume from) the per-segment scan position. */
  checkpointPath?: string;
  /** Count what would change; write nothing (no checkpoint either). */
  dryRun?: boolean;
}

export interface ReencryptionResult {
  tenant: string;
  targetVersion: string;
  dryRun: boolean;
  /** The counting pass's total (the progress bar's). */
  total: number;
  counts: ReencryptionCounts;
  /** This pass left no item in the legacy format, and the tenant record now says so. */
  legacyRetired: boolean;
  resumed: boolean;
}

/** The cipher and fingerprinter the job seals with: made fresh for each run, so no cache predates a rotation. */
export interface ReencryptionCrypto {
  cipher: Pick<ValueCipher, 'encrypt' | 'decrypt'>;
  fingerprinter: Pick<Fingerprinter, 'fingerprints'>;
}

export interface ReencryptionJobOptions {
  maintenance: DynamoDbVaultMaintenance;
  registry: TenantRegistry;
  branchKeys: BranchKeyItems;
  crypto: () => ReencryptionCrypto;
  /** When every tokenizer instance uses the version of the tenant's latest rotation (TenantAdmin). */
  settledAt: (record: TenantRecord) => Date | undefined;
  clock: () => Date;
  progress?: ProgressReporter;
  /** Writes the audit item of a finished pass (not for dry runs). */
  audit: (tenant: string, details: Record<string, string | number | boolean>) => Promise<void>;
  /** Tests: runs before each item is rewritten (to interleave concurrent traffic deterministically). */
  beforeRewrite?: (token: string) => Promise<void>;
}

/** Rewrites lost to a concurrent write are read again and retried this many times. */
const maxAttempts = 5;

type Outcome = 'current' | 'reencrypted' | 'vanished' | 'failed';

export class ReencryptionJob {
  readonly #options: ReencryptionJobOptions;

  constructor(options: ReencryptionJobOptions) {
    this.#options = options;
  }

  async run(request: ReencryptionRequest): Promise<ReencryptionResult> {
    const { tenant, segments, dryRun = false } = request;
    checkTenantName(tenant);
    if (!Number.isSafeInteger(segments) || segments < 1 || segments > 64) {
      throw new AdminUsageError('segments must be an integer from 1 to 64');
    }
    const limiter = new RateLimiter({ perSecond: request.rate });
    const record = await this.#options.registry.get(tenant);
    if (!record) throw new AdminNotFoundError(`no tenant ${tenant}`);
    if (record.status !== 'active') {
      throw new AdminRefusedError(`cannot re-encrypt tenant ${tenant}: it is ${record.status}`);
    }
    const settledAt = this.#options.settledAt(record);
    if (settledAt && this.#options.clock() < settledAt) {
      throw new AdminRefusedError(
        `tenant ${tenant} was rotated at ${record.rotatedAt?.toISOString()}: re-encrypt from ${settledAt.toISOString()} on, when every tokenizer instance uses the new version`,
      );
    }
    const { activeVersion } = await this.#options.branchKeys.summary(record.branchKeyId);
    if (!activeVersion) throw new Error(`tenant ${tenant} has no active branch key in the key store`);

    const saved =
      request.checkpointPath && !dryRun
        ? await readCheckpoint<ReencryptionCounts>(request.checkpointPath)
        : undefined;
    if (saved && (saved.tenant !== tenant || saved.segments.length !== segments)) {
      throw new AdminUsageError(
        `the checkpoint is for tenant ${saved.tenant} with ${saved.segments.length} segments: use the same, or another file`,
      );
    }
    // A rotation since the checkpoint: the items it passed may be behind again, so start over.
    const resumed = saved !== undefined && saved.targetVersion === activeVersion;
    const checkpoint: ReencryptionCheckpoint<ReencryptionCounts> = resumed
      ? saved
      : {
          format: 'tokenizer-reencryption/1',
          tenant,
          targetVersion: activeVersion,
          segments: Array.from({ length: segments }, () => ({ done: false })),
          total: await this.#options.maintenance.countTokens(tenant, segments),
          counts: { examined: 0, current: 0, reencrypted: 0, vanished: 0, failed: 0, legacyRemaining: 0 },
        };
    const writer =
      request.checkpointPath && !dryRun
        ? new CheckpointWriter<ReencryptionCounts>(request.checkpointPath)
        : undefined;
    await writer?.save(checkpoint);

    const progress = this.#options.progress ?? silentProgress;
    const { counts } = checkpoint;
    progress.start(checkpoint.total, counts.examined);
    const crypto = this.#options.crypto();
    const context: PassContext = { tenant, record, targetVersion: activeVersion, dryRun, crypto, limiter };
    // The first failure stops every segment (at an item boundary) before it is rethrown: nothing keeps
    // writing after the job has ended, and the checkpoint holds the last page each segment completed.
    let failure: { error: unknown } | undefined;
    try {
      await Promise.all(
        checkpoint.segments.map(async (segment, index) => {
          try {
            while (!segment.done && !failure) {
              const page = await this.#options.maintenance.scanTokens(tenant, index, segments, segment.after);
              for (const stored of page.tokens) {
                if (failure) return;
                const outcome = await this.#process(context, stored);
                counts.examined++;
                counts[outcome]++;
                if (isLegacyLeft(stored, outcome, dryRun)) counts.legacyRemaining++;
                progress.update(counts.examined, { ...counts });
              }
              if (page.next) segment.after = page.next as Record<string, AttributeValue>;
              else {
                delete segment.after;
                segment.done = true;
              }
              await writer?.save(checkpoint);
            }
          } catch (error) {
            failure ??= { error };
          }
        }),
      );
    } finally {
      progress.stop();
    }
    if (failure) throw failure.error;

    // The pass is complete: a later run starts a new one rather than resuming a finished one.
    await writer?.remove();
    const legacyRetired = !dryRun && counts.legacyRemaining === 0;
    if (legacyRetired && !record.legacyRetired) await this.#retireLegacy(tenant);
    if (!dryRun) {
      await this.#options.audit(tenant, {
        targetVersion: activeVersion,
        ...counts,
        legacyRetired,
      });
    }
    return {
      tenant,
      targetVersion: activeVersion,
      dryRun,
      total: checkpoint.total,
      counts,
      legacyRetired,
      resumed,
    };
  }

  async #process(context: PassContext, stored: StoredToken): Promise<Outcome> {
    const { tenant, dryRun } = context;
    let record: VaultRecord | IntegrityError | undefined = stored.record;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (attempt > 0) record = await this.#options.maintenance.getToken(tenant, stored.token);
      if (record === undefined) return 'vanished';
      if (record instanceof IntegrityError) return 'failed';
      if (isCurrent(record, context.targetVersion)) return 'current';
      if (dryRun) return 'reencrypted';
      await context.limiter.take();
      await this.#options.beforeRewrite?.(stored.token);
      const rewrite = await this.#sealAgain(context, record);
      if (rewrite === 'failed') return 'failed';
      const outcome = await this.#options.maintenance.rewrite(rewrite);
      if (outcome === 'rewritten') return 'reencrypted';
      if (outcome === 'fingerprint-taken') return 'failed';
      // changed or contended: read the item again and decide again.
    }
    return 'failed';
  }

  /** Opens the value (the cipher checks tenant, token and facts), seals it under the active version. */
  async #sealAgain(context: PassContext, record: VaultRecord) {
    const { tenant, crypto } = context;
    const key = { tenant, token: record.token };
    let value: string;
    try {
      ({ value } = await crypto.cipher.decrypt(
        { ...key, ...(record.keyVersion !== undefined ? { keyVersion: record.keyVersion } : {}) },
        record.ciphertext,
        tokenFactsDigest(record),
      ));
    } catch (error) {
      if (error instanceof IntegrityError) return 'failed' as const;
      throw error;
    }
    // The fingerprint is one of the token's sealed facts: a new one changes the facts the value is sealed with.
    const fingerprint = record.fingerprint
      ? (await crypto.fingerprinter.fingerprints(tenant, fingerprintScope(record), value)).active
      : undefined;
    const moved: VaultRecord = { ...record, ...(fingerprint ? { fingerprint } : {}) };
    const sealed = await crypto.cipher.encrypt(key, value, tokenFactsDigest(moved));
    if (sealed.keyVersion === undefined) throw new Error('the cipher wrote the legacy format');
    return {
      tenant,
      token: record.token,
      expectedCiphertext: record.ciphertext,
      ciphertext: sealed.ciphertext,
      keyVersion: sealed.keyVersion,
      ...(record.fingerprint && fingerprint && fingerprint !== record.fingerprint
        ? { fingerprint: { from: record.fingerprint, to: fingerprint } }
        : {}),
    };
  }

  async #retireLegacy(tenant: string): Promise<void> {
    // Read again: the record's revision may have moved during a long pass (a rotation refuses a
    // non-active tenant, so only re-reading is needed, not re-deciding).
    const current = await this.#options.registry.get(tenant);
    if (!current || current.legacyRetired) return;
    await this.#options.registry.update(current, { legacyRetired: true });
  }
}

interface PassContext {
  tenant: string;
  record: TenantRecord;
  targetVersion: string;
  dryRun: boolean;
  crypto: ReencryptionCrypto;
  limiter: RateLimiter;
}

/** Sealed under the active version, and (deterministic) fingerprinted under it. */
export function isCurrent(record: VaultRecord, activeVersion: string): boolean {
  if (record.keyVersion !== activeVersion) return false;
  return record.fingerprint === undefined || record.fingerprint.startsWith(`${activeVersion}.`);
}

function isLegacyLeft(stored: StoredToken, outcome: Outcome, dryRun: boolean): boolean {
  const record = stored.record;
  const legacy =
    record instanceof IntegrityError ||
    record.keyVersion === undefined ||
    (record.fingerprint !== undefined && !record.fingerprint.includes('.'));
  if (!legacy) return false;
  return outcome === 'failed' || (dryRun && outcome === 'reencrypted');
}
