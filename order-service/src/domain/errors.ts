// Typed errors of the order service. Messages never carry a card number: they are written to logs.

import {
  type DependencyUnavailableErrorOf,
  DependencyUnavailableError as SharedDependencyUnavailableError,
} from '@tokenization/service-kit/errors';

/** A request field the contract's schema accepts but the domain does not (a card failing Luhn, ...). */
export class InvalidOrderFieldError extends Error {
  override readonly name = 'InvalidOrderFieldError';
  constructor(
    /** The field's name in the request body, e.g. `CreditCard`. */
    readonly field: string,
    /** Why, said to the client: a fixed text, never the field's value. */
    readonly reason: string,
  ) {
    super(`${field} ${reason}`);
  }
}

/** No such order for this caller: it does not exist, is not finished, or belongs to someone else. */
export class OrderNotFoundError extends Error {
  override readonly name = 'OrderNotFoundError';
  constructor() {
    super('order not found');
  }
}

/** The CustomerOrder exists with another body or for another user. */
export class OrderConflictError extends Error {
  override readonly name = 'OrderConflictError';
  constructor() {
    super('the order exists with different details');
  }
}

export class OrderAlreadyPaidError extends Error {
  override readonly name = 'OrderAlreadyPaidError';
  constructor() {
    super('the order is already paid');
  }
}

/** The payment processor refused the charge; the order stays unpaid. */
export class PaymentDeclinedError extends Error {
  override readonly name = 'PaymentDeclinedError';
  constructor(
    /** The processor's reason code, safe to show (e.g. `card_declined`). */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`payment declined: ${reason}`, options);
  }
}

/**
 * The processor refused the charge request itself, not the card (its API key, a field it does not take):
 * this service or the connection is misconfigured, which no retry cures. The order stays unpaid.
 */
export class PaymentRejectedError extends Error {
  override readonly name = 'PaymentRejectedError';
  constructor(
    /** The processor's status, or 0 for an answer that is not a charge. */
    readonly status: number,
    message = `the payment processor answered ${status}`,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The tokenizer can no longer use the order's card token (deleted, expired, refused). */
export class CardTokenUnusableError extends Error {
  override readonly name = 'CardTokenUnusableError';
  constructor(
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(`the tokenizer cannot use the card token: ${code}`, options);
  }
}

/** The tokenizer answered something this client cannot use (a 4xx other than throttling, a bad body). */
export class TokenizerRejectedError extends Error {
  override readonly name = 'TokenizerRejectedError';
  constructor(
    readonly status: number,
    message = `the tokenizer answered ${status}`,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export type Dependency = 'tokenizer' | 'order-store' | 'identity-provider' | 'payment-processor';

/**
 * A dependency did not answer, timed out, throttled us or had a server fault: the client may retry. The
 * kit's class, constructed with this service's dependency names only.
 */
export const DependencyUnavailableError: DependencyUnavailableErrorOf<Dependency> =
  SharedDependencyUnavailableError;
export type DependencyUnavailableError = SharedDependencyUnavailableError<Dependency>;

/** The ID token is missing, malformed, expired, or does not verify. `reason` goes to logs only. */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`authentication failed: ${reason}`, options);
  }
}
