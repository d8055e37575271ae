import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { rethrowAwsUnavailable } from '@tokenization/service-kit/aws-errors';
import type { CardBrand } from '@tokenization/service-kit/card';
import { DependencyUnavailableError, IntegrityError } from '../domain/errors.js';
import {
  FingerprintTakenError,
  TokenCollisionError,
  type TokenFormat,
  type UseOutcome,
  type ValueType,
  type VaultRecord,
  type VaultRecordKey,
  type VaultStore,
  type VerifyAttemptOutcome,
} from '../domain/ports.js';
import { fingerprintKey, tokenKey, vaultKeyAttribute, vaultTtlAttribute } from './vault-table.js';

type Item = Record<string, AttributeValue>;

export interface DynamoDbVaultStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Rounds of BatchGetItem for keys DynamoDB left unprocessed before giving up with 503. */
  maxBatchGetRounds?: number;
}

const keyNames = { '#pk': vaultKeyAttribute };
const notExists = 'attribute_not_exists(#pk)';

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
    const TableName = this.#tableName;
    try {
      if (!record.fingerprint) {
        await this.#client.send(
          new PutItemCommand({
            TableName,
            Item: toItem(record),
            ConditionExpression: notExists,
            ExpressionAttributeNames: keyNames,
          }),
        );
        return;
      }
      await this.#client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName,
                Item: toItem(record),
                ConditionExpression: notExists,
                ExpressionAttributeNames: keyNames,
              },
            },
            {
              Put: {
                TableName,
                Item: {
                  [vaultKeyAttribute]: { S: fingerprintKey(record.tenant, record.fingerprint) },
                  tenant: { S: record.tenant },
                  token: { S: record.token },
                },
                ConditionExpression: notExists,
                ExpressionAttributeNames: keyNames,
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new TokenCollisionError();
      if (error instanceof TransactionCanceledException) {
        const [token, fingerprint] = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        if (token === 'ConditionalCheckFailed') throw new TokenCollisionError();
        // The fingerprint is taken, or a concurrent transaction on it conflicted: both mean "look again".
        if (
          fingerprint === 'ConditionalCheckFailed' ||
          [token, fingerprint].includes('TransactionConflict')
        ) {
          throw new FingerprintTakenError();
        }
        throw new DependencyUnavailableError('store', { cause: error });
      }
      rethrowAwsUnavailable('store', error);
    }
  }

  async get(key: VaultRecordKey): Promise<VaultRecord | undefined> {
    const item = await this.#getItem(tokenKey(key.tenant, key.token));
    if (!item) return undefined;
    const record = fromItem(item, key);
    if (record instanceof IntegrityError) throw record;
    return record;
  }

  async getMany(
    tenant: string,
    tokens: readonly string[],
  ): Promise<Map<string, VaultRecord | IntegrityError>> {
    const found = new Map<string, VaultRecord | IntegrityError>();
    // Each answer is matched to the token asked for by its key: its own attributes are not trusted.
    const tokenOfKey = new Map(tokens.map((token) => [tokenKey(tenant, token), token]));
    let keys: Item[] = [...tokenOfKey.keys()].map((pk) => ({ [vaultKeyAttribute]: { S: pk } }));
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
          const token = tokenOfKey.get(item[vaultKeyAttribute]?.S ?? '');
          if (token !== undefined) found.set(token, fromItem(item, { tenant, token }));
        }
        keys = UnprocessedKeys?.[this.#tableName]?.Keys ?? [];
      } catch (error) {
        rethrowAwsUnavailable('store', error);
      }
    }
    return found;
  }

  async findByFingerprint(tenant: string, fingerprint: string): Promise<string | undefined> {
    return (await this.#getItem(fingerprintKey(tenant, fingerprint)))?.token?.S;
  }

  async releaseFingerprint(tenant: string, fingerprint: string, token: string): Promise<void> {
    try {
      await this.#client.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: { [vaultKeyAttribute]: { S: fingerprintKey(tenant, fingerprint) } },
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':token': { S: token } },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return; // already released or re-taken
      rethrowAwsUnavailable('store', error);
    }
  }

  async spendUse(key: VaultRecordKey, maxUses: number): Promise<UseOutcome> {
    const pk = tokenKey(key.tenant, key.token);
    try {
      // The limit is the caller's verified maxUses, not the stored attribute; a missing, negative or
      // non-numeric counter fails the condition.
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: { [vaultKeyAttribute]: { S: pk } },
          UpdateExpression: 'SET #spent = #spent + :one',
          ConditionExpression: 'attribute_exists(#pk) AND #spent >= :zero AND #spent < :max',
          ExpressionAttributeNames: { ...keyNames, '#spent': usesSpentAttribute },
          ExpressionAttributeValues: {
            ':zero': { N: '0' },
            ':one': { N: '1' },
            ':max': { N: String(maxUses) },
          },
        }),
      );
      return 'used';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) rethrowAwsUnavailable('store', error);
    }
    return (await this.#getItem(pk)) ? 'exhausted' : 'not_found';
  }

  async countVerifyAttempt(
    key: VaultRecordKey,
    mismatch: boolean,
    limit: number,
  ): Promise<VerifyAttemptOutcome> {
    const pk = tokenKey(key.tenant, key.token);
    try {
      // One conditional write per verify, match or not: DynamoDB serialises them on the item, so every
      // answer is given while fewer than `limit` mismatches were counted before it.
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: { [vaultKeyAttribute]: { S: pk } },
          UpdateExpression: 'SET #mismatches = if_not_exists(#mismatches, :zero) + :add',
          ConditionExpression:
            'attribute_exists(#pk) AND (attribute_not_exists(#mismatches) OR #mismatches < :limit)',
          ExpressionAttributeNames: { ...keyNames, '#mismatches': verifyMismatchesAttribute },
          ExpressionAttributeValues: {
            ':zero': { N: '0' },
            ':add': { N: mismatch ? '1' : '0' },
            ':limit': { N: String(limit) },
          },
        }),
      );
      return 'counted';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) rethrowAwsUnavailable('store', error);
    }
    return (await this.#getItem(pk)) ? 'locked' : 'not_found';
  }

  async resetVerifyMismatches(key: VaultRecordKey): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: { [vaultKeyAttribute]: { S: tokenKey(key.tenant, key.token) } },
          UpdateExpression: 'REMOVE #mismatches',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { ...keyNames, '#mismatches': verifyMismatchesAttribute },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      rethrowAwsUnavailable('store', error);
    }
  }

  async delete(key: VaultRecordKey & Pick<VaultRecord, 'fingerprint'>): Promise<boolean> {
    const TableName = this.#tableName;
    const deleteToken = {
      TableName,
      Key: { [vaultKeyAttribute]: { S: tokenKey(key.tenant, key.token) } },
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: keyNames,
    };
    try {
      if (!key.fingerprint) {
        await this.#client.send(new DeleteItemCommand(deleteToken));
        return true;
      }
      // The token and its fingerprint entry go together, so the value can be tokenized anew later.
      await this.#client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Delete: deleteToken },
            {
              Delete: {
                TableName,
                Key: { [vaultKeyAttribute]: { S: fingerprintKey(key.tenant, key.fingerprint) } },
                ConditionExpression: 'attribute_not_exists(#pk) OR #token = :token',
                ExpressionAttributeNames: { ...keyNames, '#token': 'token' },
                ExpressionAttributeValues: { ':token': { S: key.token } },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || error instanceof TransactionCanceledException) {
        return false; // deleted concurrently
      }
      rethrowAwsUnavailable('store', error);
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

  async #getItem(pk: string): Promise<Item | undefined> {
    try {
      const { Item } = await this.#client.send(
        new GetItemCommand({
          TableName: this.#tableName,
          Key: { [vaultKeyAttribute]: { S: pk } },
          ConsistentRead: true,
        }),
      );
      return Item;
    } catch (error) {
      rethrowAwsUnavailable('store', error);
    }
  }
}

/** The monotonic count of full reveals spent (N), on tokens with maxUses. */
const usesSpentAttribute = 'usesSpent';

/** Verify mismatches since the last reset (N); absent means none. */
const verifyMismatchesAttribute = 'verifyMismatches';

/** The token item of a record (the maintenance adapter rewrites items with it too). */
export function toItem(record: VaultRecord): Item {
  const item: Item = {
    [vaultKeyAttribute]: { S: tokenKey(record.tenant, record.token) },
    tenant: { S: record.tenant },
    token: { S: record.token },
    ciphertext: { B: record.ciphertext },
    createdAt: { S: record.createdAt.toISOString() },
    type: { S: record.type },
    format: { S: record.format },
    metadata: { M: Object.fromEntries(Object.entries(record.metadata).map(([k, v]) => [k, { S: v }])) },
  };
  if (record.keyVersion !== undefined) item.keyVersion = { S: record.keyVersion };
  if (record.fingerprint) item.fingerprint = { S: record.fingerprint };
  if (record.expiresAt) item[vaultTtlAttribute] = { N: String(Math.ceil(record.expiresAt.getTime() / 1000)) };
  if (record.maxUses !== undefined) item.maxUses = { N: String(record.maxUses) };
  if (record.usesSpent !== undefined) item[usesSpentAttribute] = { N: String(record.usesSpent) };
  if (record.card) item.card = { M: { last4: { S: record.card.last4 }, brand: { S: record.card.brand } } };
  return item;
}

/**
 * The record of the item read under `key`: tenant and token are the key's. An item whose own tenant or token
 * attribute says otherwise was moved or rewritten (an IntegrityError, returned so a batch can answer it
 * per item). The other attributes are checked against the facts sealed in the ciphertext by the vault.
 */
export function fromItem(item: Item, key: VaultRecordKey): VaultRecord | IntegrityError {
  if (item.tenant?.S !== key.tenant || item.token?.S !== key.token) {
    return new IntegrityError('stored tenant or token disagrees with the item key');
  }
  const number = (name: string) => (item[name]?.N === undefined ? undefined : Number(item[name].N));
  const expiresAt = number(vaultTtlAttribute);
  const maxUses = number('maxUses');
  const usesSpent = number(usesSpentAttribute);
  const card = item.card?.M;
  return {
    tenant: key.tenant,
    token: key.token,
    ciphertext: item.ciphertext?.B ?? new Uint8Array(),
    createdAt: new Date(item.createdAt?.S ?? 0),
    type: (item.type?.S ?? 'generic') as ValueType,
    format: (item.format?.S ?? 'random') as TokenFormat,
    metadata: Object.fromEntries(Object.entries(item.metadata?.M ?? {}).map(([k, v]) => [k, v.S ?? ''])),
    ...(item.keyVersion?.S !== undefined ? { keyVersion: item.keyVersion.S } : {}),
    ...(item.fingerprint?.S ? { fingerprint: item.fingerprint.S } : {}),
    ...(expiresAt !== undefined ? { expiresAt: new Date(expiresAt * 1000) } : {}),
    ...(maxUses !== undefined ? { maxUses } : {}),
    ...(usesSpent !== undefined ? { usesSpent } : {}),
    ...(card
      ? { card: { last4: card.last4?.S ?? '', brand: (card.brand?.S ?? 'unknown') as CardBrand } }
      : {}),
  };
}

function backoff(round: number): Promise<void> {
  const cap = 25 * 2 ** round;
  return new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
}
