import { invalidFieldsProblem, problemType } from '@tokenization/service-kit/problem';
import { type ProblemAnswer, registerProblemHandling } from '@tokenization/service-kit/problem-handling';
import type { FastifyError, FastifyInstance } from 'fastify';
import {
  AuthenticationError,
  DependencyUnavailableError,
  InvalidOrderFieldError,
  OrderAlreadyPaidError,
  OrderConflictError,
  OrderNotFoundError,
  PaymentDeclinedError,
} from '../domain/errors.js';

export interface ProblemHandlingOptions {
  /** Seconds a client is told to wait when a dependency is unavailable and did not say how long. */
  retryAfterSeconds: number;
}

// A dependency asking for longer than this is not passed on as is: clients would wait for nothing.
const maxRetryAfterSeconds = 60;

const dependencyNames = {
  tokenizer: 'tokenizer',
  'order-store': 'order store',
  'identity-provider': 'identity provider',
  'payment-processor': 'payment processor',
} as const;

/** The order service's error handling: its own errors mapped here, the rest shared with the tokenizer. */
export function registerOrderProblems(app: FastifyInstance, options: ProblemHandlingOptions): void {
  registerProblemHandling(app, {
    retryAfterSeconds: options.retryAfterSeconds,
    // No path parameter is ever repeated in a problem's `instance` (the default): a CustomerOrder is the
    // client's text, and may be a card number typed in the wrong place.
    answerFor: (error) => answerFor(error, options),
  });
}

function answerFor(error: FastifyError, options: ProblemHandlingOptions): ProblemAnswer | undefined {
  if (error instanceof InvalidOrderFieldError) {
    return { problem: invalidFieldsProblem([{ field: `/body/${error.field}`, message: error.reason }]) };
  }
  if (error instanceof AuthenticationError) {
    return {
      problem: {
        type: problemType('unauthenticated'),
        title: 'Unauthorized',
        status: 401,
        detail: 'Send a valid Cognito ID token in the Authorization header.',
      },
      headers: { 'www-authenticate': 'Bearer' },
      reason: error.reason,
    };
  }
  if (error instanceof OrderNotFoundError) {
    return {
      problem: {
        type: problemType('order-not-found'),
        title: 'Not Found',
        status: 404,
        detail: 'No such order.',
      },
    };
  }
  if (error instanceof OrderConflictError) {
    return {
      problem: {
        type: problemType('order-conflict'),
        title: 'Conflict',
        status: 409,
        detail: 'This CustomerOrder already exists with different details.',
      },
    };
  }
  if (error instanceof OrderAlreadyPaidError) {
    return {
      problem: {
        type: problemType('order-already-paid'),
        title: 'Conflict',
        status: 409,
        detail: 'This order is already paid.',
      },
    };
  }
  if (error instanceof PaymentDeclinedError) {
    return {
      problem: {
        type: problemType('payment-declined'),
        title: 'Payment Required',
        status: 402,
        detail: 'The card was declined; the order is not paid.',
      },
      reason: error.reason,
    };
  }
  if (error instanceof DependencyUnavailableError) {
    const seconds = Math.min(
      maxRetryAfterSeconds,
      Math.max(options.retryAfterSeconds, error.retryAfterSeconds ?? 0),
    );
    return {
      problem: {
        type: problemType('dependency-unavailable'),
        title: 'Service Unavailable',
        status: 503,
        detail: `The ${dependencyNames[error.dependency]} is unavailable; nothing was written. Retry later.`,
      },
      headers: { 'retry-after': String(seconds) },
    };
  }
  return undefined;
}
