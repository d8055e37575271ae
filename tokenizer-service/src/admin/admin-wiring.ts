// Wires the admin operations to AWS (default credential chain) or the local stack (endpoints from the
// environment), from the admin configuration.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbTenantRegistry } from '../adapters/dynamodb-tenant-registry.js';
import { DynamoDbVaultMaintenance } from '../adapters/dynamodb-vault-maintenance.js';
import { DynamoDbVaultStore } from '../adapters/dynamodb-vault-store.js';
import { createKmsClient } from '../adapters/kms-client.js';
import type { Clock } from '../domain/ports.js';
import { createVaultCrypto } from '../vault-crypto.js';
import { callerActor } from './actor.js';
import { type AdminConfig, isLocalStack } from './admin-config.js';
import { AdminAuditTrail } from './audit-trail.js';
import { BranchKeyItems } from './branch-key-items.js';
import type { ProgressReporter } from './progress.js';
import { ReencryptionJob } from './reencryption.js';
import { TenantAdmin } from './tenant-admin.js';
import { TokenInspector } from './token-inspector.js';

export interface AdminServices {
  tenants: TenantAdmin;
  reencryption: ReencryptionJob;
  inspector: TokenInspector;
  close(): void;
}

export interface AdminWiringOptions {
  progress?: ProgressReporter;
  clock?: Clock;
  /** Tests: see ReencryptionJobOptions.beforeRewrite. */
  beforeRewrite?: (token: string) => Promise<void>;
  /** Items DynamoDB evaluates per scan page (default 500). */
  pageSize?: number;
}

export function createAdminServices(config: AdminConfig, options: AdminWiringOptions = {}): AdminServices {
  const clock = options.clock ?? (() => new Date());
  const region = config.AWS_REGION;
  const dynamoDb = new DynamoDBClient({
    region,
    ...(config.DYNAMODB_ENDPOINT ? { endpoint: config.DYNAMODB_ENDPOINT } : {}),
  });
  const kms = createKmsClient({ region, ...(config.KMS_ENDPOINT ? { endpoint: config.KMS_ENDPOINT } : {}) });
  const tableName = config.TOKEN_VAULT_TABLE_NAME;
  const registry = new DynamoDbTenantRegistry({ client: dynamoDb, tableName });
  const audit = new AdminAuditTrail({ client: dynamoDb, tableName });
  const branchKeys = new BranchKeyItems({ client: dynamoDb, tableName: config.KEY_STORE_TABLE_NAME });
  // Fresh keys for every job: a cache made before a rotation would seal under the version it replaced.
  const crypto = () => createVaultCrypto(config, { dynamoDb, kms, tenants: registry, clock });
  const actor = callerActor({
    region,
    local: isLocalStack(config),
    ...(config.ADMIN_ACTOR ? { localActor: config.ADMIN_ACTOR } : {}),
    ...(config.STS_ENDPOINT ? { stsEndpoint: config.STS_ENDPOINT } : {}),
  });
  const tenants = new TenantAdmin({
    registry,
    keyStore: crypto().keyStore,
    branchKeys,
    audit,
    actor,
    clock,
    tenantStateCacheSeconds: config.TENANT_STATE_CACHE_SECONDS,
    branchKeyCacheTtlSeconds: config.BRANCH_KEY_CACHE_TTL_SECONDS,
    fingerprintWindowSeconds: config.FINGERPRINT_ROTATION_WINDOW_SECONDS,
  });
  const reencryption = new ReencryptionJob({
    maintenance: new DynamoDbVaultMaintenance({
      client: dynamoDb,
      tableName,
      ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    }),
    registry,
    branchKeys,
    crypto,
    settledAt: (record) => tenants.rotationSettledAt(record),
    clock,
    ...(options.progress ? { progress: options.progress } : {}),
    audit: (tenant, details) => tenants.recordAction(tenant, 'reencryption-pass', details),
    ...(options.beforeRewrite ? { beforeRewrite: options.beforeRewrite } : {}),
  });
  const inspector = new TokenInspector({
    store: new DynamoDbVaultStore({ client: dynamoDb, tableName }),
    registry,
    cipher: () => crypto().cipher,
    clock,
  });
  return {
    tenants,
    reencryption,
    inspector,
    close() {
      dynamoDb.destroy();
      kms.destroy();
    },
  };
}
