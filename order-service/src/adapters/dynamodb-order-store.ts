import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { rethrowAwsUnavailable } from '@tokenization/service-kit/aws-errors';
import { type CardBrand, cardBrands } from '@tokenization/service-kit/card';
import { DependencyUnavailableError } from '../domain/errors.js';
import type { OrderRecord, OrderReservation } from '../domain/order.js';
import type { OrderKey } from '../domain/order-key.js';
import type { OrderPayment, OrderPlacement, OrderStore } from '../domain/ports.js';
import { orderIdAttribute, orderItemKey, orderTimeToLiveAttribute } from './order-table.js';

type Item = Record<string, AttributeValue>;

export interface DynamoDbOrderStoreOptions {
  client: DynamoDBClient;
  tableName: string;
}

// Every attribute an expression names goes through a placeholder: `status` is a reserved word.
const names = {
  // Either key attribute exists in every item: this one says whether the item does.
  '#key': orderIdAttribute,
  '#status': 'status',
  '#reservationId': 'reservationId',
  '#expiresAt': orderTimeToLiveAttribute,
  '#token': 'CreditCardToken',
  '#last4': 'cardLast4',
  '#brand': 'cardBrand',
  '#createdAt': 'createdAt',
  '#paidAt': 'paidAt',
  '#chargeId': 'chargeId',
} as const;

type NameKey = keyof typeof names;

/** The ExpressionAttributeNames an expression uses (DynamoDB rejects unused ones). */
function namesIn(expression: string): Record<string, string> {
  const used = expression.match(/#[A-Za-z0-9]+/g) ?? [];
  return Object.fromEntries(used.map((name) => [name, names[name as NameKey]]));
}

export class DynamoDbOrderStore implements OrderStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(options: DynamoDbOrderStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async reserve(reservation: OrderReservation, now: Date): Promise<boolean> {
    const condition = 'attribute_not_exists(#key) OR (#status = :pending AND #expiresAt < :now)';
    return this.#conditionally(() =>
      this.#client.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: reservationItem(reservation),
          ConditionExpression: condition,
          ExpressionAttributeNames: namesIn(condition),
          ExpressionAttributeValues: {
            ':pending': { S: 'PENDING' },
            ':now': { N: String(epochSeconds(now)) },
          },
        }),
      ),
    );
  }

  async complete(key: OrderKey, reservationId: string, placement: OrderPlacement): Promise<boolean> {
    const update =
      'SET #status = :created, #token = :token, #last4 = :last4, #brand = :brand, #createdAt = :createdAt ' +
      'REMOVE #reservationId, #expiresAt';
    const condition = '#status = :pending AND #reservationId = :reservationId';
    return this.#conditionally(() =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: orderItemKey(key),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: namesIn(`${update} ${condition}`),
          ExpressionAttributeValues: {
            ':created': { S: 'CREATED' },
            ':pending': { S: 'PENDING' },
            ':reservationId': { S: reservationId },
            ':token': { S: placement.cardToken },
            ':last4': { S: placement.cardLast4 },
            ':brand': { S: placement.cardBrand },
            ':createdAt': { S: placement.createdAt.toISOString() },
          },
        }),
      ),
    );
  }

  async release(key: OrderKey, reservationId: string): Promise<void> {
    const condition = '#status = :pending AND #reservationId = :reservationId';
    await this.#conditionally(() =>
      this.#client.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: orderItemKey(key),
          ConditionExpression: condition,
          ExpressionAttributeNames: namesIn(condition),
          ExpressionAttributeValues: { ':pending': { S: 'PENDING' }, ':reservationId': { S: reservationId } },
        }),
      ),
    );
  }

  async get(key: OrderKey): Promise<OrderRecord | undefined> {
    try {
      const { Item } = await this.#client.send(
        new GetItemCommand({ TableName: this.#tableName, Key: orderItemKey(key), ConsistentRead: true }),
      );
      return Item && fromItem(key, Item);
    } catch (error) {
      rethrowAwsUnavailable('order-store', error);
    }
  }

  async markPaid(key: OrderKey, payment: OrderPayment): Promise<boolean> {
    const update = 'SET #status = :paid, #paidAt = :paidAt, #chargeId = :chargeId';
    // The owner is in the key: only their own order can match.
    const condition = '#status = :created';
    return this.#conditionally(() =>
      this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: orderItemKey(key),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: namesIn(`${update} ${condition}`),
          ExpressionAttributeValues: {
            ':paid': { S: 'PAID' },
            ':created': { S: 'CREATED' },
            ':paidAt': { S: payment.paidAt.toISOString() },
            ':chargeId': { S: payment.chargeId },
          },
        }),
      ),
    );
  }

  async checkHealth(): Promise<void> {
    try {
      await this.#client.send(new DescribeTableCommand({ TableName: this.#tableName }));
    } catch (error) {
      // A missing table makes the service as unusable as an outage does.
      throw new DependencyUnavailableError('order-store', { cause: error });
    }
  }

  /** Sends a conditional write: true when it was applied, false when its condition did not hold. */
  async #conditionally(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      rethrowAwsUnavailable('order-store', error);
    }
  }
}

function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function reservationItem(reservation: OrderReservation): Item {
  return {
    ...orderItemKey(reservation),
    CustomerName: { S: reservation.customerName },
    Address: { S: reservation.address },
    requestHash: { S: reservation.requestHash },
    cardLast4: { S: reservation.cardLast4 },
    status: { S: 'PENDING' },
    reservationId: { S: reservation.reservationId },
    [orderTimeToLiveAttribute]: { N: String(epochSeconds(reservation.expiresAt)) },
  };
}

/** The owner and CustomerOrder are the key that was asked for, never read back from the item. */
function fromItem(key: OrderKey, item: Item): OrderRecord {
  const facts = {
    customerOrder: key.customerOrder,
    customerName: item.CustomerName?.S ?? '',
    address: item.Address?.S ?? '',
    owner: key.owner,
    requestHash: item.requestHash?.S ?? '',
    cardLast4: item.cardLast4?.S ?? '',
  };
  const status = item.status?.S;
  if (status === 'CREATED' || status === 'PAID') {
    return {
      ...facts,
      status,
      cardToken: item.CreditCardToken?.S ?? '',
      cardBrand: brandOf(item.cardBrand?.S),
      createdAt: new Date(item.createdAt?.S ?? 0),
      ...(item.paidAt?.S ? { paidAt: new Date(item.paidAt.S) } : {}),
      ...(item.chargeId?.S ? { chargeId: item.chargeId.S } : {}),
    };
  }
  // Anything that is not an order is a reservation: never shown, never paid.
  return {
    ...facts,
    status: 'PENDING',
    reservationId: item.reservationId?.S ?? '',
    expiresAt: new Date(Number(item[orderTimeToLiveAttribute]?.N ?? 0) * 1000),
  };
}

function brandOf(value: string | undefined): CardBrand {
  return cardBrands.find((brand) => brand === value) ?? 'unknown';
}
