// The raw floor: what the tokenizer's own store and cipher do at best on this machine, measured in the
// same run and at the same concurrency as the service.
import { createCipheriv, createDecipheriv, randomBytes, randomInt, randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { tokenKey, vaultKeyAttribute } from '@tokenization/tokenizer-service/vault-table';
import { type Operation, runClosedLoop } from './runner.js';
import { median } from './stats.js';

/** PutItem and GetItem of items shaped and sized like a real vault item, on the same DynamoDB Local. */
export class StoreFloor {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #template: Record<string, AttributeValue>;
  /** Keys written by the put floor, read back by the get floor. */
  readonly #written: string[] = [];

  private constructor(client: DynamoDBClient, tableName: string, template: Record<string, AttributeValue>) {
    this.#client = client;
    this.#tableName = tableName;
    this.#template = template;
  }

  /** Reads the vault item of `token` to copy its shape and size. */
  static async fromVaultItem(options: {
    endpoint: string;
    region: string;
    tableName: string;
    tenant: string;
    token: string;
  }): Promise<StoreFloor> {
    const client = new DynamoDBClient({
      endpoint: options.endpoint,
      region: options.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: options.tableName,
        Key: { [vaultKeyAttribute]: { S: tokenKey(options.tenant, options.token) } },
      }),
    );
    if (!Item) throw new Error('the vault item to copy was not found');
    return new StoreFloor(client, options.tableName, Item);
  }

  /** Approximate item size as DynamoDB counts it (attribute names plus values). */
  get itemBytes(): number {
    return Object.entries(this.#template).reduce(
      (total, [name, value]) =>
        total +
        Buffer.byteLength(name) +
        (value.B ? value.B.byteLength : Buffer.byteLength(value.S ?? value.N ?? '')),
      0,
    );
  }

  operation(floor: 'dynamodb-put' | 'dynamodb-get'): Operation {
    if (floor === 'dynamodb-put') {
      return async () => {
        const token = `tok_floor${randomUUID().replaceAll('-', '').slice(0, 17)}`;
        const key = tokenKey('bench-floor', token);
        // The same request the vault makes: a conditional put that never overwrites.
        await this.#client.send(
          new PutItemCommand({
            TableName: this.#tableName,
            Item: {
              ...this.#template,
              [vaultKeyAttribute]: { S: key },
              tenant: { S: 'bench-floor' },
              token: { S: token },
            },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': vaultKeyAttribute },
          }),
        );
        this.#written.push(key);
      };
    }
    return async () => {
      if (this.#written.length === 0) throw new Error('run the put floor first');
      const key = this.#written[randomInt(this.#written.length)] as string;
      const { Item } = await this.#client.send(
        new GetItemCommand({ TableName: this.#tableName, Key: { [vaultKeyAttribute]: { S: key } } }),
      );
      if (!Item) throw new Error('floor item not found');
    };
  }

  close(): void {
    this.#client.destroy();
  }
}

/**
 * AES-256-GCM encryption and decryption of a 16-digit value with node:crypto, in this process: the cipher
 * alone, without the Encryption SDK's message format, key derivation or data key handling.
 */
export function cipherFloor(): Operation {
  const key = randomBytes(32);
  const value = Buffer.from('4111111111111111');
  return async () => {
    // Yield to the event loop: a loop of synchronous work alone would never let the bench's timers run.
    await new Promise((resolve) => setImmediate(resolve));
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ciphertext = Buffer.concat([cipher.update(value), cipher.final()]);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(cipher.getAuthTag());
    const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    if (!plaintext.equals(value)) throw new Error('round trip failed');
  };
}

export interface DynamoDbWarmup {
  /** PutItem + GetItem per second in each 1-second window, in order. */
  windows: number[];
  /** The last three windows were within ±10% of their median before the time ran out. */
  stable: boolean;
}

/**
 * Warms DynamoDB Local's JVM (its JIT) before anything is measured: PutItem and GetItem in turn at
 * concurrency 16, one second at a time, until three windows in a row agree within ±10% (at least five
 * windows), or `maxSeconds` have passed.
 */
export async function warmDynamoDb(
  floor: StoreFloor,
  maxSeconds: number,
  onWindow: (windows: number[]) => void = () => {},
): Promise<DynamoDbWarmup> {
  const windows: number[] = [];
  const put = floor.operation('dynamodb-put');
  const get = floor.operation('dynamodb-get');
  await put(0);
  let turn = 0;
  const operation: Operation = (worker) => ((turn++ + worker) % 2 === 0 ? put(worker) : get(worker));
  while (windows.length < maxSeconds) {
    const result = await runClosedLoop({ concurrency: 16, warmupMs: 0, durationMs: 1000, operation });
    windows.push(result.requestsInWindow);
    onWindow(windows);
    if (windows.length >= 5 && isStable(windows.slice(-3))) return { windows, stable: true };
  }
  return { windows, stable: false };
}

/** Every value within ±10% of their median. */
export function isStable(values: readonly number[]): boolean {
  const middle = median(values);
  return middle > 0 && values.every((value) => Math.abs(value - middle) <= 0.1 * middle);
}
