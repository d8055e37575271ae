import { fileURLToPath } from 'node:url';

/** Where the tap `before` script records the shared DynamoDB Local of a test run. */
export const dynamoDbStateFile = fileURLToPath(new URL('../../../.tap/dynamodb-local.json', import.meta.url));
