import {
  fastifyClientProblem,
  internalProblem,
  invalidFieldsProblem,
  malformedRequestProblem,
  type Problem,
  problemContentType,
  problemType,
  validationProblem,
} from '@tokenization/contracts/problem';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { redactCardNumbers } from '../domain/card.js';
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

interface Answer {
  problem: Problem;
  headers?: Record<string, string>;
  /** Logged with the rejection, never sent. */
  reason?: string;
}

// A dependency asking for longer than this is not passed on as is: clients would wait for nothing.
const maxRetryAfterSeconds = 60;

const dependencyNames = {
  tokenizer: 'tokenizer',
  'order-store': 'order store',
  'identity-provider': 'identity provider',
  'payment-processor': 'payment processor',
} as const;

/**
 * The one error handler of the app. Details are fixed texts or field paths: request data (which may hold a
 * card number) is never echoed, and a 5xx says nothing about internals.
 */
export function registerProblemHandling(app: FastifyInstance, options: ProblemHandlingOptions): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { problem, headers, reason } = toProblem(error, options);
    if (problem.status >= 500) request.log.error({ err: error }, problem.title);
    else request.log.info({ problem: problem.type, status: problem.status, reason }, 'request rejected');
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
        detail: 'The service is restarting; nothing was written. Retry later.',
      },
      { 'retry-after': String(options.retryAfterSeconds) },
    );
    return reply;
  });
}

function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: Problem,
  headers: Record<string, string> = {},
): FastifyReply {
  // The path can hold whatever a client put in it, a card number included.
  const instance = redactCardNumbers(request.url.split('?')[0] ?? '');
  return reply
    .code(problem.status)
    .headers(headers)
    .type(problemContentType)
    .send({ ...problem, instance: problem.instance ?? instance });
}

function toProblem(error: FastifyError, options: ProblemHandlingOptions): Answer {
  if (error.validation)
    return { problem: validationProblem(error.validation, error.validationContext ?? 'body') };
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
  const clientProblem = fastifyClientProblem(error.code);
  if (clientProblem) return { problem: clientProblem };
  if (error instanceof SyntaxError || error.statusCode === 400) return { problem: malformedRequestProblem };
  return { problem: internalProblem };
}
