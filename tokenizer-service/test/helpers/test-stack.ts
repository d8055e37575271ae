// Builds the tokenizer app for a test with its production adapters, against the run's DynamoDB Local,
// a fresh table, and an in-process local KMS; every log line (audit lines included) and every response
// is kept for the secrets scans. Requests are signed with SigV4 and verified by the app as on the local
// stack.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CreateTableCommand, DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type LocalKms, startLocalKms } from '@tokenization/local-aws/local-kms';
import {
  testDynamoDbClient,
  testDynamoDbEndpoint,
  uniqueTableName,
} from '@tokenization/local-aws/test-support/dynamodb';
import { recordLogLines } from '@tokenization/local-aws/test-support/log-capture';
import {
  operationOfPath,
  recordResponse,
  recordResponsesOf,
} from '@tokenization/local-aws/test-support/response-capture';
import { testCardNumbers } from '@tokenization/local-aws/test-support/test-cards';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import { DynamoDbTenantRegistry } from '../../src/adapters/dynamodb-tenant-registry.js';
import { keyStoreTableDefinition } from '../../src/adapters/key-store-table.js';
import type { SingleFlightBranchKeyStore } from '../../src/adapters/tenant-keyring.js';
import { vaultTableDefinition } from '../../src/adapters/vault-table.js';
import { buildApp } from '../../src/app.js';
import type { AuthorizationPolicyDocument } from '../../src/auth/authorization-policy.js';
import { sigV4Authenticator } from '../../src/auth/sigv4-authenticator.js';
import { loadConfig, type TokenizerConfig } from '../../src/config.js';
import { TenantExistsError } from '../../src/domain/ports.js';
import type { ResolveHost } from '../../src/forwarding/destination-client.js';
import { createAuditLogger, createLogger } from '../../src/logging.js';
import { createDependencies, createForwarding } from '../../src/wiring.js';
import {
  adminKeyStore,
  branchKeyKmsKeyArn,
  createBranchKey,
  testKeyStoreLogicalName,
} from './tenant-keys.js';
import {
  allPermissions,
  credentialsOf,
  injectSigned,
  policyFor,
  type SigningOptions,
  type TestCaller,
  testCaller,
  testRegion,
} from './test-callers.js';

export { type RequestToSign, type SigningCredentials, signRequest } from './sigv4-signing.js';
export {
  allPermissions,
  credentialsOf,
  type Grant,
  injectSigned,
  policyFor,
  type SigningOptions,
  type TestCaller,
  testCaller,
  testCallerNamed,
  testCredentials,
  testHost,
  testRegion,
} from './test-callers.js';

// The default credential chain of the production wiring finds these.
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

/** Every log line any app of this test process wrote. */
export const capturedLogLines: string[] = [];

/** Keeps log lines for this file's scan, and records them for the scan of the whole run (tap-after.ts). */
export function captureLogLines(lines: readonly string[]): void {
  capturedLogLines.push(...lines);
  recordLogLines(lines);
}

const logSink = new Writable({
  write(chunk, _encoding, callback) {
    captureLogLines(String(chunk).split('\n').filter(Boolean));
    callback();
  },
});

/** One stack's audit lines: captured with every other line, and parsed into `events`. */
function auditSink(events: AuditLine[]): Writable {
  return new Writable({
    write(chunk, _encoding, callback) {
      const lines = String(chunk).split('\n').filter(Boolean);
      captureLogLines(lines);
      events.push(...lines.map((line) => JSON.parse(line) as AuditLine));
      callback();
    },
  });
}

/** An audit event as written: the AuditEvent fields plus `audit`, `level`, `time` and `msg`. */
export type AuditLine = Record<string, unknown>;

export interface TestStack {
  app: FastifyInstance;
  /** Sends a request to the app as the test caller, signed with SigV4. */
  inject: (options: InjectOptions) => Promise<LightMyRequestResponse>;
  /** Sends a request signed as another caller, or at another time. */
  injectAs: (
    caller: TestCaller,
    options: InjectOptions,
    signing?: SigningOptions,
  ) => Promise<LightMyRequestResponse>;
  /** The test caller's tenant in this stack. */
  tenant: string;
  /** The audit events this stack's app wrote, in order. */
  auditEvents: AuditLine[];
  kms: LocalKms;
  dynamoDb: DynamoDBClient;
  tableName: string;
  config: TokenizerConfig;
  /** The tenant records of this stack's table (the admin's view: change a tenant's state with it). */
  tenantRegistry: DynamoDbTenantRegistry;
  /** The branch key store as the key administrator sees it (versionKey rotates a tenant's key). */
  keyStore: SingleFlightBranchKeyStore;
  keyStoreTableName: string;
}

export interface TestStackOptions {
  /** Shares another stack's table and KMS (e.g. a second tenant on the same vault). */
  shareWith?: TestStack;
  env?: Record<string, string>;
  /** Replaces the wall clock (expiry tests move time forward). */
  clock?: () => Date;
  /** The SigV4 verifier's now (default the wall clock), for requests signed at a fixed date. */
  authenticationClock?: () => Date;
  /** The tenant the test caller acts for (default `default`), e.g. a second tenant with `shareWith`. */
  tenant?: string;
  /** The authorization policy; default: the test caller with every permission on `tenant`. */
  policy?: AuthorizationPolicyDocument;
  /** Whose SigV4 keys the app accepts; default: the test caller's. */
  callers?: readonly TestCaller[];
  /** A DynamoDB Local of the test's own (to stop it mid-test); default: the run's, or `shareWith`'s. */
  dynamoDbEndpoint?: string;
  /**
   * A connections document, written to a file of the test's own (CONNECTIONS_FILE) beside the secret
   * files named in `secretFiles`; loopback destinations are allowed unless `env` says otherwise.
   */
  connections?: { connections: unknown[] };
  /** Secret files beside the connections file, by name (`file:<name>` references). */
  secretFiles?: Record<string, string>;
  /** Replaces the DNS resolver of the destination client (a host that resolves to a chosen address). */
  resolveHost?: ResolveHost;
  /**
   * Writes an active tenant record and creates a branch key for every tenant of the policy (default
   * true), as onboarding does.
   */
  onboard?: boolean;
}

export async function createTestStack(t: Test, options: TestStackOptions = {}): Promise<TestStack> {
  const dynamoDbEndpoint =
    options.dynamoDbEndpoint ?? options.shareWith?.config.DYNAMODB_ENDPOINT ?? testDynamoDbEndpoint();
  const dynamoDb = options.shareWith?.dynamoDb ?? testDynamoDbClient(dynamoDbEndpoint);
  // The vault key (legacy format) and the branch keys' KMS key.
  const kms = options.shareWith?.kms ?? (await startLocalKms({ keys: 2 }));
  const tableName = options.shareWith?.tableName ?? uniqueTableName('vault');
  const keyStoreTableName = options.shareWith?.keyStoreTableName ?? uniqueTableName('branch-keys');
  if (!options.shareWith) {
    await dynamoDb.send(new CreateTableCommand(vaultTableDefinition(tableName)));
    await dynamoDb.send(new CreateTableCommand(keyStoreTableDefinition(keyStoreTableName)));
    t.teardown(async () => {
      await dynamoDb.send(new DeleteTableCommand({ TableName: tableName }));
      await dynamoDb.send(new DeleteTableCommand({ TableName: keyStoreTableName }));
      dynamoDb.destroy();
      await kms.close();
    });
  }
  const env = { ...(await connectionsEnv(t, options)), ...options.env };
  const tenant = options.tenant ?? 'default';
  const policy = options.policy ?? policyFor([{ caller: testCaller, tenant, permissions: allPermissions }]);
  const config = loadConfig({
    AWS_REGION: testRegion,
    TOKEN_VAULT_TABLE_NAME: tableName,
    KMS_KEY_ARN: kms.keyArn,
    DYNAMODB_ENDPOINT: dynamoDbEndpoint,
    KMS_ENDPOINT: kms.endpoint,
    KEY_STORE_TABLE_NAME: keyStoreTableName,
    BRANCH_KEY_KMS_KEY_ARN: branchKeyKmsKeyArn(kms),
    KEY_STORE_LOGICAL_NAME: testKeyStoreLogicalName,
    // Generous: DynamoDB Local on a loaded 2-core machine can take over a second to accept a connection.
    DEPENDENCY_TIMEOUT_MS: '3000',
    AUTHORIZATION_POLICY: JSON.stringify(policy),
    ...env,
  });
  const tenantRegistry = new DynamoDbTenantRegistry({ client: dynamoDb, tableName });
  const keyStore =
    options.shareWith?.keyStore ?? adminKeyStore(t, { kms, dynamoDb, tableName: keyStoreTableName });
  if (options.onboard !== false) {
    // A policy a test made malformed on purpose is left for the app to refuse.
    const principals = Array.isArray(policy.principals) ? policy.principals : [];
    const tenants = [tenant, ...principals.map((principal) => principal.tenant)];
    await onboard(tenantRegistry, tenants);
    for (const each of new Set(tenants)) {
      await createBranchKey(keyStore, each, { dynamoDb, tableName: keyStoreTableName });
    }
  }
  const auditEvents: AuditLine[] = [];
  const deps = createDependencies(config, createLogger('trace', logSink), {
    ...(options.clock ? { clock: options.clock } : {}),
    // The local stack's verifier, on the wall clock whatever `clock` the vault gets.
    authenticate: sigV4Authenticator({
      credentials: credentialsOf(options.callers ?? [testCaller]),
      region: config.AWS_REGION,
      clock: options.authenticationClock ?? (() => new Date()),
    }),
    auditLogger: createAuditLogger(auditSink(auditEvents)),
  });
  if (options.resolveHost) deps.forwarding = createForwarding(config, options.resolveHost);
  const app = buildApp(options.clock ? { ...deps, clock: options.clock } : deps);
  recordResponsesOf(app, 'tokenizer app');
  t.teardown(() => app.close());
  await app.ready();
  const injectAs = async (caller: TestCaller, request: InjectOptions, signing?: SigningOptions) => {
    const response = await injectSigned(app, caller, request, signing);
    // Also as received: Fastify answers some requests (unroutable URLs) without running the app's hooks.
    const method = String(request.method ?? 'GET');
    const operation = operationOfPath(method, String(request.url));
    recordResponse({
      source: 'tokenizer test client',
      method,
      ...(operation ? { operation } : {}),
      status: response.statusCode,
      body: response.body,
    });
    return response;
  };
  const inject = (request: InjectOptions) => injectAs(testCaller, request);
  return {
    app,
    inject,
    injectAs,
    tenant,
    auditEvents,
    kms,
    dynamoDb,
    tableName,
    config,
    tenantRegistry,
    keyStore,
    keyStoreTableName,
  };
}

/** An active record for each tenant that has none yet (a stack sharing a table finds some written). */
async function onboard(registry: DynamoDbTenantRegistry, tenants: readonly string[]): Promise<void> {
  for (const tenant of new Set(tenants)) {
    await registry.create(tenant, new Date()).catch((error: unknown) => {
      if (!(error instanceof TenantExistsError)) throw error;
    });
  }
}

/** CONNECTIONS_FILE for a test's connections, in a directory removed after the test. */
async function connectionsEnv(t: Test, options: TestStackOptions): Promise<Record<string, string>> {
  if (!options.connections) return {};
  const directory = await mkdtemp(join(tmpdir(), 'tokenizer-connections-'));
  t.teardown(() => rm(directory, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(options.secretFiles ?? {})) {
    await writeFile(join(directory, name), content);
  }
  const file = join(directory, 'connections.json');
  await writeFile(file, JSON.stringify(options.connections));
  return { CONNECTIONS_FILE: file, ALLOW_LOOPBACK_DESTINATIONS: 'true' };
}

/** Card numbers the tests submit (one list for every suite); none may ever appear in a log line. */
export { testCardNumbers };

/** Call last in a test file: fails if any captured log line holds a test card number. */
export function assertNoCardNumberLogged(t: Test): void {
  t.test('no test card number appears in any log line', async (t) => {
    t.ok(capturedLogLines.length > 0, 'logs were captured');
    const leaks = capturedLogLines.filter((line) => testCardNumbers.some((card) => line.includes(card)));
    t.same(leaks, [], 'no log line contains a card number');
  });
}
