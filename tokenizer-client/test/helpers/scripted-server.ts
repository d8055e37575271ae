// A stand-in tokenizer on loopback for the fault cases a real one cannot be made to show on demand: it
// records each request and answers it from a script (an answer, a late answer, or a dropped connection).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type ScriptedAnswer =
  | {
      status: number;
      /** Sent as JSON, or as is when `raw`. */
      body?: unknown;
      raw?: boolean;
      headers?: Record<string, string>;
      /** Answer this late (to make a client time out). */
      delayMs?: number;
    }
  /** Read the request, then close the connection without answering: the answer is lost. */
  | { drop: true };

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  /** Answers, in order; the last one repeats. */
  answer(...answers: ScriptedAnswer[]): void;
}

export async function startScriptedServer(t: Test): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  let script: ScriptedAnswer[] = [{ status: 500 }];
  const lateAnswers = new Set<NodeJS.Timeout>();
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      const next = (script.length > 1 ? script.shift() : script[0]) as ScriptedAnswer;
      if ('drop' in next) {
        request.socket.destroy();
        return;
      }
      const send = () => {
        if (response.destroyed) return;
        const contentType = next.status >= 400 ? 'application/problem+json' : 'application/json';
        response.writeHead(next.status, { 'content-type': contentType, ...next.headers });
        if (next.body === undefined) response.end();
        else response.end(next.raw ? String(next.body) : JSON.stringify(next.body));
      };
      if (!next.delayMs) return send();
      const timer = setTimeout(() => {
        lateAnswers.delete(timer);
        send();
      }, next.delayMs);
      lateAnswers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const timer of lateAnswers) clearTimeout(timer);
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

/** A loopback URL where nothing listens: connections are refused. */
export async function refusingUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
