// A tiny HTTP destination for forward tests, on loopback: each request is recorded (method, path, headers,
// body as received) and answered by the test's handler, which can answer anything a processor could,
// redirects and oversized answers included.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type DestinationHandler = (request: ReceivedRequest, response: ServerResponse) => void;

export interface TestDestination {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  received: ReceivedRequest[];
  /** Replaces how the next requests are answered. */
  answer: (handler: DestinationHandler) => void;
}

/** Answers JSON with a status (the default: 201 and an echo of what a processor keeps). */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): DestinationHandler {
  return (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };
}

export async function startTestDestination(t: Test, handler: DestinationHandler = json(201, { id: 'ch_1' })) {
  let current = handler;
  const received: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(entry);
      current(entry, response);
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
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    answer: (next: DestinationHandler) => {
      current = next;
    },
  } satisfies TestDestination;
}
