import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DependencyUnavailableError } from '../domain/errors.js';
import {
  TokenCollisionError,
  type VaultRecord,
  type VaultRecordKey,
  type VaultStore,
} from '../domain/ports.js';
import { rethrowUnavailable } from './dependency-errors.js';
import { vaultKeyAttribute, vaultPartitionKey } from './vault-table.js';

type Item = Record<string, AttributeValue>;

export interface DynamoDbVaultStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Rounds of BatchGetItem for keys DynamoDB left unprocessed before giving up with 503. */
  maxBatchGetRounds?: number;
}

export class DynamoDbVaultStore implements VaultStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #maxBatchGetRounds: number;

  constructor(options: DynamoDbVaultStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#maxBatchGetRounds = options.maxBatchGetRounds ?? 5;
  }

  async create(record: VaultRecord): Promise<void> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: toItem(record),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': vaultKeyAttribute },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new TokenCollisionError();
      rethrowUnavailable('store', error);
    }
  }

  async get(key: VaultRecordKey): Promise<VaultRecord | undefined> {
    try {
      const { Item } = await this.#client.send(
        new GetItemCommand({ TableName: this.#tableName, Key: keyOf(key), ConsistentRead: true }),
      );
      return Item && fromItem(Item);
    } catch (error) {
      rethrowUnavailable('store', error);
    }
  }

  async getMany(tenant: string, tokens: readonly string[]): Promise<Map<string, VaultRecord>> {
    const found = new Map<string, VaultRecord>();
    let keys: Item[] = tokens.map((token) => keyOf({ tenant, token }));
    for (let round = 0; keys.length > 0; round++) {
      if (round === this.#maxBatchGetRounds) throw new DependencyUnavailableError('store');
      if (round > 0) await backoff(round);
      try {
        const { Responses, UnprocessedKeys } = await this.#client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.#tableName]: { Keys: keys, ConsistentRead: true } },
          }),
        );
        for (const item of Responses?.[this.#tableName] ?? []) {
          const record = fromItem(item);
          // The key already scopes the tenant; checking again costs nothing.
          if (record.tenant === tenant) found.set(record.token, record);
        }
        keys = UnprocessedKeys?.[this.#tableName]?.Keys ?? [];
      } catch (error) {
        rethrowUnavailable('store', error);
      }
    }
    return found;
  }

  async delete(key: VaultRecordKey): Promise<boolean> {
    try {
      await this.#client.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: keyOf(key),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': vaultKeyAttribute },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      rethrowUnavailable('store', error);
    }
  }

  async checkHealth(): Promise<void> {
    try {
      await this.#client.send(new DescribeTableCommand({ TableName: this.#tableName }));
    } catch (error) {
      // A missing table makes the vault as unusable as an outage does.
      throw new DependencyUnavailableError('store', { cause: error });
    }
  }
}

function keyOf({ tenant, token }: VaultRecordKey): Item {
  return { [vaultKeyAttribute]: { S: vaultPartitionKey(tenant, token) } };
}

function toItem(record: VaultRecord): Item {
  return {
    ...keyOf(record),
    tenant: { S: record.tenant },
    token: { S: record.token },
    ciphertext: { B: record.ciphertext },
    createdAt: { S: record.createdAt.toISOString() },
  };
}

function fromItem(item: Item): VaultRecord {
  return {
    tenant: item.tenant?.S ?? '',
    token: item.token?.S ?? '',
    ciphertext: item.ciphertext?.B ?? new Uint8Array(),
    createdAt: new Date(item.createdAt?.S ?? 0),
  };
}

function backoff(round: number): Promise<void> {
  const cap = 25 * 2 ** round;
  return new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
}
