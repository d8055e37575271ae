import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoDbStateFile } from './paths.js';

/** The DynamoDB Local of this test run: DYNAMODB_ENDPOINT, or the one tap-before.ts started. */
export function testDynamoDbEndpoint(): string {
  if (process.env.DYNAMODB_ENDPOINT) return process.env.DYNAMODB_ENDPOINT;
  try {
    return (JSON.parse(readFileSync(dynamoDbStateFile, 'utf8')) as { endpoint: string }).endpoint;
  } catch (error) {
    throw new Error(
      'No DynamoDB Local for this test run: run the tests through tap (its before script starts one)',
      {
        cause: error,
      },
    );
  }
}

export function testDynamoDbClient(endpoint = testDynamoDbEndpoint()): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** A table name no other test uses. */
export function uniqueTableName(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}
