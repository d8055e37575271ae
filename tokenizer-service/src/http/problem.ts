import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  DependencyUnavailableError,
  InvalidItemError,
  TokenNotFoundError,
  TokenSpaceExhaustedError,
} from '../domain/errors.js';

export const problemContentType = 'application/problem+json';

/** RFC 9457 problem details. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { field: string; message: string }[];
}

const problemType = (slug: string) => `urn:tokenization:problem:${slug}`;

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
 * card number) is never echoed, and a 5xx says nothing about internals.
 */
export function registerProblemHandling(app: FastifyInstance, options: ProblemHandlingOptions): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { problem, headers } = toProblem(error, options);
    if (problem.status >= 500) request.log.error({ err: error }, problem.title);
    else request.log.info({ problem: problem.type, status: problem.status }, 'request rejected');
    return sendProblem(request, reply, problem, headers);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, {
      type: problemType('not-found'),
      title: 'Not Found',
      status: 404,
      detail: 'No such route.',
    }),
  );
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
    return {
      problem: {
        type: problemType('validation'),
        title: 'Bad Request',
        status: 400,
        detail: 'The request does not match the API contract.',
        errors: error.validation.map((issue) => ({
          field: fieldPointer(error.validationContext ?? 'body', issue),
          message: issue.message ?? 'is invalid',
        })),
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
  const clientProblem = fastifyClientProblems[error.code];
  if (clientProblem) return { problem: { type: problemType(clientProblem.slug), ...clientProblem.problem } };
  if (error instanceof SyntaxError || error.statusCode === 400) {
    // JSON.parse messages quote the body: never pass them on.
    return {
      problem: {
        type: problemType('malformed-request'),
        title: 'Bad Request',
        status: 400,
        detail: 'The request is malformed.',
      },
    };
  }
  return {
    problem: {
      type: problemType('internal'),
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred.',
    },
  };
}

const fastifyClientProblems: Record<string, { slug: string; problem: Omit<Problem, 'type'> }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    slug: 'payload-too-large',
    problem: { title: 'Payload Too Large', status: 413, detail: 'The request body is too large.' },
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    slug: 'unsupported-media-type',
    problem: {
      title: 'Unsupported Media Type',
      status: 415,
      detail: 'Send the request body as application/json.',
    },
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    slug: 'malformed-request',
    problem: { title: 'Bad Request', status: 400, detail: 'The request body is empty.' },
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    slug: 'malformed-request',
    problem: { title: 'Bad Request', status: 400, detail: 'The request body is not valid JSON.' },
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    slug: 'malformed-request',
    problem: {
      title: 'Bad Request',
      status: 400,
      detail: 'The Content-Length header does not match the body.',
    },
  },
};

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

// Property names come from the request: only echo ones that cannot be a card number or markup.
const safePropertyName = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A JSON Pointer to the offending field, e.g. `/body/items/3/value`. */
function fieldPointer(context: string, issue: ValidationIssue): string {
  const base = `/${context}${issue.instancePath}`;
  const property = issue.params.missingProperty ?? issue.params.additionalProperty;
  if (typeof property !== 'string') return base;
  return `${base}/${safePropertyName.test(property) ? property : '(unnamed)'}`;
}
