import { createHash } from 'node:crypto';
import type { CardBrand } from '@tokenization/service-kit/card';

/**
 * The states of an order item. `PENDING` is a reservation of the CustomerOrder by a create request in
 * flight: it is not an order (reads and payments treat it as absent) and it expires. `CREATED` and `PAID`
 * are orders.
 */
export type OrderStatus = 'CREATED' | 'PAID';

/** A create request as the contract validated it. */
export interface OrderRequest {
  CustomerOrder: string;
  CustomerName: string;
  CreditCard: string;
  Address: string;
}

/** What every stored state holds. Nothing here derives from the card number but its last four. */
export interface OrderFacts {
  customerOrder: string;
  customerName: string;
  address: string;
  /** The Cognito `sub` of the user who created it. */
  owner: string;
  /** Fingerprint of the request without its card number: see requestFingerprint. */
  requestHash: string;
  cardLast4: string;
}

export interface OrderReservation extends OrderFacts {
  status: 'PENDING';
  /** Names the create attempt that holds the reservation. */
  reservationId: string;
  /** After this, another request may take the CustomerOrder over (and DynamoDB's TTL removes the item). */
  expiresAt: Date;
}

export interface PlacedOrder extends OrderFacts {
  status: OrderStatus;
  cardToken: string;
  /** The tokenizer's brand of the card (its card facts). */
  cardBrand: CardBrand;
  createdAt: Date;
  paidAt?: Date;
  chargeId?: string;
}

export type OrderRecord = OrderReservation | PlacedOrder;

/**
 * Identifies a create request without its card number: SHA-256 over the other fields and the card's last
 * four. Nothing in it derives from the full number (an unkeyed hash of a card number could be reversed by
 * trying every number of a BIN; PCI DSS 3.5.1.1 forbids it), so two requests differing only in the middle
 * digits of the card have the same fingerprint: the full numbers are compared through the tokenizer.
 */
export function requestFingerprint(facts: {
  customerOrder: string;
  customerName: string;
  address: string;
  cardLast4: string;
}): string {
  const fields = ['v1', facts.customerOrder, facts.customerName, facts.address, facts.cardLast4];
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url');
}

/** True when a stored order or reservation was made by this owner with this request (card aside). */
export function sameRequest(stored: OrderFacts, facts: OrderFacts): boolean {
  return stored.owner === facts.owner && stored.requestHash === facts.requestHash;
}
