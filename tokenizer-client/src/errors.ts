// The tokenizer's answers as typed errors: one base class (`TokenizerError`, with `cause` and a `kind`
// discriminant), a class per problem the contract documents, and the failures where no answer came.
//
// Messages are built from fixed texts, the status, the problem type and the names of invalid fields,
// never from anything the server wrote: an error message ends up in logs, and a value submitted to the
// tokenizer (a card number) must never be there, even if a faulty server echoed it.
import type { components } from '@tokenization/contracts/tokenizer';

/** RFC 9457 problem details, as the contract defines them. */
export type Problem = components['schemas']['Problem'];
/** One invalid request field of a `400`: a JSON Pointer such as `/body/items/3/value`, and why. */
export type ProblemField = NonNullable<Problem['errors']>[number];
/** What a forward's destination answered (status and scrubbed JSON body), on `destination-refused`. */
export type DestinationAnswer = components['schemas']['DestinationAnswer'];

export type TokenizerErrorKind =
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'rate-limited'
  | 'expired'
  | 'locked'
  | 'tenant-not-onboarded'
  | 'tenant-suspended'
  | 'tenant-shredded'
  | 'token-unusable'
  | 'destination-refused'
  | 'destination-answer-refused'
  | 'unavailable'
  | 'server-error'
  | 'rejected'
  | 'timeout'
  | 'connection'
  | 'credentials'
  | 'invalid-response';

/** Anything the client throws for a call that did not succeed (a caller's own abort aside). */
export abstract class TokenizerError extends Error {
  abstract readonly kind: TokenizerErrorKind;
}

/** The tokenizer answered with an error status (and usually a problem document). */
export class TokenizerProblemError extends TokenizerError {
  override readonly name: string = 'TokenizerProblemError';
  readonly kind: TokenizerErrorKind;
  /** The problem type URI, e.g. `urn:tokenization:problem:validation`, when the answer named one. */
  readonly type: string | undefined;
  /** The problem document as answered (the tokenizer never puts a submitted value in one). */
  readonly problem: Problem | undefined;
  /** The delay the answer's Retry-After asked for, in seconds. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly status: number,
    problem: Problem | undefined,
    options: { retryAfterSeconds?: number | undefined; kind?: TokenizerErrorKind; more?: string } = {},
  ) {
    const type = typeof problem?.type === 'string' ? problem.type : undefined;
    const named = type !== undefined && ownProblemType.test(type) ? ` (${type})` : '';
    super(`the tokenizer answered ${status}${named}${options.more ?? ''}`);
    this.kind = options.kind ?? kindOfStatus(status);
    this.type = type;
    this.problem = problem;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/**
 * A problem that names fields (`errors`, JSON Pointers such as `/body/ttlSeconds`): the message lists the
 * well-formed pointers only (a pointer repeating caller text could hold a value), `fields` gives them all.
 */
export abstract class TokenizerFieldProblemError extends TokenizerProblemError {
  readonly errors: readonly ProblemField[];

  constructor(status: number, problem: Problem | undefined, kind: TokenizerErrorKind, verb: string) {
    const errors = Array.isArray(problem?.errors) ? problem.errors : [];
    const fields = errors.map((error) => error.field).filter((field) => safeFieldPointer.test(field));
    super(status, problem, { kind, more: fields.length > 0 ? `: ${verb} ${fields.join(', ')}` : '' });
    this.errors = errors;
  }

  /** The JSON Pointers of the fields at fault, e.g. `['/body/ttlSeconds']`. */
  get fields(): string[] {
    return this.errors.map((error) => error.field);
  }
}

/** `400`: the request does not match the contract, or a value does not fit its type; `errors` names the fields. */
export class TokenizerValidationError extends TokenizerFieldProblemError {
  override readonly name = 'TokenizerValidationError';
  constructor(problem: Problem | undefined) {
    super(400, problem, 'validation', 'invalid');
  }
}

/** `401`: the signature is missing or does not verify (wrong secret, clock skew, wrong region). */
export class TokenizerUnauthorizedError extends TokenizerProblemError {
  override readonly name = 'TokenizerUnauthorizedError';
  constructor(problem: Problem | undefined) {
    super(401, problem, { kind: 'unauthorized' });
  }
}

/** `403`: the caller is not allowed this operation (or is unknown to the tokenizer's policy). */
export class TokenizerForbiddenError extends TokenizerProblemError {
  override readonly name = 'TokenizerForbiddenError';
  constructor(problem: Problem | undefined) {
    super(403, problem, { kind: 'forbidden' });
  }
}

/** `404`: no such token for this caller's tenant (never created, deleted, or another tenant's). */
export class TokenNotFoundError extends TokenizerProblemError {
  override readonly name = 'TokenNotFoundError';
  constructor(problem: Problem | undefined) {
    super(404, problem, { kind: 'not-found' });
  }
}

/** `409`: every format-preserving token tried for the value was taken; nothing was written. */
export class TokenizerConflictError extends TokenizerProblemError {
  override readonly name = 'TokenizerConflictError';
  constructor(problem: Problem | undefined) {
    super(409, problem, { kind: 'conflict' });
  }
}

/** `429`: throttled (the deterministic-tokenize limit, or API Gateway's); nothing was done. */
export class TokenizerRateLimitError extends TokenizerProblemError {
  override readonly name = 'TokenizerRateLimitError';
  constructor(problem: Problem | undefined, retryAfterSeconds: number | undefined) {
    super(429, problem, { kind: 'rate-limited', retryAfterSeconds });
  }
}

/** `503`: the tokenizer's vault store or KMS is unavailable; retry after `retryAfterSeconds`. */
export class TokenizerUnavailableError extends TokenizerProblemError {
  override readonly name: string = 'TokenizerUnavailableError';
  constructor(problem: Problem | undefined, retryAfterSeconds: number | undefined) {
    super(503, problem, { kind: 'unavailable', retryAfterSeconds });
  }
}

/** `404` from forward with problem type `connection-not-found`: the tokenizer has no such connection. */
export class ConnectionNotFoundError extends TokenizerProblemError {
  override readonly name = 'ConnectionNotFoundError';
  constructor(problem: Problem | undefined) {
    super(404, problem, { kind: 'not-found' });
  }
}

/** `410` from verify: the token has expired; it can no longer be verified. */
export class TokenExpiredError extends TokenizerProblemError {
  override readonly name = 'TokenExpiredError';
  constructor(problem: Problem | undefined) {
    super(410, problem, { kind: 'expired' });
  }
}

/** `423` from verify: too many mismatches on this token; a security admin must reset it. Not retried. */
export class VerifyLockedError extends TokenizerProblemError {
  override readonly name = 'VerifyLockedError';
  constructor(problem: Problem | undefined) {
    super(423, problem, { kind: 'locked' });
  }
}

/**
 * `403` with problem type `tenant-not-onboarded`: the caller's tenant has no tenant record (it was never
 * onboarded, or the caller's policy names the wrong tenant). A matter for the security team; not retried.
 */
export class TenantNotOnboardedError extends TokenizerProblemError {
  override readonly name = 'TenantNotOnboardedError';
  constructor(problem: Problem | undefined) {
    super(403, problem, { kind: 'tenant-not-onboarded' });
  }
}

/**
 * `403` with problem type `tenant-suspended`: the crypto-shred of the caller's tenant is scheduled; nothing is
 * served until the security team cancels it. Not retried.
 */
export class TenantSuspendedError extends TokenizerProblemError {
  override readonly name = 'TenantSuspendedError';
  constructor(problem: Problem | undefined) {
    super(403, problem, { kind: 'tenant-suspended' });
  }
}

/** `410` with problem type `tenant-shredded`: the caller's tenant was shredded; its values are gone for good. */
export class TenantShreddedError extends TokenizerProblemError {
  override readonly name = 'TenantShreddedError';
  constructor(problem: Problem | undefined) {
    super(410, problem, { kind: 'tenant-shredded' });
  }
}

/**
 * `422` from forward: a token at a declared pointer cannot be used (not a token, not found, expired, no
 * uses left); `errors` names each field (`/body/body/card/number`) and why. Nothing was sent.
 */
export class TokenUnusableError extends TokenizerFieldProblemError {
  override readonly name = 'TokenUnusableError';
  constructor(problem: Problem | undefined) {
    super(422, problem, 'token-unusable', 'unusable');
  }
}

/**
 * Forward: the destination answered 4xx (a decline, a validation error of its own). `destination` holds its
 * status and its JSON body, scrubbed of card numbers by the tokenizer. The HTTP status is the destination's,
 * except 401, 403, 407 and 429 (answered 424), so read `destination.status`.
 */
export class DestinationRefusedError extends TokenizerProblemError {
  override readonly name = 'DestinationRefusedError';
  readonly destination: DestinationAnswer | undefined;
  constructor(status: number, problem: Problem | undefined) {
    super(status, problem, { kind: 'destination-refused' });
    this.destination = problem?.destination;
  }
}

/**
 * Forward, `503`: the destination did not answer in time, could not be reached or answered 5xx. Whether
 * it acted is unknown: retry with the same idempotency key (the client does, when you passed one).
 */
export class DestinationFailedError extends TokenizerUnavailableError {
  override readonly name = 'DestinationFailedError';
}

/**
 * Forward, `502`: the tokenizer refused the destination's answer or address (a redirect, an answer above
 * the connection's size limit or not JSON, an address that is not allowed). Final: not retried.
 */
export class DestinationAnswerRefusedError extends TokenizerProblemError {
  override readonly name = 'DestinationAnswerRefusedError';
  constructor(problem: Problem | undefined) {
    super(502, problem, { kind: 'destination-answer-refused' });
  }
}

/** No answer within the call's timeout (the request may or may not have been processed). */
export class TokenizerTimeoutError extends TokenizerError {
  override readonly name = 'TokenizerTimeoutError';
  readonly kind = 'timeout';
  constructor(
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(`the tokenizer did not answer within ${timeoutMs} ms`, options);
  }
}

/** No answer: the connection failed, or was closed before the answer came. */
export class TokenizerConnectionError extends TokenizerError {
  override readonly name = 'TokenizerConnectionError';
  readonly kind = 'connection';
  constructor(
    /** False when no connection was ever made (refused, unresolvable): the tokenizer cannot have the request. */
    readonly connected: boolean,
    options?: ErrorOptions,
  ) {
    super(
      connected
        ? 'the connection to the tokenizer failed before an answer came'
        : 'could not connect to the tokenizer',
      options,
    );
  }
}

/** No credentials to sign with (the default chain found none, or a given provider failed). */
export class TokenizerCredentialsError extends TokenizerError {
  override readonly name = 'TokenizerCredentialsError';
  readonly kind = 'credentials';
  constructor(options?: ErrorOptions) {
    super('no credentials to sign the tokenizer request with', options);
  }
}

/** The answer is outside the contract (a body that is not JSON, a missing body, a redirect). */
export class TokenizerResponseError extends TokenizerError {
  override readonly name = 'TokenizerResponseError';
  readonly kind = 'invalid-response';
  constructor(
    readonly status: number | undefined,
    reason: string,
  ) {
    // No `cause`: a JSON SyntaxError quotes the body it failed on, and that body may hold a revealed value.
    super(`the tokenizer's answer${status === undefined ? '' : ` (${status})`} ${reason}`);
  }
}

/** The typed error for an answer with an error status; `body` is its parsed JSON (or text). */
export function problemError(
  status: number,
  body: unknown,
  retryAfterSeconds: number | undefined,
): TokenizerProblemError {
  const problem = asProblem(body, status);
  // Forward relays the destination's 4xx with its status: the problem type tells it from the tokenizer's own.
  const ownType = problem?.type.startsWith(ownProblemPrefix)
    ? problem.type.slice(ownProblemPrefix.length)
    : '';
  switch (ownType) {
    case 'destination-refused':
      return new DestinationRefusedError(status, problem);
    case 'destination-failed':
      return new DestinationFailedError(problem, retryAfterSeconds);
    case 'destination-redirect-refused':
    case 'destination-response-too-large':
    case 'destination-response-not-json':
    case 'destination-address-refused':
      return new DestinationAnswerRefusedError(problem);
    case 'connection-not-found':
      return new ConnectionNotFoundError(problem);
    case 'token-expired':
      return new TokenExpiredError(problem);
    case 'verify-locked':
      return new VerifyLockedError(problem);
    case 'token-unusable':
      return new TokenUnusableError(problem);
    // Forward relays a destination's 403 as 424 and its 410 as `destination-refused`: these are the tokenizer's.
    case 'tenant-not-onboarded':
      return new TenantNotOnboardedError(problem);
    case 'tenant-suspended':
      return new TenantSuspendedError(problem);
    case 'tenant-shredded':
      return new TenantShreddedError(problem);
  }
  switch (status) {
    case 400:
      return new TokenizerValidationError(problem);
    case 401:
      return new TokenizerUnauthorizedError(problem);
    case 403:
      return new TokenizerForbiddenError(problem);
    case 404:
      return new TokenNotFoundError(problem);
    case 409:
      return new TokenizerConflictError(problem);
    case 429:
      return new TokenizerRateLimitError(problem, retryAfterSeconds);
    case 503:
      return new TokenizerUnavailableError(problem, retryAfterSeconds);
    default:
      return new TokenizerProblemError(status, problem, { retryAfterSeconds });
  }
}

function kindOfStatus(status: number): TokenizerErrorKind {
  if (status === 413) return 'payload-too-large';
  if (status === 415) return 'unsupported-media-type';
  return status >= 500 ? 'server-error' : 'rejected';
}

const ownProblemPrefix = 'urn:tokenization:problem:';
// Only the tokenizer's own problem types (a fixed vocabulary) go into a message.
const ownProblemType = /^urn:tokenization:problem:[a-z][a-z-]{0,63}$/;
// Pointer segments that cannot hold a card number: names starting with a letter, short array indexes.
const safeFieldPointer = /^(?:\/(?:[A-Za-z_][A-Za-z0-9_]{0,63}|\d{1,3}|\(unnamed\)))+$/;

/**
 * The problem document of an error answer: a JSON object naming its `type` (the members the contract
 * requires besides are filled in when missing). Undefined for anything else, e.g. API Gateway's
 * `{"message": "Forbidden"}`.
 */
function asProblem(body: unknown, httpStatus: number): Problem | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { type, title, status, detail, instance, errors, destination } = body as Record<string, unknown>;
  if (typeof type !== 'string') return undefined;
  return {
    type,
    title: typeof title === 'string' ? title : '',
    status: typeof status === 'number' ? status : httpStatus,
    ...(typeof detail === 'string' ? { detail } : {}),
    ...(typeof instance === 'string' ? { instance } : {}),
    ...(Array.isArray(errors) ? { errors: errors.filter(isProblemField) } : {}),
    ...(isDestinationAnswer(destination) ? { destination } : {}),
  };
}

function isDestinationAnswer(value: unknown): value is DestinationAnswer {
  return (
    typeof value === 'object' && value !== null && typeof (value as { status?: unknown }).status === 'number'
  );
}

function isProblemField(value: unknown): value is ProblemField {
  if (typeof value !== 'object' || value === null) return false;
  const { field, message } = value as Record<string, unknown>;
  return typeof field === 'string' && typeof message === 'string';
}
