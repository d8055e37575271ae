// Runs the order service for a test as production wires it, on a free port: the real tokenizer (in
// process, on its own free port, with DynamoDB Local and the local KMS) forwarding payments through its
// `payments` connection to the payment processor stand-in (in process, on a free port), a fresh order
// table, and a local user pool signing real JWTs. Every log line and every response of both apps is kept
// for the secrets scans.
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import localPolicy from '@tokenization/local-aws/config/authorization-policy.json' with { type: 'json' };
import {
  type PaymentProcessor,
  type PaymentProcessorLogEntry,
  startPaymentProcessor,
} from '@tokenization/local-aws/payment-processor';
import { readPaymentProcessorApiKey } from '@tokenization/local-aws/payment-processor-api-key';
import {
  testDynamoDbClient,
  testDynamoDbEndpoint,
  uniqueTableName,
} from '@tokenization/local-aws/test-support/dynamodb';
import { recordLogLines } from '@tokenization/local-aws/test-support/log-capture';
import { recordResponse, recordResponsesOf } from '@tokenization/local-aws/test-support/response-capture';
import { holdsNoCardNumber, testCardNumbers } from '@tokenization/local-aws/test-support/test-cards';
import type { Permission } from '@tokenization/tokenizer-service/auth/permissions';
import {
  createTestStack,
  policyFor,
  type TestStack,
  testCaller,
  capturedLogLines as tokenizerLogLines,
} from '@tokenization/tokenizer-service/test-stack';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { orderTableDefinition } from '../../src/adapters/order-table.js';
import { type AppDependencies, buildApp } from '../../src/app.js';
import { loadConfig, type OrderConfig } from '../../src/config.js';
import { verifiedIdTokenAuthenticator } from '../../src/local-authentication.js';
import { createLogger } from '../../src/logging.js';
import { createDependencies } from '../../src/wiring.js';
import { type LocalIdProvider, startLocalIdProvider } from './local-id-provider.js';

/** The local stack's connections file: the `payments` connection as `npm start` runs it. */
const localConnectionsFile = fileURLToPath(
  import.meta.resolve('@tokenization/local-aws/config/connections.json'),
);

/** Every log line the order apps of this test process wrote. */
export const orderLogLines: string[] = [];

const logSink = new Writable({
  write(chunk, _encoding, callback) {
    const lines = String(chunk).split('\n').filter(Boolean);
    orderLogLines.push(...lines);
    // For the scan of the whole run too (tap-after.ts).
    recordLogLines(lines);
    callback();
  },
});

/** The order service signs its tokenizer calls as the tokenizer test stack's caller. */
export const tokenizerTestCredentials = testCaller.credentials;

/**
 * What the tokenizer grants that caller: the order service's entry of the local stack's policy, tenant and
 * permissions (`tokenize`, `verify`, `forward:payments`, `delete`), so these tests prove the service needs
 * no more.
 */
export const orderServiceGrant = (() => {
  const entry = localPolicy.principals.find((p) => p.arn === 'arn:aws:iam::000000000000:role/order-service');
  if (!entry) throw new Error('the local stack policy has no order-service principal');
  return { tenant: entry.tenant, permissions: entry.permissions as Permission[] };
})();

export interface OrderStack {
  app: FastifyInstance;
  baseUrl: string;
  /** Sends a request to the order service over HTTP; `token` goes into the Authorization header. */
  request: (method: string, path: string, options?: RequestOptions) => Promise<TestResponse>;
  tokenizer: TestStack;
  idProvider: LocalIdProvider;
  /** The payment processor stand-in behind the tokenizer's `payments` connection: its ledger and faults. */
  processor: PaymentProcessor;
  /** What the processor logged (brand and last four only). */
  processorLog: PaymentProcessorLogEntry[];
  dynamoDb: DynamoDBClient;
  tableName: string;
  config: OrderConfig;
  /** Every item of the order table, as DynamoDB returns it. */
  orderItems: () => Promise<Record<string, unknown>[]>;
  /** How many tokens the tokenizer's vault holds. */
  vaultTokenCount: () => Promise<number>;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  json: () => Record<string, unknown> & { errors?: { field: string; message: string }[] };
}

export interface OrderStackOptions {
  /** Shares another stack's tokenizer, user pool and order table (a second instance of the service). */
  shareWith?: OrderStack;
  /** Environment for the order service's config. */
  env?: Record<string, string>;
  /** Replaces production dependencies, e.g. to inject faults around the real order store. */
  adapt?: (deps: AppDependencies, config: OrderConfig) => AppDependencies;
  /** The payment processor stand-in's source of random bytes (its charge ids). */
  processorRandomBytes?: (size: number) => Buffer;
}

export async function createOrderStack(t: Test, options: OrderStackOptions = {}): Promise<OrderStack> {
  const shared = options.shareWith;
  const processorLog = shared?.processorLog ?? [];
  const processor =
    shared?.processor ?? (await startProcessor(t, processorLog, options.processorRandomBytes));
  const tokenizer = shared?.tokenizer ?? (await startTokenizer(t, processor));
  const idProvider = shared?.idProvider ?? (await startLocalIdProvider(t));
  const dynamoDb = shared?.dynamoDb ?? testDynamoDbClient();
  const tableName = shared?.tableName ?? uniqueTableName('orders');
  if (!shared) {
    await dynamoDb.send(new CreateTableCommand(orderTableDefinition(tableName)));
    t.teardown(async () => {
      await dynamoDb.send(new DeleteTableCommand({ TableName: tableName }));
      dynamoDb.destroy();
    });
  }
  const tokenizerAddress = tokenizer.app.server.address() as { port: number };
  const config = loadConfig({
    AWS_REGION: 'us-east-1',
    ORDER_TABLE_NAME: tableName,
    TOKENIZER_API_URL: `http://127.0.0.1:${tokenizerAddress.port}`,
    COGNITO_USER_POOL_ID: idProvider.userPoolId,
    COGNITO_CLIENT_ID: idProvider.clientId,
    COGNITO_ENDPOINT: idProvider.endpoint,
    DYNAMODB_ENDPOINT: testDynamoDbEndpoint(),
    TOKENIZER_TIMEOUT_MS: '1000',
    // Generous: DynamoDB Local on a loaded 2-core machine can take over a second to accept a connection.
    DEPENDENCY_TIMEOUT_MS: '3000',
    ...options.env,
  });
  const deps = createDependencies(
    config,
    createLogger('trace', logSink),
    // As server.ts wires it: the ID token verified against the local user pool's JWKS.
    { authenticate: verifiedIdTokenAuthenticator(config) },
    { tokenizerCredentials: tokenizerTestCredentials },
  );
  // Warm its tokenizer client (signer, connection) and the tokenizer's request path with a delete of a
  // token nobody has (404: no error): a first call on a loaded machine can take longer than the 1 s
  // timeout. Neither data key cache is touched: fault tests rely on a cold one.
  if (!options.env?.TOKENIZER_API_URL) await deps.tokenizer.deleteToken('tok_warmup').catch(() => {});
  const app = buildApp(options.adapt ? options.adapt(deps, config) : deps);
  recordResponsesOf(app, 'order app');
  t.teardown(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  return {
    app,
    baseUrl,
    request: (method, path, requestOptions = {}) => send(baseUrl, method, path, requestOptions),
    tokenizer,
    idProvider,
    processor,
    processorLog,
    dynamoDb,
    tableName,
    config,
    orderItems: async () => (await dynamoDb.send(new ScanCommand({ TableName: tableName }))).Items ?? [],
    vaultTokenCount: async () =>
      (
        await tokenizer.dynamoDb.send(
          new ScanCommand({
            TableName: tokenizer.tableName,
            Select: 'COUNT',
            FilterExpression: 'begins_with(pk, :token)',
            ExpressionAttributeValues: { ':token': { S: 'token#' } },
          }),
        )
      ).Count ?? 0,
  };
}

async function startProcessor(
  t: Test,
  log: PaymentProcessorLogEntry[],
  randomBytes?: (size: number) => Buffer,
): Promise<PaymentProcessor> {
  const processor = await startPaymentProcessor({
    apiKey: await readPaymentProcessorApiKey(),
    ...(randomBytes ? { randomBytes } : {}),
    log: (entry) => {
      log.push(entry);
      recordLogLines([JSON.stringify(entry)]);
    },
  });
  t.teardown(() => processor.close());
  return processor;
}

/**
 * The order service's tokenizer: its caller granted what the local policy grants the order service, with
 * the local stack's connections, the `payments` connection sent to `processor`.
 */
export function orderTokenizerOptions(processor: PaymentProcessor) {
  return {
    tenant: orderServiceGrant.tenant,
    policy: policyFor([{ caller: testCaller, ...orderServiceGrant }]),
    env: {
      CONNECTIONS_FILE: localConnectionsFile,
      CONNECTION_PAYMENTS_BASE_URL: processor.url,
      ALLOW_LOOPBACK_DESTINATIONS: 'true',
    },
  };
}

async function startTokenizer(t: Test, processor: PaymentProcessor): Promise<TestStack> {
  const stack = await createTestStack(t, orderTokenizerOptions(processor));
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  return stack;
}

async function send(
  baseUrl: string,
  method: string,
  path: string,
  { token, body, headers = {} }: RequestOptions,
): Promise<TestResponse> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: token }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  // Also as received: Fastify answers some requests (unroutable URLs) without running the app's hooks.
  recordResponse({ source: 'order test client', method, status: response.status, body: text });
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

/** An order as the sample posts it. */
export function sampleOrder(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    CustomerOrder: '123456789',
    CustomerName: 'Amazon Web Services',
    CreditCard: '4111-1111-1111-1111',
    Address: 'Reinvent2019, Las Vegas',
    ...overrides,
  };
}

/**
 * Card numbers the tests submit (digits only; one list for every suite), and the check that a text holds
 * none of them in any form (digits, or grouped by hyphens or spaces as the sample sends them).
 */
export { holdsNoCardNumber, testCardNumbers };

/** Call last in a test file: fails if a log line of either app holds a test card number. */
export function assertNoCardNumberLogged(t: Test): void {
  t.test('no test card number appears in any log line of the order service or the tokenizer', async (t) => {
    t.ok(orderLogLines.length > 0, 'order service logs were captured');
    t.ok(tokenizerLogLines.length > 0, 'tokenizer logs were captured');
    const leaks = [...orderLogLines, ...tokenizerLogLines].filter((line) => !holdsNoCardNumber(line));
    t.same(leaks, [], 'no log line contains a card number');
  });
}
