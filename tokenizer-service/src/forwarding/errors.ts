// Why a forward was refused or failed. Messages are fixed texts: never a path, a header, a body or a value.
import type { DestinationFailure } from './destination-client.js';

export class ConnectionNotFoundError extends Error {
  override readonly name = 'ConnectionNotFoundError';
  constructor() {
    super('no such connection');
  }
}

/** The method or the path is outside the connection's routes; `field` is `method` or `path`. */
export class ForwardRouteNotAllowedError extends Error {
  override readonly name = 'ForwardRouteNotAllowedError';
  constructor(readonly field: 'method' | 'path') {
    super(`the ${field} is outside the connection's routes`);
  }
}

export class ForwardHeaderNotAllowedError extends Error {
  override readonly name = 'ForwardHeaderNotAllowedError';
  constructor() {
    super('a header the connection does not let callers pass');
  }
}

/** Tokens (or card numbers) outside the declared pointers; `fields` are pointers into the forwarded body. */
export class TokenAtUndeclaredPointerError extends Error {
  override readonly name = 'TokenAtUndeclaredPointerError';
  constructor(readonly fields: readonly string[]) {
    super('a token or card number outside the declared pointers');
  }
}

export type UnusableTokenCode = 'not_found' | 'expired' | 'exhausted';

/** Tokens at declared pointers that cannot be revealed; nothing was sent. */
export class TokenUnusableError extends Error {
  override readonly name = 'TokenUnusableError';
  constructor(readonly items: readonly { field: string; code: UnusableTokenCode }[]) {
    super('a token at a declared pointer cannot be used');
  }
}

/** The destination answered 4xx; `body` is its JSON body, scrubbed, when it had one. */
export class DestinationRefusedError extends Error {
  override readonly name = 'DestinationRefusedError';
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`the destination answered ${status}`);
  }
}

/** The destination could not be reached, did not answer in time, or answered 5xx. */
export class DestinationFailedError extends Error {
  override readonly name = 'DestinationFailedError';
  constructor(options?: ErrorOptions) {
    super('the destination failed', options);
  }
}

export type RefusedAnswer = Exclude<DestinationFailure, 'unreachable'> | 'not-json';

/** The destination's answer or address was refused by a guard; sending again does not help. */
export class DestinationAnswerRefusedError extends Error {
  override readonly name = 'DestinationAnswerRefusedError';
  constructor(
    readonly refused: RefusedAnswer,
    options?: ErrorOptions,
  ) {
    super(`the destination's answer was refused: ${refused}`, options);
  }
}
