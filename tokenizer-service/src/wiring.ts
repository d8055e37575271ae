import { dirname, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from 'pino';
import { DynamoDbRateWindowCounter } from './adapters/dynamodb-rate-window-counter.js';
import { DynamoDbTenantRegistry } from './adapters/dynamodb-tenant-registry.js';
import { DynamoDbVaultStore } from './adapters/dynamodb-vault-store.js';
import { createKmsClient } from './adapters/kms-client.js';
import type { AppDependencies } from './app.js';
import { AuthorizationPolicy } from './auth/authorization-policy.js';
import type { TokenizerConfig } from './config.js';
import type { Clock } from './domain/ports.js';
import { TenantStates } from './domain/tenant-states.js';
import { addressGuard } from './forwarding/address-guard.js';
import { Connections } from './forwarding/connections.js';
import { destinationClient, type ResolveHost } from './forwarding/destination-client.js';
import { SecretStore } from './forwarding/secrets.js';
import { secretsManagerFetch } from './forwarding/secrets-manager.js';
import { createVaultCrypto } from './vault-crypto.js';

/**
 * What differs between the entries: how callers are authenticated (SigV4 locally, API Gateway's identity
 * on Lambda, so the Lambda bundle holds no dev-only verifier) and where audit events go; tests may also
 * replace the clock (default the wall clock) of everything wired here.
 */
export type EntryDependencies = Pick<AppDependencies, 'authenticate' | 'auditLogger'> & { clock?: Clock };

/** Wires the production adapters (DynamoDB, the tenants' keys) and the authorization policy from a validated config. */
export function createDependencies(
  config: TokenizerConfig,
  logger: Logger,
  entry: EntryDependencies,
): AppDependencies {
  // Fail fast rather than hang when a dependency is down: the client answers 503 and retries later.
  const clientConfig = {
    region: config.AWS_REGION,
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: config.DEPENDENCY_TIMEOUT_MS,
      requestTimeout: config.DEPENDENCY_TIMEOUT_MS,
    },
  };
  const dynamoDb = new DynamoDBClient({
    ...clientConfig,
    // One client per process, its middleware stack resolved once per command type rather than on every
    // call (nothing adds middleware to it later): about a third of the client's CPU per call.
    cacheMiddleware: true,
    ...(config.DYNAMODB_ENDPOINT ? { endpoint: config.DYNAMODB_ENDPOINT } : {}),
  });
  const kms = createKmsClient({
    ...clientConfig,
    ...(config.KMS_ENDPOINT ? { endpoint: config.KMS_ENDPOINT } : {}),
  });
  const clock = entry.clock ?? (() => new Date());
  const tenantStates = new TenantStates({
    registry: new DynamoDbTenantRegistry({ client: dynamoDb, tableName: config.TOKEN_VAULT_TABLE_NAME }),
    cacheSeconds: config.TENANT_STATE_CACHE_SECONDS,
    clock,
  });
  const { cipher, fingerprinter } = createVaultCrypto(config, {
    dynamoDb,
    kms,
    tenants: tenantStates,
    clock,
  });
  return {
    store: new DynamoDbVaultStore({ client: dynamoDb, tableName: config.TOKEN_VAULT_TABLE_NAME }),
    fingerprinter,
    cipher,
    tenantStates,
    logger,
    ...entry,
    clock,
    policy: AuthorizationPolicy.fromConfig(config),
    rateWindows: new DynamoDbRateWindowCounter({
      client: dynamoDb,
      tableName: config.TOKEN_VAULT_TABLE_NAME,
    }),
    deterministicTokenizationsPerMinute: config.DETERMINISTIC_TOKENIZATIONS_PER_MINUTE,
    bodyLimit: config.BODY_LIMIT_BYTES,
    retryAfterSeconds: config.RETRY_AFTER_SECONDS,
    metrics: { namespace: config.METRICS_NAMESPACE, serviceName: config.METRICS_SERVICE_NAME },
    verifyMismatchLimit: config.VERIFY_MISMATCH_LIMIT,
    forwarding: createForwarding(config),
  };
}

/**
 * The connections (validated now: a bad file stops the service), their secrets, and the guarded client
 * that reaches destinations. `resolveHost` replaces the DNS resolver (tests).
 */
export function createForwarding(
  config: TokenizerConfig,
  resolveHost?: ResolveHost,
): AppDependencies['forwarding'] {
  const file = config.CONNECTIONS_FILE;
  const secrets = new SecretStore({
    baseDirectory: file ? dirname(resolve(file)) : process.cwd(),
    secretsManager: secretsManagerFetch({
      region: config.AWS_REGION,
      timeoutMs: config.DEPENDENCY_TIMEOUT_MS,
    }),
  });
  const allowLoopback = config.ALLOW_LOOPBACK_DESTINATIONS;
  const connections = file
    ? Connections.fromFile(file, { allowLoopback, baseUrlOverrides: config.CONNECTION_BASE_URLS, secrets })
    : Connections.none();
  const allowAddress = addressGuard({ allowLoopback });
  return {
    connections,
    secrets,
    send: destinationClient({ allowAddress, ...(resolveHost ? { resolve: resolveHost } : {}) }),
  };
}
