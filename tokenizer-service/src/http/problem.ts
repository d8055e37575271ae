import { type ProblemAnswer, registerProblemHandling } from '@tokenization/contracts/fastify-problems';
import { type Problem, problemType } from '@tokenization/contracts/problem';
import type { FastifyError, FastifyInstance } from 'fastify';
import {
  DependencyUnavailableError,
  InvalidItemError,
  TokenNotFoundError,
  TokenSpaceExhaustedError,
} from '../domain/errors.js';

/** An error that is already a client-facing problem. */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly problem: Omit<Problem, 'type'> & { type?: string },
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail ?? problem.title);
  }
}

/** The tokenizer's error handling: its own errors mapped here, the rest shared with the order service. */
export function registerTokenizerProblems(
  app: FastifyInstance,
  options: { retryAfterSeconds: number },
): void {
  registerProblemHandling(app, {
    retryAfterSeconds: options.retryAfterSeconds,
    answerFor: (error) => answerFor(error, options.retryAfterSeconds),
  });
}

function answerFor(error: FastifyError, retryAfterSeconds: number): ProblemAnswer | undefined {
  if (error instanceof ProblemError) {
    return { problem: { type: problemType('bad-request'), ...error.problem }, headers: error.headers };
  }
  if (error instanceof InvalidItemError) {
    return {
      problem: {
        type: problemType(error.code === 'invalid_value' ? 'invalid-value' : 'invalid-options'),
        title: 'Bad Request',
        status: 400,
        detail: error.message,
        errors: [{ field: `/body/${error.field}`, message: error.message }],
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
        detail: `The ${error.dependency === 'kms' ? 'key service' : 'vault store'} is unavailable; retry later.`,
      },
      headers: { 'retry-after': String(retryAfterSeconds) },
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
