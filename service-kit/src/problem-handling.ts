// The error handling both services share: one error handler, RFC 9457 answers, a 404 for unknown routes,
// and a 503 with Retry-After while the app closes. Each service maps its own errors; the answers common to
// both (ProblemError, contract validation, Fastify's client errors, 500) are given here.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProblemError } from './errors.js';
import {
  fastifyClientProblem,
  internalProblem,
  malformedRequestProblem,
  type Problem,
  problemContentType,
  problemType,
  validationProblem,
} from './problem.js';

export interface ProblemAnswer {
  problem: Problem;
  headers?: Record<string, string>;
  /** Logged with the rejection, never sent. */
  reason?: string;
}

export interface ProblemHandlingOptions {
  /** Seconds a client is told to wait while the app closes. */
  retryAfterSeconds: number;
  /** The service's own errors; undefined for the rest, which get the shared answers. */
  answerFor: (error: FastifyError) => ProblemAnswer | undefined;
  /**
   * Path parameters the service recognises as its own and may repeat in a problem's `instance` (the
   * tokenizer's well-formed tokens). Default: none.
   */
  echoesParameter?: EchoesParameter;
}

/** May the value of path parameter `name` be repeated to the caller? */
export type EchoesParameter = (name: string, value: string) => boolean;

/**
 * The one error handler of an app. Details are fixed texts or field paths: request data (which may hold a
 * card number) is never echoed, and a 5xx says nothing about internals.
 */
export function registerProblemHandling(app: FastifyInstance, options: ProblemHandlingOptions): void {
  const send = (request: FastifyRequest, reply: FastifyReply, answer: ProblemAnswer) =>
    sendProblem(request, reply, answer.problem, answer.headers, options.echoesParameter);
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = problemErrorAnswer(error) ?? options.answerFor(error) ?? sharedAnswer(error);
    const { problem, reason } = answer;
    if (problem.status >= 500) request.log.error({ err: error }, problem.title);
    else request.log.info({ problem: problem.type, status: problem.status, reason }, 'request rejected');
    return send(request, reply, answer);
  });
  app.setNotFoundHandler((request, reply) =>
    send(request, reply, {
      problem: { type: problemType('not-found'), title: 'Not Found', status: 404, detail: 'No such route.' },
    }),
  );
  // Once the app is closing (a restart; SIGTERM to the local server), requests still arriving on kept-alive
  // connections are answered like any unavailability: 503, Retry-After, a problem, and the connection
  // closed. Fastify's own `return503OnClosing` would answer a bare JSON 503 without Retry-After.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    send(request, reply, {
      problem: {
        type: problemType('shutting-down'),
        title: 'Service Unavailable',
        status: 503,
        detail: 'The service is restarting; nothing was written. Retry later.',
      },
      headers: { 'retry-after': String(options.retryAfterSeconds) },
    });
    return reply;
  });
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: Problem,
  headers: Record<string, string> = {},
  echoesParameter: EchoesParameter = () => false,
): FastifyReply {
  const instance = problem.instance ?? problemInstance(request, echoesParameter);
  return reply
    .code(problem.status)
    .headers(headers)
    .type(problemContentType)
    .send(instance === undefined ? problem : { ...problem, instance });
}

/**
 * A problem's `instance`: the route's pattern (`/v1/tokens/:token`), with the path parameters the service
 * recognises as its own filled in. The path is caller text (a card number typed where a token belongs), so
 * it is never repeated as sent; an unknown route, all caller text, has no instance.
 */
export function problemInstance(
  request: FastifyRequest,
  echoesParameter: EchoesParameter = () => false,
): string | undefined {
  const pattern = request.routeOptions.url;
  if (pattern === undefined) return undefined;
  const params = (request.params ?? {}) as Record<string, unknown>;
  return pattern.replace(/:([A-Za-z0-9_]+)/g, (placeholder, name: string) => {
    const value = params[name];
    return typeof value === 'string' && echoesParameter(name, value)
      ? encodeURIComponent(value)
      : placeholder;
  });
}

/**
 * Pass as Fastify's `frameworkErrors` option. Fastify's own answers to URLs it cannot route (a bad
 * percent-encoding, a path parameter above its length limit) quote the path, which may hold a card number:
 * these are problems that do not, and are logged as any rejection.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const problem: Problem =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? {
          type: problemType('uri-too-long'),
          title: 'URI Too Long',
          status: 414,
          detail: 'The path is too long.',
        }
      : { ...malformedRequestProblem, detail: 'The request URL is malformed.' };
  request.log.info({ problem: problem.type, status: problem.status }, 'request rejected');
  sendProblem(request, reply, problem);
}

/** An error that already is a problem is sent as it is; its type defaults to `bad-request`. */
function problemErrorAnswer(error: unknown): ProblemAnswer | undefined {
  if (!(error instanceof ProblemError)) return undefined;
  return { problem: { type: problemType('bad-request'), ...error.problem }, headers: error.headers };
}

function sharedAnswer(error: FastifyError): ProblemAnswer {
  if (error.validation)
    return { problem: validationProblem(error.validation, error.validationContext ?? 'body') };
  const clientProblem = fastifyClientProblem(error.code);
  if (clientProblem) return { problem: clientProblem };
  // JSON.parse messages quote the body: never pass them on.
  if (error instanceof SyntaxError || error.statusCode === 400) return { problem: malformedRequestProblem };
  return { problem: internalProblem };
}
