import { type AttributeValue, type DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { vaultKeyAttribute } from './vault-table.js';

/** The Scan filter for the vault items whose key starts with `prefix` (one kind of item, of one tenant). */
export function keyPrefixFilter(prefix: string) {
  return {
    FilterExpression: 'begins_with(#pk, :prefix)',
    ExpressionAttributeNames: { '#pk': vaultKeyAttribute },
    ExpressionAttributeValues: { ':prefix': { S: prefix } },
  };
}

/**
 * Every vault item whose key starts with `prefix`, page after page. A scan of the whole table (its only key
 * is the partition key): for an admin's occasional read, never on a request's path.
 */
export async function* itemsWithKeyPrefix(
  client: DynamoDBClient,
  tableName: string,
  prefix: string,
  options: { consistentRead?: boolean } = {},
): AsyncGenerator<Record<string, AttributeValue>> {
  const pages = paginateScan(
    { client },
    {
      TableName: tableName,
      ...keyPrefixFilter(prefix),
      ...(options.consistentRead ? { ConsistentRead: true } : {}),
    },
  );
  for await (const page of pages) yield* page.Items ?? [];
}
