import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The vault table. One item per token, keyed by tenant and token so that tenants never share a key:
 *
 * | attribute    | type | meaning                                                        |
 * |--------------|------|----------------------------------------------------------------|
 * | `pk`         | S    | partition key: `token#<tenant>#<token>`                        |
 * | `tenant`     | S    | the owning tenant                                              |
 * | `token`      | S    | the token                                                      |
 * | `ciphertext` | B    | AWS Encryption SDK message; its plaintext binds token and value |
 * | `createdAt`  | S    | ISO 8601 creation time                                         |
 */
export const vaultKeyAttribute = 'pk';

export function vaultPartitionKey(tenant: string, token: string): string {
  return `token#${tenant}#${token}`;
}

/** The table as the local stack and the tests create it (the CDK stack declares the same key). */
export function vaultTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: vaultKeyAttribute, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: vaultKeyAttribute, KeyType: 'HASH' }],
  };
}
