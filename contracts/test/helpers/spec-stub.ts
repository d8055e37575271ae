// An HTTP server made from a contract alone, for consumer tests: it routes by the contract's operations
// (under an optional base path, as API Gateway's stage), validates every request against the contract and
// records it with its problems, and answers with responses synthesised from the contract's response
// schemas (or scripted by the test), each checked against the contract before it is sent.
import { createServer, type IncomingHttpHeaders, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type { Test } from 'tap';
import type { JsonSchema } from '../../src/operations.js';
import type { ContractValidator } from './contract-validator.js';
import { arbitraryFor } from './schema-arbitrary.js';

export interface StubRequest {
  /** The operation the request addressed, if any. */
  operationId: string | undefined;
  method: string;
  /** The URL as received, base path included. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  params: Record<string, string>;
  /** Every way the request departs from the contract; empty when it conforms. */
  problems: string[];
}

export interface StubAnswer {
  status: number;
  headers?: Record<string, string>;
  /** The body to send; by default one synthesised from the contract's schema for this status. */
  body?: unknown;
  /** A status the contract does not document (e.g. API Gateway's throttling 429): sent unchecked. */
  undocumented?: boolean;
}

/**
 * A body synthesised from the contract's schema for a status of the operation, among those `accept` takes
 * (e.g. a result whose `type` is the request's: what the prose of a contract says and its schema cannot).
 */
export type Synthesise = (status: number, accept?: (body: unknown) => boolean) => unknown;

export type StubScript = StubAnswer | ((request: StubRequest, synthesise: Synthesise) => StubAnswer);

export interface SpecStub {
  /** The base URL to give the client, base path included. */
  url: string;
  requests: StubRequest[];
  /** Answers the next requests of an operation in this order; the last one repeats. */
  answer(operationId: string, ...answers: StubScript[]): void;
  /** Answers the stub refused to send because they departed from the contract: must stay empty. */
  refusals: string[];
  /** Forgets the requests and scripts (back to synthesised successes). */
  reset(): void;
}

export interface SpecStubOptions {
  /** A path prefix, e.g. API Gateway's stage `/prod`. */
  basePath?: string;
  /** Seed of the synthesised bodies: the same seed gives the same answers. */
  seed?: number;
}

export async function startSpecStub(
  t: Test,
  validator: ContractValidator,
  options: SpecStubOptions = {},
): Promise<SpecStub> {
  const basePath = options.basePath ?? '';
  const requests: StubRequest[] = [];
  const refusals: string[] = [];
  let scripts = new Map<string, StubScript[]>();
  let sequence = options.seed ?? 1;

  const synthesise = (schema: JsonSchema, accept: (value: unknown) => boolean = () => true): unknown => {
    const valid = arbitraryFor(schema).filter(
      (value) => validator.schemaProblems(schema, value).length === 0 && accept(value),
    );
    return fc.sample(valid, { numRuns: 1, seed: sequence++ })[0];
  };
  const synthesiseFor =
    (operationId: string): Synthesise =>
    (status, accept) => {
      const content = validator.responseObject(operationId, String(status))?.content ?? {};
      const schema = Object.values(content)[0]?.schema;
      return schema === undefined ? undefined : synthesise(schema, accept);
    };

  /** A documented answer of `status`: headers and body from the contract, scripted parts kept. */
  const complete = (
    operationId: string,
    answer: StubAnswer,
  ): { headers: Record<string, string>; body?: string } => {
    const documented = validator.responseObject(operationId, String(answer.status));
    const headers: Record<string, string> = {};
    for (const [name, header] of Object.entries(documented?.headers ?? {})) {
      if (header.required && header.schema) headers[name.toLowerCase()] = String(synthesise(header.schema));
    }
    for (const [name, value] of Object.entries(answer.headers ?? {})) headers[name.toLowerCase()] = value;
    const [mediaType, media] = Object.entries(documented?.content ?? {})[0] ?? [];
    if (mediaType === undefined) {
      if (answer.body === undefined) return { headers };
      headers['content-type'] ??= 'application/json';
      return { headers, body: JSON.stringify(answer.body) };
    }
    headers['content-type'] ??= mediaType;
    let body = answer.body;
    if (body === undefined && media?.schema) {
      body = synthesise(media.schema);
      if (mediaType === 'application/problem+json') {
        body = {
          ...(body as object),
          type: `urn:tokenization:problem:stub-${answer.status}`,
          title: STATUS_CODES[answer.status] ?? 'Error',
          status: answer.status,
        };
      }
    }
    return { headers, body: body === undefined ? undefined : JSON.stringify(body) };
  };

  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const url = incoming.url ?? '';
      const body = Buffer.concat(chunks).toString('utf8');
      const inBase = url.startsWith(`${basePath}/`);
      const verdict = inBase
        ? validator.requestProblems({
            method: incoming.method ?? '',
            url: url.slice(basePath.length),
            headers: incoming.headers as Record<string, string>,
            body,
          })
        : { problems: [`${url} is outside the base path ${basePath}`] };
      const request: StubRequest = {
        operationId: verdict.match?.route.operationId,
        method: incoming.method ?? '',
        url,
        headers: incoming.headers,
        body,
        params: verdict.match?.params ?? {},
        problems: verdict.problems,
      };
      requests.push(request);

      let answer: StubAnswer;
      const operationId = request.operationId;
      if (operationId === undefined) {
        answer = {
          status: 404,
          undocumented: true,
          body: { type: 'about:blank', title: 'Not Found', status: 404 },
        };
      } else if (request.problems.length > 0) {
        answer = { status: 400 };
      } else {
        const script = scripts.get(operationId) ?? [];
        const next = (script.length > 1 ? script.shift() : script[0]) ?? {
          status: Number(validator.route(operationId).statusCodes.find((status) => status.startsWith('2'))),
        };
        answer = typeof next === 'function' ? next(request, synthesiseFor(operationId)) : next;
      }
      const { headers, body: text } =
        operationId === undefined
          ? { headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify(answer.body) }
          : complete(operationId, answer);
      if (operationId !== undefined && !answer.undocumented) {
        const problems = validator.responseProblems(operationId, {
          status: answer.status,
          headers,
          body: text ?? '',
        });
        if (problems.length > 0) {
          refusals.push(...problems);
          response.writeHead(500, { 'content-type': 'text/plain' }).end(problems.join('\n'));
          return;
        }
      }
      response.writeHead(answer.status, headers).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${basePath}`,
    requests,
    refusals,
    answer(operationId, ...answers) {
      validator.route(operationId);
      scripts.set(operationId, answers);
    },
    reset() {
      requests.length = 0;
      scripts = new Map();
    },
  };
}
