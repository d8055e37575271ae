import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { rethrowAwsUnavailable } from '@tokenization/service-kit/aws-errors';
import {
  TenantChangedError,
  type TenantChanges,
  TenantExistsError,
  type TenantRecord,
  type TenantRegistry,
  type TenantStatus,
} from '../domain/ports.js';
import { branchKeyIdOf } from './key-store-table.js';
import { itemsWithKeyPrefix } from './vault-prefix-scan.js';
import { tenantKey, tenantKeyPrefix, vaultKeyAttribute } from './vault-table.js';

type Item = Record<string, AttributeValue>;

export interface DynamoDbTenantRegistryOptions {
  client: DynamoDBClient;
  /** The vault table: tenant records are items of their own there (`tenant#<tenant>`). */
  tableName: string;
}

const statuses: readonly TenantStatus[] = ['active', 'shred_scheduled', 'shredded'];
const dateAttributes = ['createdAt', 'rotatedAt', 'shredAfter', 'shreddedAt'] as const;

/**
 * Tenant records in the vault table. Every write is conditional: a create only where no record is, an
 * update only while the record is at the revision its caller read (then one more), so two admins acting on
 * one tenant at once never overwrite each other.
 */
export class DynamoDbTenantRegistry implements TenantRegistry {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: DynamoDbTenantRegistryOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async get(tenant: string): Promise<TenantRecord | undefined> {
    try {
      const { Item } = await this.#client.send(
        new GetItemCommand({
          TableName: this.#tableName,
          Key: { [vaultKeyAttribute]: { S: tenantKey(tenant) } },
          ConsistentRead: true,
        }),
      );
      return Item ? fromItem(Item, tenant) : undefined;
    } catch (error) {
      rethrowAwsUnavailable('store', error);
    }
  }

  async list(): Promise<TenantRecord[]> {
    const records: TenantRecord[] = [];
    try {
      for await (const item of itemsWithKeyPrefix(this.#client, this.#tableName, tenantKeyPrefix, {
        consistentRead: true,
      })) {
        const key = item[vaultKeyAttribute]?.S ?? '';
        records.push(fromItem(item, key.slice(tenantKeyPrefix.length)));
      }
    } catch (error) {
      rethrowAwsUnavailable('store', error);
    }
    return records.sort((a, b) => a.tenant.localeCompare(b.tenant));
  }

  async create(tenant: string, at: Date): Promise<TenantRecord> {
    const record: TenantRecord = {
      tenant,
      status: 'active',
      branchKeyId: branchKeyIdOf(tenant),
      createdAt: at,
      revision: 1,
    };
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: toItem(record),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': vaultKeyAttribute },
        }),
      );
      return record;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new TenantExistsError();
      rethrowAwsUnavailable('store', error);
    }
  }

  async update(record: TenantRecord, changes: TenantChanges): Promise<TenantRecord> {
    const names: Record<string, string> = { '#revision': 'revision' };
    const values: Item = {
      ':read': { N: String(record.revision) },
      ':next': { N: String(record.revision + 1) },
    };
    const sets = ['#revision = :next'];
    const removals: string[] = [];
    for (const [name, value] of Object.entries(changes)) {
      if (value === undefined) continue;
      names[`#${name}`] = name;
      if (value === null) {
        removals.push(`#${name}`);
      } else {
        values[`:${name}`] = attributeOf(value as string | boolean | Date);
        sets.push(`#${name} = :${name}`);
      }
    }
    try {
      const { Attributes } = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: { [vaultKeyAttribute]: { S: tenantKey(record.tenant) } },
          UpdateExpression: `SET ${sets.join(', ')}${removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''}`,
          // Also false when the record is gone: `revision` is then missing.
          ConditionExpression: '#revision = :read',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(Attributes ?? {}, record.tenant);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new TenantChangedError();
      rethrowAwsUnavailable('store', error);
    }
  }
}

function attributeOf(value: string | boolean | Date): AttributeValue {
  if (typeof value === 'boolean') return { BOOL: value };
  return { S: value instanceof Date ? value.toISOString() : value };
}

function toItem(record: TenantRecord): Item {
  const item: Item = {
    [vaultKeyAttribute]: { S: tenantKey(record.tenant) },
    tenant: { S: record.tenant },
    status: { S: record.status },
    branchKeyId: { S: record.branchKeyId },
    revision: { N: String(record.revision) },
  };
  for (const name of dateAttributes) {
    const date = record[name];
    if (date) item[name] = { S: date.toISOString() };
  }
  if (record.previousKeyVersion !== undefined) item.previousKeyVersion = { S: record.previousKeyVersion };
  if (record.legacyRetired !== undefined) item.legacyRetired = { BOOL: record.legacyRetired };
  return item;
}

/** The record of `tenant` (from its key, not a stored attribute); a malformed item is refused, never guessed. */
function fromItem(item: Item, tenant: string): TenantRecord {
  const status = item.status?.S as TenantStatus | undefined;
  const branchKeyId = item.branchKeyId?.S;
  const createdAt = dateOf(item.createdAt);
  const revision = Number(item.revision?.N);
  if (
    item.tenant?.S !== tenant ||
    !status ||
    !statuses.includes(status) ||
    !branchKeyId ||
    !createdAt ||
    !Number.isSafeInteger(revision)
  ) {
    throw new Error('malformed tenant record');
  }
  const record: TenantRecord = { tenant, status, branchKeyId, createdAt, revision };
  const rotatedAt = dateOf(item.rotatedAt);
  const shredAfter = dateOf(item.shredAfter);
  const shreddedAt = dateOf(item.shreddedAt);
  if (item.previousKeyVersion?.S !== undefined) record.previousKeyVersion = item.previousKeyVersion.S;
  if (rotatedAt) record.rotatedAt = rotatedAt;
  if (shredAfter) record.shredAfter = shredAfter;
  if (shreddedAt) record.shreddedAt = shreddedAt;
  if (item.legacyRetired?.BOOL !== undefined) record.legacyRetired = item.legacyRetired.BOOL;
  return record;
}

function dateOf(attribute: AttributeValue | undefined): Date | undefined {
  if (attribute?.S === undefined) return undefined;
  const date = new Date(attribute.S);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
