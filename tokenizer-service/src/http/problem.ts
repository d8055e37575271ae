import { problemType } from '@tokenization/service-kit/problem';
import { type ProblemAnswer, registerProblemHandling } from '@tokenization/service-kit/problem-handling';
import type { FastifyError, FastifyInstance } from 'fastify';
import {
  DependencyUnavailableError,
  IntegrityError,
  InvalidItemError,
  TenantNotOnboardedError,
  TenantShreddedError,
  TenantSuspendedError,
  TokenExpiredError,
  TokenNotFoundError,
  TokenSpaceExhaustedError,
  VerifyLockedError,
} from '../domain/errors.js';
import { isWellFormedToken } from '../domain/well-formed-token.js';
import { forwardAnswerFor } from './forward-problems.js';

/** The tokenizer's error handling: its own errors mapped here, the rest shared with the order service. */
export function registerTokenizerProblems(
  app: FastifyInstance,
  options: { retryAfterSeconds: number },
): void {
  registerProblemHandling(app, {
    retryAfterSeconds: options.retryAfterSeconds,
    answerFor: (error) => answerFor(error, options.retryAfterSeconds),
    // A problem's `instance` repeats a token of ours, never other text sent in its place (a card number).
    echoesParameter: (name, value) => name === 'token' && isWellFormedToken(value),
  });
}

const dependencyNames = { store: 'vault store', kms: 'key service', secrets: 'secret store' } as const;

function answerFor(error: FastifyError, retryAfterSeconds: number): ProblemAnswer | undefined {
  const forwarding = forwardAnswerFor(error, retryAfterSeconds);
  if (forwarding) return forwarding;
  // The caller's own tenant, so it is not named: a detail may end up in a shared log.
  if (error instanceof TenantNotOnboardedError) {
    return {
      problem: {
        type: problemType('tenant-not-onboarded'),
        title: 'Forbidden',
        status: 403,
        detail: "The caller's tenant is not onboarded to the tokenizer.",
      },
    };
  }
  if (error instanceof TenantSuspendedError) {
    return {
      problem: {
        type: problemType('tenant-suspended'),
        title: 'Forbidden',
        status: 403,
        detail:
          "The caller's tenant is suspended: its shred is scheduled. Nothing is served until it is cancelled.",
      },
    };
  }
  if (error instanceof TenantShreddedError) {
    return {
      problem: {
        type: problemType('tenant-shredded'),
        title: 'Gone',
        status: 410,
        detail: "The caller's tenant was shredded: its tokens and values are gone for good.",
      },
    };
  }
  if (error instanceof TokenExpiredError) {
    return {
      problem: {
        type: problemType('token-expired'),
        title: 'Gone',
        status: 410,
        detail: 'The token has expired.',
      },
    };
  }
  if (error instanceof VerifyLockedError) {
    return {
      problem: {
        type: problemType('verify-locked'),
        title: 'Locked',
        status: 423,
        detail: 'The token had too many verify mismatches; a security admin must reset it.',
      },
    };
  }
  if (error instanceof InvalidItemError) {
    return {
      problem: {
        type: problemType(error.code === 'invalid_value' ? 'invalid-value' : 'invalid-options'),
        title: 'Bad Request',
        status: 400,
        detail: error.message,
        errors: [{ field: `/body/${withoutMetadataKey(error.field)}`, message: error.message }],
      },
    };
  }
  if (error instanceof TokenNotFoundError) {
    return {
      problem: {
        type: problemType('token-not-found'),
        title: 'Not Found',
        status: 404,
        detail: 'No such token.',
      },
    };
  }
  if (error instanceof DependencyUnavailableError) {
    return {
      problem: {
        type: problemType('dependency-unavailable'),
        title: 'Service Unavailable',
        status: 503,
        detail: `The ${dependencyNames[error.dependency]} is unavailable; retry later.`,
      },
      headers: { 'retry-after': String(retryAfterSeconds) },
    };
  }
  if (error instanceof IntegrityError) {
    // The vault's own data failed its check (tampered or moved): a server fault, logged as an error, with a
    // type of its own so clients and alarms can tell it from other 500s. Nothing stored is echoed.
    return {
      problem: {
        type: problemType('integrity-error'),
        title: 'Internal Server Error',
        status: 500,
        detail: 'The stored record of this token failed its integrity check; it was refused.',
      },
    };
  }
  if (error instanceof TokenSpaceExhaustedError) {
    return {
      problem: {
        type: problemType('token-space-exhausted'),
        title: 'Conflict',
        status: 409,
        detail: 'No unused format-preserving token could be found for this value.',
      },
    };
  }
  return undefined;
}

/** A field below `metadata` would repeat a key the caller chose (maybe a card number): name `metadata`. */
function withoutMetadataKey(field: string): string {
  return field.replace(/^((?:.*\/)?metadata)\/.*$/, '$1');
}
