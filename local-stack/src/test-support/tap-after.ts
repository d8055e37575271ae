// tap `after` script: stops the DynamoDB Local started by tap-before.ts.
import { readFile, rm } from 'node:fs/promises';
import { killProcess } from '../dynamodb/dynamodb-local.js';
import { dynamoDbStateFile } from './paths.js';

try {
  const { pid } = JSON.parse(await readFile(dynamoDbStateFile, 'utf8')) as { pid: number };
  killProcess(pid);
  await rm(dynamoDbStateFile, { force: true });
} catch {
  // nothing was started (DYNAMODB_ENDPOINT was given)
}
