// An HTTP server for client tests: records each request and answers it from a script.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (to make a client time out). */
  delayMs?: number;
}

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  /** Answers, in order; the last one repeats. */
  answer(...answers: ScriptedAnswer[]): void;
}

export async function startScriptedServer(t: Test): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  let script: ScriptedAnswer[] = [{ status: 500 }];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      const next = (script.length > 1 ? script.shift() : script[0]) as ScriptedAnswer;
      const send = () => {
        if (response.destroyed) return;
        response.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
        response.end(next.body === undefined ? undefined : JSON.stringify(next.body));
      };
      if (next.delayMs) setTimeout(send, next.delayMs);
      else send();
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
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answer(...answers) {
      script = answers;
    },
  };
}
