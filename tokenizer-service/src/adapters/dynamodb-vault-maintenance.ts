// The vault table as the re-encryption job sees it: one tenant's token items, scanned in parallel
// segments, rewritten in place with conditions that never lose a concurrent use, verify count or delete.
// Admin only (src/admin): the tokenizer's entries never import it.
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { rethrowAwsUnavailable } from '@tokenization/service-kit/aws-errors';
import type { IntegrityError } from '../domain/errors.js';
import type { VaultRecord } from '../domain/ports.js';
import { fromItem } from './dynamodb-vault-store.js';
import { keyPrefixFilter } from './vault-prefix-scan.js';
import { fingerprintKey, tokenKey, vaultKeyAttribute } from './vault-table.js';

type Item = Record<string, AttributeValue>;

/** A token item as stored: its record (IntegrityError when its key and attributes disagree). */
export interface StoredToken {
  token: string;
  record: VaultRecord | IntegrityError;
}

export interface ScanPage {
  tokens: StoredToken[];
  /** Where the next page starts; absent at the end of the segment. */
  next?: Item;
}

/** One token's move to new ciphertext (and, for a deterministic token, to a new fingerprint). */
export interface TokenRewrite {
  tenant: string;
  token: string;
  /** The ciphertext read: the write only happens while the item still holds it. */
  expectedCiphertext: Uint8Array;
  ciphertext: Uint8Array;
  keyVersion: string;
  fingerprint?: { from: string; to: string };
}

/**
 * `rewritten`; `changed`: the item was deleted or rewritten since it was read (read it again);
 * `fingerprint-taken`: another token holds the new fingerprint (or the old one); `contended`: a concurrent transaction on
 * one of the items (try again).
 */
export type RewriteOutcome = 'rewritten' | 'changed' | 'fingerprint-taken' | 'contended';

export interface DynamoDbVaultMaintenanceOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Items DynamoDB evaluates per scan page (before the tenant filter). */
  pageSize?: number;
}

export class DynamoDbVaultMaintenance {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #pageSize: number;

  constructor(options: DynamoDbVaultMaintenanceOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#pageSize = options.pageSize ?? 500;
  }

  /** The tenant's token items (a full scan of the table, in parallel segments). */
  async countTokens(tenant: string, totalSegments: number): Promise<number> {
    const counts = await Promise.all(
      Array.from({ length: totalSegments }, async (_, segment) => {
        let count = 0;
        let start: Item | undefined;
        do {
          const output = await this.#scan(tenant, segment, totalSegments, start, 'COUNT');
          count += output.Count ?? 0;
          start = output.LastEvaluatedKey;
        } while (start);
        return count;
      }),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /** One page of a segment of the tenant's token items, read consistently. */
  async scanTokens(tenant: string, segment: number, totalSegments: number, start?: Item): Promise<ScanPage> {
    const output = await this.#scan(tenant, segment, totalSegments, start, 'ALL_ATTRIBUTES');
    const prefix = tokenKey(tenant, '');
    const tokens = (output.Items ?? []).map((item) => {
      const token = (item[vaultKeyAttribute]?.S ?? '').slice(prefix.length);
      return { token, record: fromItem(item, { tenant, token }) };
    });
    return output.LastEvaluatedKey ? { tokens, next: output.LastEvaluatedKey } : { tokens };
  }

  /** The token's item now (undefined when it is gone). */
  async getToken(tenant: string, token: string): Promise<VaultRecord | IntegrityError | undefined> {
    try {
      const { Item } = await this.#client.send(
        new GetItemCommand({
          TableName: this.#tableName,
          Key: { [vaultKeyAttribute]: { S: tokenKey(tenant, token) } },
          ConsistentRead: true,
        }),
      );
      return Item ? fromItem(Item, { tenant, token }) : undefined;
    } catch (error) {
      rethrowAwsUnavailable('store', error);
    }
  }

  /**
   * Replaces the ciphertext, key version and (deterministic tokens) fingerprint, only while the item holds
   * the ciphertext that was read: a deleted token is not written back, and no other attribute is touched
   * (the use and verify counters move on their own). A deterministic token's move is one transaction:
   * the token, the new fingerprint entry (only if free) and the old entry (only if it names this token).
   */
  async rewrite(change: TokenRewrite): Promise<RewriteOutcome> {
    const TableName = this.#tableName;
    const update = {
      TableName,
      Key: { [vaultKeyAttribute]: { S: tokenKey(change.tenant, change.token) } },
      UpdateExpression: change.fingerprint
        ? 'SET #ciphertext = :ciphertext, #keyVersion = :keyVersion, #fingerprint = :fingerprint'
        : 'SET #ciphertext = :ciphertext, #keyVersion = :keyVersion',
      ConditionExpression: '#ciphertext = :expected',
      ExpressionAttributeNames: {
        '#ciphertext': 'ciphertext',
        '#keyVersion': 'keyVersion',
        ...(change.fingerprint ? { '#fingerprint': 'fingerprint' } : {}),
      },
      ExpressionAttributeValues: {
        ':ciphertext': { B: change.ciphertext },
        ':expected': { B: change.expectedCiphertext },
        ':keyVersion': { S: change.keyVersion },
        ...(change.fingerprint ? { ':fingerprint': { S: change.fingerprint.to } } : {}),
      },
    };
    try {
      if (!change.fingerprint) {
        await this.#client.send(new UpdateItemCommand(update));
        return 'rewritten';
      }
      await this.#client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Update: update },
            {
              Put: {
                TableName,
                Item: {
                  [vaultKeyAttribute]: { S: fingerprintKey(change.tenant, change.fingerprint.to) },
                  tenant: { S: change.tenant },
                  token: { S: change.token },
                },
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': vaultKeyAttribute },
              },
            },
            {
              // Absent: released earlier (its token was deleted and re-created, or a lookup freed it).
              Delete: {
                TableName,
                Key: { [vaultKeyAttribute]: { S: fingerprintKey(change.tenant, change.fingerprint.from) } },
                ConditionExpression: 'attribute_not_exists(#pk) OR #token = :token',
                ExpressionAttributeNames: { '#pk': vaultKeyAttribute, '#token': 'token' },
                ExpressionAttributeValues: { ':token': { S: change.token } },
              },
            },
          ],
        }),
      );
      return 'rewritten';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'changed';
      if (error instanceof TransactionCanceledException) {
        const [token, taken, released] = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        if (token === 'ConditionalCheckFailed') return 'changed';
        if (taken === 'ConditionalCheckFailed' || released === 'ConditionalCheckFailed') {
          return 'fingerprint-taken';
        }
        if ([token, taken, released].includes('TransactionConflict')) return 'contended';
      }
      rethrowAwsUnavailable('store', error);
    }
  }

  async #scan(
    tenant: string,
    segment: number,
    totalSegments: number,
    start: Item | undefined,
    select: 'COUNT' | 'ALL_ATTRIBUTES',
  ) {
    try {
      return await this.#client.send(
        new ScanCommand({
          TableName: this.#tableName,
          Segment: segment,
          TotalSegments: totalSegments,
          Limit: this.#pageSize,
          ConsistentRead: true,
          Select: select,
          ...keyPrefixFilter(tokenKey(tenant, '')),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
    } catch (error) {
      rethrowAwsUnavailable('store', error);
    }
  }
}
