// Every response the test stacks' apps send, and every answer the shared request helpers receive, is
// appended to the run's response directory, so that one scan at the end of the run (tap-after.ts) finds a
// card number echoed in any response body or problem of any test file.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordingTestRun, thisTestFile } from './log-capture.js';
import { runResponseDirectory } from './paths.js';

/** One response as recorded: where it came from and its body, never the request's URL or headers. */
export interface RecordedResponse {
  /** The test file whose process produced it. */
  test: string;
  /** Who answered or who received it, e.g. `tokenizer app`, `raw HTTP`, `Lambda bundle`. */
  source: string;
  method: string;
  /** The route's pattern when the app knows it, e.g. `/v1/tokens/:token`. */
  route?: string;
  /** The contract operation when known: the scan lets `detokenize` reveal values. */
  operation?: string;
  status: number;
  body: string;
}

const file = join(runResponseDirectory, `${process.pid}.ndjson`);
let directoryMade = false;

/** Appends one response to this process's file of the run (under tap only); synchronous, so none is lost. */
export function recordResponse(response: Omit<RecordedResponse, 'test'>): void {
  if (!recordingTestRun) return;
  if (!directoryMade) {
    mkdirSync(runResponseDirectory, { recursive: true });
    directoryMade = true;
  }
  appendFileSync(file, `${JSON.stringify({ test: thisTestFile, ...response })}\n`);
}

/**
 * Records every response `app` sends, however the test reaches it (inject, HTTP, raw sockets). Add it
 * before the app is ready: its onSend hook runs last, on the body as it leaves.
 */
export function recordResponsesOf(app: FastifyInstance, source: string): void {
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString() : '';
    const operationId = (request.routeOptions.config as { operationId?: unknown } | undefined)?.operationId;
    recordResponse({
      source,
      method: request.method,
      ...(request.routeOptions.url === undefined ? {} : { route: request.routeOptions.url }),
      ...(typeof operationId === 'string' ? { operation: operationId } : {}),
      status: reply.statusCode,
      body,
    });
    return payload;
  });
}

/**
 * The operation of a request a helper sent by path, where no app says it: only the tokenizer's
 * `detokenize` matters to the scan (a stage prefix such as `/prod` is allowed).
 */
export function operationOfPath(method: string, path: string): string | undefined {
  const pathOnly = path.split('?')[0] ?? '';
  return method.toUpperCase() === 'POST' && /^(\/[^/]+)?\/v1\/detokenize$/.test(pathOnly)
    ? 'detokenize'
    : undefined;
}
