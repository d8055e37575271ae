import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The vault table: one partition key, several kinds of item (see docs/data-model.md, "Vault table").
 * Every key of a tenant's item names its tenant, so tenants never share an item.
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

/**
 * A principal's count of deterministic tokenizations in one minute (`2026-01-31T12:34`). The principal is
 * a digest of its ARN: fixed length and no separators of its own. Expires through the TTL attribute.
 */
export function rateWindowKey(tenant: string, principalDigest: string, minute: string): string {
  return `ratelimit#${tenant}#${principalDigest}#${minute}`;
}

/** The first characters of every tenant record's key (the admin's list scans for them). */
export const tenantKeyPrefix = 'tenant#';

/** A tenant's record: its state (active, shred scheduled, shredded) and branch key; see TenantRecord. */
export function tenantKey(tenant: string): string {
  return `${tenantKeyPrefix}${tenant}`;
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
