// Hostile input over real HTTP (raw sockets where no client would send it): every request carries a test
// card number, gets a documented 4xx, and neither its answer nor any log line holds the number; the
// process keeps serving. Not repeated here: the contract's field checks, bad JSON, text/plain and
// `__proto__` (tokens-api.test.ts), tampered, expired and unsigned SigV4 (sigv4.test.ts), other tenants'
// tokens (authorization.test.ts).
import type { AddressInfo } from 'node:net';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { cardNumbersIn } from '@tokenization/local-aws/test-support/test-cards';
import t, { type Test } from 'tap';
import { httpMessage, type RawAnswer, rawRequest } from '../helpers/raw-http.js';
import {
  assertNoCardNumberLogged,
  createTestStack,
  signRequest,
  type TestStack,
  testCaller,
  testCardNumbers,
  testRegion,
} from '../helpers/test-stack.js';

const [visa, mastercard] = testCardNumbers as readonly string[];
const problemJson = 'application/problem+json; charset=utf-8';

interface Server {
  stack: TestStack;
  port: number;
  host: string;
  /** A request signed as the test caller, sent over a raw socket with the given headers added as is. */
  signed: (
    method: string,
    path: string,
    body?: string | Buffer,
    options?: { contentType?: string | null; extraHeaders?: [string, string][]; date?: Date },
  ) => Promise<RawAnswer>;
}

async function startServer(t: Test): Promise<Server> {
  const stack = await createTestStack(t);
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = stack.app.server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  const signed: Server['signed'] = async (method, path, body = '', options = {}) => {
    const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
    const headers = await signRequest({
      method,
      url: path,
      headers: { host, ...(contentType === null ? {} : { 'content-type': contentType }) },
      body,
      credentials: testCaller.credentials,
      region: testRegion,
      ...(options.date ? { date: options.date } : {}),
    });
    return rawRequest(
      port,
      httpMessage(
        method,
        path,
        [
          ...Object.entries(headers),
          ['content-length', String(Buffer.byteLength(body))],
          ['connection', 'close'],
          ...(options.extraHeaders ?? []),
        ],
        body,
      ),
    );
  };
  return { stack, port, host, signed };
}

/** The answer is a 4xx (`status`), holds no test card number, and, when `problem`, is a problem document. */
function refused(t: Test, name: string, answer: RawAnswer, status: number, problem = true): void {
  t.equal(answer.status, status, `${name}: ${status}`);
  if (problem) t.equal(answer.headers['content-type'], problemJson, `${name}: a problem document`);
  t.same(cardNumbersIn(answer.raw), [], `${name}: no card number in the answer`);
}

// One server for the whole file: every test below must leave it serving.
const server = await startServer(t);

async function stillServing(t: Test): Promise<void> {
  const answer = await server.signed('POST', '/v1/tokens', JSON.stringify({ value: mastercard }));
  t.equal(answer.status, 201, 'the process still serves a valid request');
}

t.test('bodies that are not one JSON object, or not UTF-8: 400', async (t) => {
  const cases: [string, string | Buffer, string][] = [
    ['an empty body', '', 'The request body is empty.'],
    ['two documents', `{"value":"${visa}"}{"value":"x"}`, 'The request body is not valid JSON.'],
    ['NaN', `{"value":"${visa}","maxUses":NaN}`, 'The request body is not valid JSON.'],
    ['a single quote string', `{'value':'${visa}'}`, 'The request body is not valid JSON.'],
    ['null', 'null', 'The request does not match the API contract.'],
    ['an array', `["${visa}"]`, 'The request does not match the API contract.'],
    ['a string', `"${visa}"`, 'The request does not match the API contract.'],
    [
      'bytes that are not UTF-8',
      Buffer.concat([Buffer.from(`{"value":"${visa}`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
      'The request body is not valid UTF-8.',
    ],
    // ASCII in UTF-16 is valid UTF-8 (with NULs between), and then not JSON.
    ['UTF-16', Buffer.from(`{"value":"${visa}"}`, 'utf16le'), 'The request body is not valid JSON.'],
  ];
  for (const [name, body, detail] of cases) {
    const answer = await server.signed('POST', '/v1/tokens', body);
    refused(t, name, answer, 400);
    t.equal(JSON.parse(answer.body).detail, detail, `${name}: says what is wrong`);
  }
  await stillServing(t);
});

t.test('media types other than JSON: 415, before the body is parsed', async (t) => {
  const body = `value=${visa}`;
  for (const contentType of [
    null,
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'text/json',
    'application/vnd.api+json',
  ]) {
    refused(
      t,
      `content type ${contentType}`,
      await server.signed('POST', '/v1/tokens', body, { contentType }),
      415,
    );
  }
  const upperCase = await server.signed('POST', '/v1/tokens', JSON.stringify({ value: visa }), {
    contentType: 'APPLICATION/JSON; charset=UTF-8',
  });
  t.equal(upperCase.status, 201, 'media type names are case-insensitive');
  await stillServing(t);
});

t.test('huge bodies: 413 whatever the framing, signed or not, before they are read', async (t) => {
  const count = async () =>
    (
      await server.stack.dynamoDb.send(
        new ScanCommand({ TableName: server.stack.tableName, Select: 'COUNT' }),
      )
    ).Count;
  const before = await count();
  const declared = await rawRequest(
    server.port,
    httpMessage(
      'POST',
      '/v1/tokens',
      {
        host: server.host,
        'content-type': 'application/json',
        'content-length': '2000000',
        connection: 'close',
      },
      `{"value":"${visa}"`,
    ),
  );
  refused(t, 'a declared length over the limit, body never sent', declared, 413);

  const chunk = `{"value":"${visa}",${' '.repeat(65_536)}`;
  const chunks = Array.from({ length: 24 }, () => `${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`);
  const chunked = await rawRequest(
    server.port,
    httpMessage(
      'POST',
      '/v1/tokens',
      {
        host: server.host,
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
        connection: 'close',
      },
      `${chunks.join('')}0\r\n\r\n`,
    ),
  );
  refused(t, '1.5 MB chunked, no length', chunked, 413);
  t.equal(await count(), before, 'nothing was written');
  await stillServing(t);
});

t.test(
  'framing that lies (request smuggling shapes): 400 from the HTTP parser, connection closed',
  async (t) => {
    const cases: [string, string][] = [
      [
        'Content-Length and Transfer-Encoding both',
        `POST /v1/tokens HTTP/1.1\r\nHost: ${server.host}\r\nContent-Length: 27\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{"value":"${visa}"}`,
      ],
      [
        'two different Content-Lengths',
        `POST /v1/tokens HTTP/1.1\r\nHost: ${server.host}\r\nContent-Length: 5\r\nContent-Length: 29\r\n\r\n{"value":"${visa}"}`,
      ],
      [
        'a Content-Length that is not a number',
        `POST /v1/tokens HTTP/1.1\r\nHost: ${server.host}\r\nContent-Length: 1e3\r\n\r\n{"value":"${visa}"}`,
      ],
      [
        'a chunk size that is not hexadecimal',
        `POST /v1/tokens HTTP/1.1\r\nHost: ${server.host}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{"value":"${visa}"}\r\n0\r\n\r\n`,
      ],
    ];
    for (const [name, message] of cases) {
      const answer = await rawRequest(server.port, message);
      // Node's HTTP parser refuses these before Fastify sees them; Fastify's client error answer is plain JSON.
      refused(t, name, answer, 400, false);
      t.same(JSON.parse(answer.body), { error: 'Bad Request', message: 'Client Error', statusCode: 400 });
    }
    await stillServing(t);
  },
);

t.test('header injection: CR, LF, NUL or bad names in headers get 400; nothing is reflected', async (t) => {
  const valid = await signRequest({
    method: 'GET',
    url: '/health/live',
    headers: { host: server.host },
    credentials: testCaller.credentials,
    region: testRegion,
  });
  const head = Object.entries(valid)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const cases: [string, string][] = [
    ['a bare CR in a value', `X-Card: ${visa}\rSet-Cookie: a=b\r\n`],
    ['a bare LF in a value', `X-Card: x\nSet-Cookie: ${visa}\r\n`],
    ['a NUL in a value', `X-Card: ${visa}\u0000x\r\n`],
    ['a space in a header name', `X Card: ${visa}\r\n`],
    ['a folded (obs-fold) header', `X-Card: x\r\n  ${visa}\r\n`],
    ['a 20 KiB header', `X-Card: ${visa}${'a'.repeat(20 * 1024)}\r\n`],
  ];
  for (const [name, line] of cases) {
    const answer = await rawRequest(
      server.port,
      `GET /health/live HTTP/1.1\r\n${head}${line}Connection: close\r\n\r\n`,
    );
    refused(t, name, answer, name.includes('20 KiB') ? 431 : 400, false);
    t.notOk('set-cookie' in answer.headers, `${name}: no injected header comes back`);
  }
  const inPath = await server.signed('GET', '/v1/tokens/tok%0d%0aSet-Cookie:%20a=b');
  refused(t, 'CRLF encoded in the path', inPath, 400);
  t.notOk('set-cookie' in inPath.headers, 'the path is not reflected into a header');
  await stillServing(t);
});

t.test('deep nesting: 10,000 and 100,000 nested arrays or objects get 400 at once', async (t) => {
  for (const depth of [10_000, 100_000]) {
    for (const [shape, body] of [
      ['arrays', `{"value":${'['.repeat(depth)}"${visa}"${']'.repeat(depth)}}`],
      ['objects', `{"value":"${visa}","metadata":${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}}`],
    ] as const) {
      const started = Date.now();
      const answer = await server.signed('POST', '/v1/tokens', body);
      refused(t, `${depth} nested ${shape}`, answer, 400);
      t.ok(Date.now() - started < 5_000, `${depth} nested ${shape}: answered in ${Date.now() - started} ms`);
    }
  }
  await stillServing(t);
});

t.test('prototype-pollution keys are refused; names that merely look like them are data', async (t) => {
  const cases: [string, string, string][] = [
    ['__proto__ escaped', '/v1/tokens', `{"value":"${visa}","\\u005f\\u005fproto__":{"polluted":true}}`],
    ['__proto__ in metadata', '/v1/tokens', `{"value":"${visa}","metadata":{"__proto__":{"polluted":"x"}}}`],
    ['constructor.prototype', '/v1/tokens', `{"value":"${visa}","constructor":{"prototype":{"polluted":1}}}`],
    ['__proto__ in a batch item', '/v1/tokens/batch', `{"items":[{"value":"${visa}","__proto__":{"p":1}}]}`],
    [
      '__proto__ in detokenize',
      '/v1/detokenize',
      '{"tokens":["tok_AAAAAAAAAAAAAAAAAAAAAA"],"__proto__":{"p":1}}',
    ],
  ];
  for (const [name, path, body] of cases) {
    const answer = await server.signed('POST', path, body);
    refused(t, name, answer, 400);
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
  t.equal(({} as Record<string, unknown>).p, undefined);

  const metadata = { constructor: 'a', toString: 'b', hasOwnProperty: 'c', valueOf: 'd' };
  const created = await server.signed('POST', '/v1/tokens', JSON.stringify({ value: visa, metadata }));
  t.equal(created.status, 201, 'ordinary keys named like Object methods are accepted');
  const { token } = JSON.parse(created.body);
  const read = await server.signed('GET', `/v1/tokens/${token}`);
  t.same(JSON.parse(read.body).metadata, metadata, 'and come back as plain data');
  await stillServing(t);
});

t.test(
  'token ids: traversal, key injection and oversized ids are refused; no other item is reached',
  async (t) => {
    const created = await server.signed('POST', '/v1/tokens', JSON.stringify({ value: visa }));
    const { token } = JSON.parse(created.body);
    for (const method of ['GET', 'DELETE']) {
      for (const id of [
        '..%2F..%2Fetc%2Fpasswd',
        '%2e%2e',
        `${token}%00`,
        encodeURIComponent(`x#default#${token}`),
        encodeURIComponent(`${token}#other-tenant`),
        `${token}%20`,
        'a'.repeat(65),
      ]) {
        refused(
          t,
          `${method} /v1/tokens/${id.slice(0, 40)}`,
          await server.signed(method, `/v1/tokens/${id}`),
          400,
        );
      }
      // A literal dot-dot segment is one SigV4 would normalise away: the signature and the route would
      // disagree, so the verifier refuses it before routing (`unnormalized-path`).
      refused(t, `${method} /v1/tokens/..`, await server.signed(method, '/v1/tokens/..'), 401);
    }
    const nested = await server.signed('GET', `/v1/tokens/../tokens/${token}`);
    refused(t, 'a dot-dot segment', nested, 401);
    const detokenize = await server.signed(
      'POST',
      '/v1/detokenize',
      JSON.stringify({ tokens: [`default#${token}`, '../x'] }),
    );
    refused(t, 'key injection in detokenize', detokenize, 400);
    const stillThere = await server.signed('POST', '/v1/detokenize', JSON.stringify({ tokens: [token] }));
    t.same(
      JSON.parse(stillThere.body).results,
      [{ token, value: visa }],
      'no refused request deleted the token',
    );
  },
);

t.test('unicode and control characters come back byte for byte; lone surrogates are refused', async (t) => {
  const values = [
    'nul\u0000 and C0 \u0001\u001f and DEL \u007f',
    'C1 \u0085 \u009f, line separators \u2028\u2029',
    'bidi \u202e\u2066 override, zero width \u200b\u200d\ufeff',
    'astral 𝄞🙂👍🏽 and combining e\u0301',
    '𝄞'.repeat(1024),
    '"quotes" \\backslashes\\ </script>',
  ];
  for (const value of values) {
    const created = await server.signed('POST', '/v1/tokens', JSON.stringify({ value }));
    t.equal(created.status, 201, `${JSON.stringify(value.slice(0, 20))}: tokenized`);
    const { token } = JSON.parse(created.body);
    const revealed = await server.signed('POST', '/v1/detokenize', JSON.stringify({ tokens: [token] }));
    t.equal(JSON.parse(revealed.body).results[0].value, value, 'revealed exactly as sent');
  }
  const tooLong = await server.signed('POST', '/v1/tokens', JSON.stringify({ value: '𝄞'.repeat(1025) }));
  refused(t, '1,025 astral characters (the limit counts characters)', tooLong, 400);
  for (const [name, body] of [
    ['a lone high surrogate', `{"value":"${visa}\\ud800"}`],
    ['a lone low surrogate', `{"value":"\\udc00${visa}"}`],
    ['reversed surrogates', `{"value":"\\udc00\\ud800"}`],
    ['a lone surrogate in metadata', `{"value":"${visa}","metadata":{"a":"\\ud83d"}}`],
  ]) {
    const answer = await server.signed('POST', '/v1/tokens', body as string);
    refused(t, name as string, answer, 400);
  }
  const batch = await server.signed(
    'POST',
    '/v1/tokens/batch',
    `{"items":[{"value":"\\ud800"},{"value":"ok"}]}`,
  );
  t.match(
    JSON.parse(batch.body).results,
    [{ error: { code: 'invalid_value' } }, { token: String }],
    'batch item',
  );
  await stillServing(t);
});

t.test(
  'SigV4 replays: accepted inside the 5-minute window (as on API Gateway) and audited each time',
  async (t) => {
    const created = await server.signed('POST', '/v1/tokens', JSON.stringify({ value: visa, maxUses: 1 }));
    const { token } = JSON.parse(created.body);
    const body = JSON.stringify({ tokens: [token] });
    const headers = await signRequest({
      method: 'POST',
      url: '/v1/detokenize',
      headers: { host: server.host, 'content-type': 'application/json' },
      body,
      credentials: testCaller.credentials,
      region: testRegion,
    });
    const replay = () =>
      rawRequest(
        server.port,
        httpMessage(
          'POST',
          '/v1/detokenize',
          [...Object.entries(headers), ['content-length', String(body.length)], ['connection', 'close']],
          body,
        ),
      );
    const from = server.stack.auditEvents.length;
    const first = await replay();
    const second = await replay();
    t.same(JSON.parse(first.body).results, [{ token, value: visa }], 'the original reveals');
    t.equal(
      JSON.parse(second.body).results[0].error.code,
      'exhausted',
      'the replay cannot reveal a one-time token again',
    );
    t.match(server.stack.auditEvents.slice(from), [
      { event: 'detokenize', results: [{ token, outcome: 'revealed' }] },
      { event: 'detokenize', results: [{ token, outcome: 'exhausted' }] },
    ]);
    const old = await server.signed('POST', '/v1/detokenize', body, {
      date: new Date(Date.now() - 6 * 60_000),
    });
    refused(t, 'a replay signed 6 minutes ago', old, 401);
    t.equal(JSON.parse(old.body).detail, 'The request signature is expired or not yet valid.');
  },
);

assertNoCardNumberLogged(t);
