// Builds the tokenizer app for a test with its production adapters, against the run's DynamoDB Local,
// a fresh table, and an in-process local KMS; every log line is kept for the secrets scan.
import { Writable } from 'node:stream';
import { CreateTableCommand, DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type LocalKms, startLocalKms } from '@tokenization/local-stack/local-kms';
import {
  testDynamoDbClient,
  testDynamoDbEndpoint,
  uniqueTableName,
} from '@tokenization/local-stack/test-support/dynamodb';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import { vaultTableDefinition } from '../../src/adapters/vault-table.js';
import { buildApp } from '../../src/app.js';
import { loadConfig, type TokenizerConfig } from '../../src/config.js';
import { createLogger } from '../../src/logging.js';
import { createDependencies } from '../../src/wiring.js';

// The default credential chain of the production wiring finds these.
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

/** Every log line any app of this test process wrote. */
export const capturedLogLines: string[] = [];

const logSink = new Writable({
  write(chunk, _encoding, callback) {
    capturedLogLines.push(...String(chunk).split('\n').filter(Boolean));
    callback();
  },
});

export interface TestStack {
  app: FastifyInstance;
  /** Sends a request to the app as the test caller. */
  inject: (options: InjectOptions) => Promise<LightMyRequestResponse>;
  kms: LocalKms;
  dynamoDb: DynamoDBClient;
  tableName: string;
  config: TokenizerConfig;
}

export interface TestStackOptions {
  /** Shares another stack's table and KMS (e.g. a second tenant on the same vault). */
  shareWith?: TestStack;
  env?: Record<string, string>;
}

export async function createTestStack(t: Test, options: TestStackOptions = {}): Promise<TestStack> {
  const dynamoDb = options.shareWith?.dynamoDb ?? testDynamoDbClient();
  const kms = options.shareWith?.kms ?? (await startLocalKms());
  const tableName = options.shareWith?.tableName ?? uniqueTableName('vault');
  if (!options.shareWith) {
    await dynamoDb.send(new CreateTableCommand(vaultTableDefinition(tableName)));
    t.teardown(async () => {
      await dynamoDb.send(new DeleteTableCommand({ TableName: tableName }));
      dynamoDb.destroy();
      await kms.close();
    });
  }
  const config = loadConfig({
    AWS_REGION: 'us-east-1',
    TOKEN_VAULT_TABLE_NAME: tableName,
    KMS_KEY_ARN: kms.keyArn,
    DYNAMODB_ENDPOINT: testDynamoDbEndpoint(),
    KMS_ENDPOINT: kms.endpoint,
    DEPENDENCY_TIMEOUT_MS: '1000',
    ...options.env,
  });
  const app = buildApp(createDependencies(config, createLogger('trace', logSink)));
  t.teardown(() => app.close());
  await app.ready();
  const inject = (request: InjectOptions) => app.inject(request);
  return { app, inject, kms, dynamoDb, tableName, config };
}

/** Card numbers the tests submit; none may ever appear in a log line. */
export const testCardNumbers = [
  '4111111111111111',
  '5555555555554444',
  '378282246310005',
  '6011111111111117',
  '3530111333300000',
  '4012888888881881',
] as const;

/** Call last in a test file: fails if any captured log line holds a test card number. */
export function assertNoCardNumberLogged(t: Test): void {
  t.test('no test card number appears in any log line', async (t) => {
    t.ok(capturedLogLines.length > 0, 'logs were captured');
    const leaks = capturedLogLines.filter((line) => testCardNumbers.some((card) => line.includes(card)));
    t.same(leaks, [], 'no log line contains a card number');
  });
}
