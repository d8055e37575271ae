// The key store's items of one branch key, read and deleted directly (DynamoDB, no KMS): the shred
// deletes them all, and `show` reports the active version without unwrapping anything.
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  paginateQuery,
} from '@aws-sdk/client-dynamodb';
import { rethrowAwsUnavailable } from '@tokenization/service-kit/aws-errors';

type Item = Record<string, AttributeValue>;

const idAttribute = 'branch-key-id';
const typeAttribute = 'type';
/** The active copy of a branch key; its `version` attribute names the version it copies. */
const activeType = 'branch:ACTIVE';
const versionPrefix = 'branch:version:';

export interface BranchKeySummary {
  /** Items of the branch key in the key store (every version, the active copy, the beacon key). */
  items: number;
  /** Versions kept (each can decrypt what it sealed). */
  versions: number;
  activeVersion?: string;
}

export class BranchKeyItems {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async summary(branchKeyId: string): Promise<BranchKeySummary> {
    const items = await this.#items(branchKeyId);
    const active = items.find((item) => item[typeAttribute]?.S === activeType)?.version?.S;
    return {
      items: items.length,
      versions: items.filter((item) => item[typeAttribute]?.S?.startsWith(versionPrefix)).length,
      ...(active?.startsWith(versionPrefix) ? { activeVersion: active.slice(versionPrefix.length) } : {}),
    };
  }

  /**
   * Deletes every item of the branch key, reading again until none is left (an item written meanwhile,
   * e.g. by a concurrent rotation, is deleted too). Returns how many were deleted; 0 when none was left.
   */
  async deleteAll(branchKeyId: string): Promise<number> {
    let deleted = 0;
    for (
      let items = await this.#items(branchKeyId);
      items.length > 0;
      items = await this.#items(branchKeyId)
    ) {
      for (const item of items) {
        try {
          await this.#client.send(
            new DeleteItemCommand({
              TableName: this.#tableName,
              Key: {
                [idAttribute]: item[idAttribute] as AttributeValue,
                [typeAttribute]: item[typeAttribute] as AttributeValue,
              },
            }),
          );
        } catch (error) {
          rethrowAwsUnavailable('key-store', error);
        }
        deleted++;
      }
    }
    return deleted;
  }

  async #items(branchKeyId: string): Promise<Item[]> {
    const items: Item[] = [];
    try {
      const pages = paginateQuery(
        { client: this.#client },
        {
          TableName: this.#tableName,
          KeyConditionExpression: '#id = :id',
          // Never the wrapped key material: names and versions are all this needs.
          ProjectionExpression: '#id, #type, #version',
          ExpressionAttributeNames: { '#id': idAttribute, '#type': typeAttribute, '#version': 'version' },
          ExpressionAttributeValues: { ':id': { S: branchKeyId } },
          ConsistentRead: true,
        },
      );
      for await (const page of pages) items.push(...(page.Items ?? []));
    } catch (error) {
      rethrowAwsUnavailable('key-store', error);
    }
    return items;
  }
}
