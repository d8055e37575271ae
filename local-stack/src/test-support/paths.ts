import { fileURLToPath } from 'node:url';

/**
 * Where the tap `before` script records the shared DynamoDB Local of a test run. The `before` script, the
 * `after` script and every test file are children of one tap runner, so its pid names the run: two runs
 * at once never share (or stop) each other's DynamoDB Local.
 */
export const dynamoDbStateFile = fileURLToPath(
  new URL(`../../../.tap/dynamodb-local-${process.ppid}.json`, import.meta.url),
);
