import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The branch key store table, in the schema the Encryption SDK's BranchKeyStoreNode reads and writes
 * (docs/encryption-and-keys.md): one item per branch key version, plus the active copy and a beacon key.
 * The local stack and the tests create it from here; the CDK stack declares the same keys.
 */
export function keyStoreTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'branch-key-id', AttributeType: 'S' },
      { AttributeName: 'type', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'branch-key-id', KeyType: 'HASH' },
      { AttributeName: 'type', KeyType: 'RANGE' },
    ],
  };
}

/** The logical key store name when KEY_STORE_LOGICAL_NAME is unset; bound into every branch key, never change it. */
export const defaultKeyStoreLogicalName = 'tokenization-branch-keys';

/** Each tenant has one branch key, named after it: the keyring's supplier derives it from the context. */
export function branchKeyIdOf(tenant: string): string {
  return `tenant-${tenant}`;
}
