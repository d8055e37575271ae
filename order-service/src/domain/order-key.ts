import { createHash } from 'node:crypto';

/**
 * What names an order: its owner (the verified caller's Cognito `sub`, never a request field) and the
 * client's CustomerOrder. A CustomerOrder is unique per owner only: two users may both have order
 * `123456789`, and neither can tell whether the other's exists.
 */
export interface OrderKey {
  owner: string;
  customerOrder: string;
}

/**
 * The payment processor's idempotency key of an order. The CustomerOrder alone would make two owners' orders
 * of the same id one charge; the owner's `sub` is not the processor's business. A SHA-256 of both is unique
 * per order, the same on every retry, and says nothing about either.
 */
export function chargeReference(key: OrderKey): string {
  const fields = ['order-charge-v1', key.owner, key.customerOrder];
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url');
}
