import type { AttributeValue, CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { OrderKey } from '../domain/order-key.js';

/**
 * The order table: one item per owner and CustomerOrder. The sample's fields keep the sample's names.
 * The owner is the partition key, so a client-chosen CustomerOrder never collides with another user's and
 * one user's orders sit together.
 *
 * | attribute         | type | meaning                                                                 |
 * |-------------------|------|-------------------------------------------------------------------------|
 * | `owner`           | S    | partition key: the creator's Cognito `sub` (the verified caller)        |
 * | `CustomerOrder`   | S    | sort key, chosen by the client, unique per owner                        |
 * | `CustomerName`    | S    | as posted                                                               |
 * | `Address`         | S    | as posted                                                               |
 * | `CreditCardToken` | S    | the tokenizer's token for the card (absent while `PENDING`)             |
 * | `cardLast4`       | S    | the card's last four digits                                             |
 * | `cardBrand`       | S    | the tokenizer's brand code (`visa`, …, `unknown`), once `CREATED`       |
 * | `status`          | S    | `PENDING` (a reservation, not an order), `CREATED`, `PAID`              |
 * | `requestHash`     | S    | SHA-256 of the request without its card number (fields + last four)     |
 * | `createdAt`       | S    | ISO 8601, once `CREATED`                                                |
 * | `reservationId`   | S    | the create attempt holding a `PENDING` reservation                      |
 * | `expiresAt`       | N    | epoch seconds a `PENDING` reservation lapses; the table's TTL attribute |
 * | `paidAt`          | S    | ISO 8601, once `PAID`                                                   |
 * | `chargeId`        | S    | the payment processor's charge, once `PAID`                             |
 *
 * No attribute holds or derives from the full card number.
 */
export const orderOwnerAttribute = 'owner';

/** The sort key: the client's order id. */
export const orderIdAttribute = 'CustomerOrder';

/** DynamoDB's TTL removes lapsed reservations by this attribute (orders never carry it). */
export const orderTimeToLiveAttribute = 'expiresAt';

/** The primary key of an order's item. */
export function orderItemKey(key: OrderKey): Record<string, AttributeValue> {
  return { [orderOwnerAttribute]: { S: key.owner }, [orderIdAttribute]: { S: key.customerOrder } };
}

/**
 * The table as the local stack and the tests create it. The CDK stack declares the same key and TTL from
 * these names, and local-stack/compose/order-table.json holds the same definition for docker-compose's init
 * (a test keeps both in step).
 */
export function orderTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: orderOwnerAttribute, AttributeType: 'S' },
      { AttributeName: orderIdAttribute, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: orderOwnerAttribute, KeyType: 'HASH' },
      { AttributeName: orderIdAttribute, KeyType: 'RANGE' },
    ],
  };
}
