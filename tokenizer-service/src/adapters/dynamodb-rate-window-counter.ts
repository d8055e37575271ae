import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { rethrowAwsUnavailable } from '@tokenization/service-kit/aws-errors';
import type { RateWindow, RateWindowCounter } from '../domain/deterministic-rate-limit.js';
import { rateWindowKey, vaultKeyAttribute, vaultTtlAttribute } from './vault-table.js';

export interface DynamoDbRateWindowCounterOptions {
  client: DynamoDBClient;
  /** The vault table: the windows are items of their own there (`ratelimit#...`). */
  tableName: string;
}

/**
 * Counts rate windows in the vault table with one conditional `ADD` per request: DynamoDB serialises the
 * updates of an item, so every Lambda container (and every local instance) spends from the same count.
 */
export class DynamoDbRateWindowCounter implements RateWindowCounter {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: DynamoDbRateWindowCounterOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async tryAdd(window: RateWindow, amount: number, limit: number): Promise<boolean> {
    // `count <= limit - amount` below would be met by an absent count whatever the amount.
    if (amount > limit) return false;
    const minute = window.start.toISOString().slice(0, 16);
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: {
            [vaultKeyAttribute]: {
              S: rateWindowKey(window.tenant, principalDigest(window.principal), minute),
            },
          },
          UpdateExpression: 'ADD #count :amount SET #ttl = :end',
          ConditionExpression: 'attribute_not_exists(#count) OR #count <= :ceiling',
          ExpressionAttributeNames: { '#count': 'count', '#ttl': vaultTtlAttribute },
          ExpressionAttributeValues: {
            ':amount': { N: String(amount) },
            ':ceiling': { N: String(limit - amount) },
            ':end': { N: String(Math.ceil(window.end.getTime() / 1000)) },
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      rethrowAwsUnavailable('store', error);
    }
  }
}

function principalDigest(principal: string): string {
  return createHash('sha256').update(principal).digest('base64url');
}
