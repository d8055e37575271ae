import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The vault table: one partition key, three kinds of item (see the README's "Vault table" section).
 * Every key starts with its tenant, so tenants never share an item.
 */
export const vaultKeyAttribute = 'pk';

/** The DynamoDB TTL attribute (epoch seconds): AWS deletes expired tokens some time after expiry. */
export const vaultTtlAttribute = 'expiresAt';

/** A token's item: its ciphertext and policy. */
export function tokenKey(tenant: string, token: string): string {
  return `token#${tenant}#${token}`;
}

/** A deterministic token's fingerprint entry: keyed HMAC of the value → token. */
export function fingerprintKey(tenant: string, fingerprint: string): string {
  return `fingerprint#${tenant}#${fingerprint}`;
}

/** The KMS-wrapped key of the fingerprint HMAC (one per vault). */
export const fingerprintKeyItemKey = 'key#fingerprint-hmac';

/** The table as the local stack and the tests create it (the CDK stack declares the same key). */
export function vaultTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: vaultKeyAttribute, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: vaultKeyAttribute, KeyType: 'HASH' }],
  };
}
