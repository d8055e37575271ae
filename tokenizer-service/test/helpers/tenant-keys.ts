// The tenants' branch key store on the test's parts: a fresh key store table on DynamoDB Local and branch
// keys under the local KMS stand-in's second key, created as onboarding does (createKey with the tenant in
// its encryption context).
import {
  CreateTableCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import type { LocalKms } from '@tokenization/local-aws/local-kms';
import { uniqueTableName } from '@tokenization/local-aws/test-support/dynamodb';
import type { Test } from 'tap';
import { branchKeyIdOf, keyStoreTableDefinition } from '../../src/adapters/key-store-table.js';
import { createTenantKeyStore, type SingleFlightBranchKeyStore } from '../../src/adapters/tenant-keyring.js';

export const testKeyStoreLogicalName = 'test-branch-keys';

/** The KMS key of the branch keys: the stand-in's second key (the first is the vault key). */
export function branchKeyKmsKeyArn(kms: LocalKms): string {
  const key = kms.keys[1];
  if (!key) throw new Error('start the local KMS with { keys: 2 }: the branch keys need a key of their own');
  return key.arn;
}

/** A key store table removed after the test. */
export async function createKeyStoreTable(t: Test, dynamoDb: DynamoDBClient): Promise<string> {
  const tableName = uniqueTableName('branch-keys');
  await dynamoDb.send(new CreateTableCommand(keyStoreTableDefinition(tableName)));
  t.teardown(() => dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => {}));
  return tableName;
}

/**
 * The key administrator's key store: its own KMS client (not the service's, so its calls are in no
 * request's metrics; the stand-in counts them all the same).
 */
export function adminKeyStore(
  t: Test,
  options: { kms: LocalKms; dynamoDb: DynamoDBClient; tableName: string; logicalName?: string },
): SingleFlightBranchKeyStore {
  const kmsClient = new KMSClient({
    endpoint: options.kms.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  t.teardown(() => kmsClient.destroy());
  return createTenantKeyStore({
    logicalName: options.logicalName ?? testKeyStoreLogicalName,
    tableName: options.tableName,
    dynamoDb: options.dynamoDb,
    kms: kmsClient,
    kmsKeyArn: branchKeyKmsKeyArn(options.kms),
  });
}

/**
 * Creates the tenant's branch key unless it has one (stacks sharing a table onboard the same tenants). With
 * `table`, an existing key is found in the table first, so that a stack restarted while KMS is failing on
 * purpose makes no KMS call.
 */
export async function createBranchKey(
  keyStore: SingleFlightBranchKeyStore,
  tenant: string,
  table?: { dynamoDb: DynamoDBClient; tableName: string },
): Promise<void> {
  if (table) {
    const { Item } = await table.dynamoDb.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: { 'branch-key-id': { S: branchKeyIdOf(tenant) }, type: { S: 'branch:ACTIVE' } },
        ConsistentRead: true,
      }),
    );
    if (Item) return;
  }
  await keyStore
    .createKey({ branchKeyIdentifier: branchKeyIdOf(tenant), encryptionContext: { tenant } })
    .catch((error: unknown) => {
      if ((error as Error).name !== 'TransactionCanceledException') throw error;
    });
}

/** The tenant's active branch key version (a UUID). */
export async function activeKeyVersion(
  keyStore: SingleFlightBranchKeyStore,
  tenant: string,
): Promise<string> {
  const materials = await keyStore.getActiveBranchKey(branchKeyIdOf(tenant));
  return materials.branchKeyVersion.toString('utf8');
}
