// The admin audit trail: one item per admin action in the vault table (`tenant-audit#<tenant>#<time>#<id>`),
// so a tenant's history sits beside its record and survives the shred of its keys. Details are counts,
// versions and times: never a value, a fingerprint or key material.
import { randomBytes } from 'node:crypto';
import { type AttributeValue, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { rethrowAwsUnavailable } from '@tokenization/service-kit/aws-errors';
import { itemsWithKeyPrefix } from '../adapters/vault-prefix-scan.js';
import { vaultKeyAttribute } from '../adapters/vault-table.js';

export type AdminAction =
  | 'tenant-created'
  | 'key-rotated'
  | 'shred-scheduled'
  | 'shred-cancelled'
  | 'shred-started'
  | 'tenant-shredded'
  | 'reencryption-pass';

export type AuditDetails = Record<string, string | number | boolean>;

export interface AuditItem {
  tenant: string;
  action: AdminAction;
  /** The caller's ARN (STS GetCallerIdentity), or the local stack's actor name. */
  actor: string;
  at: Date;
  details: AuditDetails;
}

const auditKeyPrefix = 'tenant-audit#';

/** Time first, then a random suffix: two actions in one millisecond never share a key. */
export function auditKey(tenant: string, at: Date): string {
  return `${auditKeyPrefix}${tenant}#${at.toISOString()}#${randomBytes(4).toString('hex')}`;
}

export class AdminAuditTrail {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async record(entry: AuditItem): Promise<void> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: {
            [vaultKeyAttribute]: { S: auditKey(entry.tenant, entry.at) },
            tenant: { S: entry.tenant },
            action: { S: entry.action },
            actor: { S: entry.actor },
            at: { S: entry.at.toISOString() },
            details: {
              M: Object.fromEntries(Object.entries(entry.details).map(([k, v]) => [k, attributeOf(v)])),
            },
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': vaultKeyAttribute },
        }),
      );
    } catch (error) {
      rethrowAwsUnavailable('store', error);
    }
  }

  /**
   * The tenant's latest `limit` audit items, oldest first. A scan of the vault table (its only key is the
   * partition key): an admin's occasional read, never on a request's path.
   */
  async recent(tenant: string, limit: number): Promise<AuditItem[]> {
    const found: { key: string; item: AuditItem }[] = [];
    try {
      const prefix = `${auditKeyPrefix}${tenant}#`;
      for await (const item of itemsWithKeyPrefix(this.#client, this.#tableName, prefix)) {
        found.push({ key: item[vaultKeyAttribute]?.S ?? '', item: fromItem(item, tenant) });
      }
    } catch (error) {
      rethrowAwsUnavailable('store', error);
    }
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return found.slice(-limit).map(({ item }) => item);
  }
}

function attributeOf(value: string | number | boolean): AttributeValue {
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  return { S: value };
}

function fromItem(item: Record<string, AttributeValue>, tenant: string): AuditItem {
  const details: AuditDetails = {};
  for (const [name, value] of Object.entries(item.details?.M ?? {})) {
    details[name] = value.N !== undefined ? Number(value.N) : (value.BOOL ?? value.S ?? '');
  }
  return {
    tenant,
    action: (item.action?.S ?? '') as AdminAction,
    actor: item.actor?.S ?? '',
    at: new Date(item.at?.S ?? 0),
    details,
  };
}
