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
