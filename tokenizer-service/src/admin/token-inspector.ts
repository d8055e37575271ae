// `inspect <tenant> <token>`: what the security team may know about a token without seeing its value
// or its fingerprint (a fingerprint can confirm a guessed value to whoever holds the key).
import type { DynamoDbVaultStore } from '../adapters/dynamodb-vault-store.js';
import { IntegrityError } from '../domain/errors.js';
import type { Clock, TenantRegistry, ValueCipher } from '../domain/ports.js';
import { tokenFactsDigest } from '../domain/token-facts.js';
import { AdminNotFoundError } from './exit-codes.js';
import { checkTenantName } from './tenant-admin.js';

export interface TokenInspection {
  tenant: string;
  token: string;
  type: string;
  format: string;
  deterministic: boolean;
  card?: { last4: string; brand: string };
  /** active, expired, or exhausted (every use spent). */
  status: 'active' | 'expired' | 'exhausted';
  createdAt: string;
  expiresAt?: string;
  maxUses?: number;
  usesSpent?: number;
  /** `legacy` (the vault key) or `branch-key` (the tenant's branch key version `keyVersion`). */
  storage: 'legacy' | 'branch-key';
  keyVersion?: string;
  /** The key version of a deterministic token's fingerprint (`legacy` for the vault-wide key); never the fingerprint. */
  fingerprintVersion?: string;
  /**
   * `verified`: it decrypts, bound to this tenant, token and facts (the value is dropped at once);
   * `failed`: it does not (tampered or moved); `unrecoverable`: the tenant was shredded.
   */
  integrity: 'verified' | 'failed' | 'unrecoverable';
}

export interface TokenInspectorOptions {
  store: DynamoDbVaultStore;
  registry: Pick<TenantRegistry, 'get'>;
  cipher: () => Pick<ValueCipher, 'decrypt'>;
  clock: Clock;
}

export class TokenInspector {
  readonly #options: TokenInspectorOptions;

  constructor(options: TokenInspectorOptions) {
    this.#options = options;
  }

  async inspect(tenant: string, token: string): Promise<TokenInspection> {
    checkTenantName(tenant);
    const tenantRecord = await this.#options.registry.get(tenant);
    if (!tenantRecord) throw new AdminNotFoundError(`no tenant ${tenant}`);
    let record: Awaited<ReturnType<DynamoDbVaultStore['get']>>;
    try {
      record = await this.#options.store.get({ tenant, token });
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      record = undefined;
    }
    if (!record) throw new AdminNotFoundError(`no token ${token} of tenant ${tenant}`);
    const now = this.#options.clock();
    const exhausted = record.maxUses !== undefined && (record.usesSpent ?? 0) >= record.maxUses;
    let integrity: TokenInspection['integrity'] = 'unrecoverable';
    if (tenantRecord.status !== 'shredded') {
      try {
        await this.#options
          .cipher()
          .decrypt(
            { tenant, token, ...(record.keyVersion !== undefined ? { keyVersion: record.keyVersion } : {}) },
            record.ciphertext,
            tokenFactsDigest(record),
          );
        integrity = 'verified';
      } catch (error) {
        if (!(error instanceof IntegrityError)) throw error;
        integrity = 'failed';
      }
    }
    return {
      tenant,
      token,
      type: record.type,
      format: record.format,
      deterministic: record.fingerprint !== undefined,
      ...(record.card ? { card: { last4: record.card.last4, brand: record.card.brand } } : {}),
      status: record.expiresAt && record.expiresAt <= now ? 'expired' : exhausted ? 'exhausted' : 'active',
      createdAt: record.createdAt.toISOString(),
      ...(record.expiresAt ? { expiresAt: record.expiresAt.toISOString() } : {}),
      ...(record.maxUses !== undefined ? { maxUses: record.maxUses, usesSpent: record.usesSpent ?? 0 } : {}),
      storage: record.keyVersion === undefined ? 'legacy' : 'branch-key',
      ...(record.keyVersion !== undefined ? { keyVersion: record.keyVersion } : {}),
      ...(record.fingerprint !== undefined
        ? { fingerprintVersion: fingerprintVersionOf(record.fingerprint) }
        : {}),
      integrity,
    };
  }
}

/** `<version>.<hmac>` → the version; a legacy fingerprint has no `.`. */
export function fingerprintVersionOf(fingerprint: string): string {
  const dot = fingerprint.indexOf('.');
  return dot < 0 ? 'legacy' : fingerprint.slice(0, dot);
}
