// HTTP/1.1 over a raw socket, for requests no HTTP client will send: header injection (CRLF, NUL),
// conflicting framing, bodies that lie about their length. No tap or app imports here. Every answer is
// recorded for the run's response scan: some (the HTTP parser's own refusals) never pass an app's hooks.
import { connect } from 'node:net';
import { operationOfPath, recordResponse } from '@tokenization/local-aws/test-support/response-capture';

export interface RawAnswer {
  /** 0 when the server closed the connection without answering. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything received, as text. */
  raw: string;
}

/**
 * Writes `request` (a whole HTTP/1.1 message, `\r\n` line ends, ideally with `Connection: close`) to
 * 127.0.0.1:`port` and reads until the server closes the connection or `timeoutMs` passes. Only the first
 * response is parsed.
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 5_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the answer was read still leaves the answer to parse.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const answer = parseAnswer(Buffer.concat(chunks).toString('utf8'));
      recordAnswer(request, answer);
      resolve(answer);
    });
    socket.write(request);
  });
}

function recordAnswer(request: string | Buffer, answer: RawAnswer): void {
  const [method = '?', path = ''] = String(request).split('\r\n', 1)[0]?.split(' ') ?? [];
  const operation = operationOfPath(method, path);
  recordResponse({
    source: 'raw HTTP client',
    method,
    ...(operation ? { operation } : {}),
    status: answer.status,
    body: answer.body,
  });
}

function parseAnswer(raw: string): RawAnswer {
  const headerEnd = raw.indexOf('\r\n\r\n');
  if (!raw.startsWith('HTTP/1.1 ') || headerEnd < 0) return { status: 0, headers: {}, body: '', raw };
  const [statusLine = '', ...headerLines] = raw.slice(0, headerEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(headerEnd + 4);
  const length = Number(headers['content-length']);
  if (Number.isInteger(length)) body = Buffer.from(body).subarray(0, length).toString('utf8');
  else if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
  return { status: Number(statusLine.split(' ')[1]), headers, body, raw };
}

function unchunk(text: string): string {
  let rest = Buffer.from(text);
  const parts: Buffer[] = [];
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd < 0) break;
    const size = Number.parseInt(rest.subarray(0, lineEnd).toString(), 16);
    if (!size) break;
    parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
    rest = rest.subarray(lineEnd + 4 + size);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** An HTTP/1.1 request message from its parts; headers are written exactly as given (injection included). */
export function httpMessage(
  method: string,
  path: string,
  headers: Record<string, string> | [string, string][],
  body: string | Buffer = '',
): Buffer {
  const entries = Array.isArray(headers) ? headers : Object.entries(headers);
  const head = [`${method} ${path} HTTP/1.1`, ...entries.map(([name, value]) => `${name}: ${value}`)].join(
    '\r\n',
  );
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
}
