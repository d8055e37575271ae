import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The order table: one item per CustomerOrder. The sample's fields keep the sample's names.
 *
 * | attribute         | type | meaning                                                                 |
 * |-------------------|------|-------------------------------------------------------------------------|
 * | `CustomerOrder`   | S    | partition key, chosen by the client                                     |
 * | `CustomerName`    | S    | as posted                                                               |
 * | `Address`         | S    | as posted                                                               |
 * | `CreditCardToken` | S    | the tokenizer's token for the card (absent while `PENDING`)             |
 * | `cardLast4`       | S    | the card's last four digits                                             |
 * | `cardBrand`       | S    | the tokenizer's brand code (`visa`, …, `unknown`), once `CREATED`       |
 * | `owner`           | S    | the creator's Cognito `sub`                                             |
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
export const orderKeyAttribute = 'CustomerOrder';

/** DynamoDB's TTL removes lapsed reservations by this attribute (orders never carry it). */
export const orderTimeToLiveAttribute = 'expiresAt';

/** The table as the local stack and the tests create it (the CDK stack declares the same key and TTL). */
export function orderTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: orderKeyAttribute, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: orderKeyAttribute, KeyType: 'HASH' }],
  };
}
