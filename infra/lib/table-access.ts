/**
 * What each service does with its DynamoDB table: the IAM policy of its role and the DynamoDB gateway
 * endpoint policy are both built from these lists. Keep them in step with the services' store adapters.
 */

/**
 * tokenizer-service/src/adapters (vault store and fingerprinter). TransactWriteItems has no IAM action of
 * its own: each Put or Delete inside it is authorized as PutItem or DeleteItem.
 */
export const vaultTableActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:DescribeTable',
];

/**
 * What the forwarder does with the vault table: forward detokenizes (GetItem / BatchGetItem) and spends a
 * use with a conditional UpdateItem. It never writes, deletes or probes readiness (the tokenizer serves that).
 */
export const forwarderVaultTableActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:UpdateItem',
];

/**
 * order-service/src/adapters/dynamodb-order-store.ts: reads, conditional puts and updates, the conditional
 * delete of a lapsed reservation, and the readiness DescribeTable.
 */
export const orderTableActions = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:DescribeTable',
];

/**
 * What the tokenizer and the forwarder do with the key store table: BranchKeyStoreNode's getActiveBranchKey
 * and getBranchKeyVersion read one item each with GetItem (`branch-key-id` + `type`). They never create,
 * version or delete a branch key.
 */
export const keyStoreReaderActions = ['dynamodb:GetItem'];

/**
 * The key-administration role on the key store table (tokenizer-admin): createKey and versionKey write with
 * TransactWriteItems (each Put authorized as PutItem) after a GetItem of the active item; shredding a tenant
 * lists its items (Query on `branch-key-id`) and deletes them.
 */
export const keyStoreAdministrationActions = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'dynamodb:DescribeTable',
];

/**
 * The key-administration role on the vault table: tenant records and audit items (conditional puts and
 * updates), the re-encryption pass (Scan of a tenant's items, conditional UpdateItem, and transactions that
 * move a deterministic token's fingerprint entry: Put, Update, Delete and ConditionCheck each authorized
 * under its own action).
 */
export const vaultTableAdministrationActions = [
  'dynamodb:GetItem',
  'dynamodb:Scan',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
