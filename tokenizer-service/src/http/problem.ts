import {
  fastifyClientProblem,
  internalProblem,
  malformedRequestProblem,
  type Problem,
  problemContentType,
  problemType,
  validationProblem,
} from '@tokenization/contracts/problem';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

export interface ProblemHandlingOptions {
  /** Seconds a client is told to wait when a dependency is unavailable. */
  retryAfterSeconds: number;
}

/**
 * The one error handler of the app. Details are fixed texts or field paths: request data (which may hold a
 * card number) is never echoed, and a 5xx says nothing about internals. The answers both services give
 * alike (contract validation, Fastify's client errors, 500) come from `@tokenization/contracts/problem`.
 */
export function registerProblemHandling(app: FastifyInstance, options: ProblemHandlingOptions): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { problem, headers } = toProblem(error, options);
    if (problem.status >= 500) request.log.error({ err: error }, problem.title);
    else request.log.info({ problem: problem.type, status: problem.status }, 'request rejected');
    return sendProblem(request, reply, problem, headers);
  });
  registerClosingAnswer(app, options);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, {
      type: problemType('not-found'),
      title: 'Not Found',
      status: 404,
      detail: 'No such route.',
    }),
  );
}

/**
 * Once the app is closing (a restart; SIGTERM to the local server), requests still arriving on kept-alive
 * connections are answered like any unavailability: 503, Retry-After, a problem document, and the
 * connection closed (Fastify sets `Connection: close`). Fastify's own `return503OnClosing` would answer a
 * bare JSON 503 without Retry-After. Requests already in progress finish normally.
 */
function registerClosingAnswer(app: FastifyInstance, options: ProblemHandlingOptions): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    sendProblem(
      request,
      reply,
      {
        type: problemType('shutting-down'),
        title: 'Service Unavailable',
        status: 503,
        detail: 'The service is restarting; retry later.',
      },
      { 'retry-after': String(options.retryAfterSeconds) },
    );
    return reply;
  });
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: Problem,
  headers: Record<string, string> = {},
): FastifyReply {
  return reply
    .code(problem.status)
    .headers(headers)
    .type(problemContentType)
    .send({ ...problem, instance: problem.instance ?? request.url.split('?')[0] });
}

function toProblem(
  error: FastifyError,
  options: ProblemHandlingOptions,
): { problem: Problem; headers?: Record<string, string> } {
  if (error instanceof ProblemError) {
    return { problem: { type: problemType('bad-request'), ...error.problem }, headers: error.headers };
  }
  if (error.validation) {
    return { problem: validationProblem(error.validation, error.validationContext ?? 'body') };
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
      headers: { 'retry-after': String(options.retryAfterSeconds) },
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
  const clientProblem = fastifyClientProblem(error.code);
  if (clientProblem) return { problem: clientProblem };
  // JSON.parse messages quote the body: never pass them on.
  if (error instanceof SyntaxError || error.statusCode === 400) return { problem: malformedRequestProblem };
  return { problem: internalProblem };
}
