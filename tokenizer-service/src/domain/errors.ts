// Typed errors of the tokenizer. Messages never carry a submitted value: they are written to logs.

import {
  type DependencyUnavailableErrorOf,
  DependencyUnavailableError as SharedDependencyUnavailableError,
} from '@tokenization/service-kit/errors';

export type Dependency = 'store' | 'kms' | 'secrets';

/** The vault store or KMS did not answer, answered with a server fault, or throttled us (the kit's class). */
export const DependencyUnavailableError: DependencyUnavailableErrorOf<Dependency> =
  SharedDependencyUnavailableError;
export type DependencyUnavailableError = SharedDependencyUnavailableError<Dependency>;

/**
 * A stored token record is not the one made for this token of this tenant: its ciphertext, its key, or one
 * of its sealed facts was tampered with or moved. Messages are fixed texts, never stored values.
 */
export class IntegrityError extends Error {
  override readonly name = 'IntegrityError';
  constructor(message = 'stored token record failed its integrity check', options?: ErrorOptions) {
    super(message, options);
  }
}

export class TokenNotFoundError extends Error {
  override readonly name = 'TokenNotFoundError';
  constructor() {
    super('token not found');
  }
}

/** The token's ttlSeconds have passed (verify answers 410: an expired token cannot be verified). */
export class TokenExpiredError extends Error {
  override readonly name = 'TokenExpiredError';
  constructor() {
    super('token expired');
  }
}

/** The token had its limit of verify mismatches: verify answers 423 until a security admin resets it. */
export class VerifyLockedError extends Error {
  override readonly name = 'VerifyLockedError';
  constructor() {
    super('verify locked after too many mismatches');
  }
}

/**
 * The caller's tenant has no tenant record: it was never onboarded (answered 403 `tenant-not-onboarded`).
 * Messages never name the tenant.
 */
export class TenantNotOnboardedError extends Error {
  override readonly name = 'TenantNotOnboardedError';
  constructor() {
    super("the caller's tenant is not onboarded");
  }
}

/** The tenant's shred is scheduled: refused until it is cancelled (403 `tenant-suspended`). */
export class TenantSuspendedError extends Error {
  override readonly name = 'TenantSuspendedError';
  constructor() {
    super("the caller's tenant is suspended: its shred is scheduled");
  }
}

/** The tenant was shredded: its values are unrecoverable (410 `tenant-shredded`). */
export class TenantShreddedError extends Error {
  override readonly name = 'TenantShreddedError';
  constructor() {
    super("the caller's tenant was shredded");
  }
}

/** Every fresh token tried already existed (only plausible for tokens with a small space). */
export class TokenSpaceExhaustedError extends Error {
  override readonly name = 'TokenSpaceExhaustedError';
  constructor(attempts: number) {
    super(`no free token after ${attempts} attempts`);
  }
}

export type InvalidItemCode = 'invalid_value' | 'invalid_options';

/**
 * An item is well-formed but its value or options do not fit together (a card number failing the Luhn
 * check, deterministic with an expiry). A single request answers 400 naming `field`; a batch item answers
 * with the code and the other items go on.
 */
export class InvalidItemError extends Error {
  override readonly name = 'InvalidItemError';
  constructor(
    readonly code: InvalidItemCode,
    /** The property at fault, relative to the item: `value`, `format`, `ttlSeconds`... */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
