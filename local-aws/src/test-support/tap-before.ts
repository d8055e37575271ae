// tap `before` script: one DynamoDB Local for the whole run (it takes seconds and ~180 MB to start),
// shared by every test file, each test using its own table; and an empty log directory for the run.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { startDynamoDbLocal } from '../dynamodb/dynamodb-local.js';
import { dynamoDbStateFile, runLogDirectory } from './paths.js';

await rm(runLogDirectory, { recursive: true, force: true });
if (!process.env.DYNAMODB_ENDPOINT) {
  const dynamo = await startDynamoDbLocal({ detached: true, readyTimeoutMs: 60_000 });
  await mkdir(dirname(dynamoDbStateFile), { recursive: true });
  await writeFile(dynamoDbStateFile, JSON.stringify({ endpoint: dynamo.endpoint, pid: dynamo.pid }));
}
