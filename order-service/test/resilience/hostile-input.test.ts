// Hostile input to the order service over real HTTP (raw sockets where no client would send it): forged and
// malformed ID tokens, header injection, huge and deeply nested bodies, control and unicode characters,
// prototype-pollution keys, traversal in the order id. Each gets a documented 4xx, nothing is written or
// tokenized, no card number comes back or reaches a log, and the process keeps serving. Not repeated here:
// the verifier's own refusals (id-token-verifier.test.ts), expired, access and foreign-pool tokens and the
// contract's field checks over HTTP (orders-api.test.ts).
import { generateKeyPairSync } from 'node:crypto';
import { cardNumbersIn } from '@tokenization/local-aws/test-support/test-cards';
import {
  httpMessage,
  type RawAnswer,
  rawRequest,
} from '@tokenization/tokenizer-service/test-support/raw-http';
import t, { type Test } from 'tap';
import { foreignKey } from '../helpers/local-id-provider.js';
import { assertNoCardNumberLogged, createOrderStack, sampleOrder } from '../helpers/order-stack.js';

const problemJson = 'application/problem+json; charset=utf-8';
const stack = await createOrderStack(t);
const port = Number(new URL(stack.baseUrl).port);
const host = `127.0.0.1:${port}`;
const alice = stack.idProvider.idToken('alice-sub');
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** POST /order (or another route) over a raw socket, with headers written exactly as given. */
function send(
  path: string,
  body: string | Buffer,
  headers: [string, string][] = [],
  method = 'POST',
): Promise<RawAnswer> {
  return rawRequest(
    port,
    httpMessage(
      method,
      path,
      [
        ['host', host],
        ['content-type', 'application/json'],
        ['content-length', String(Buffer.byteLength(body))],
        ['connection', 'close'],
        ...headers,
      ],
      body,
    ),
  );
}

function refused(t: Test, name: string, answer: RawAnswer, status: number, problem = true): void {
  t.equal(answer.status, status, `${name}: ${status}`);
  if (problem) t.equal(answer.headers['content-type'], problemJson, `${name}: a problem document`);
  t.same(cardNumbersIn(answer.raw), [], `${name}: no card number in the answer`);
}

async function nothingWritten(t: Test): Promise<void> {
  t.same(await stack.orderItems(), [], 'no order (or reservation) was written');
  t.equal(await stack.vaultTokenCount(), 0, 'no card was tokenized');
}

t.test('forged, unsigned and malformed ID tokens: 401 before the body is looked at', async (t) => {
  const valid = alice.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(valid[1], 'base64url').toString()) as Record<string, unknown>;
  const header = { alg: 'RS256', typ: 'JWT', kid: 'test-key-1' };
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cases: [string, string][] = [
    ['alg none, no signature', `${encode({ alg: 'none', typ: 'JWT' })}.${valid[1]}.`],
    [
      'alg none, with the original signature',
      `${encode({ ...header, alg: 'none' })}.${valid[1]}.${valid[2]}`,
    ],
    ['signed by another key', stack.idProvider.sign(header, claims, foreignKey())],
    ['claims changed after signing', `${valid[0]}.${encode({ ...claims, sub: 'mallory' })}.${valid[2]}`],
    [
      'an embedded jwk header',
      stack.idProvider.sign({ ...header, jwk: publicKey.export({ format: 'jwk' }) }, claims, foreignKey()),
    ],
    ['a kid with a path', stack.idProvider.sign({ ...header, kid: '../../../../dev/null' }, claims)],
    ['a kid with a URL', stack.idProvider.sign({ ...header, kid: 'http://169.254.169.254/latest' }, claims)],
    [
      'expired an hour ago',
      stack.idProvider.idToken('alice-sub', { exp: Math.floor(Date.now() / 1000) - 3600 }),
    ],
    ['a 9 KiB token', `${valid[0]}.${'A'.repeat(9 * 1024)}.${valid[2]}`],
    ['three dots', `${valid[0]}.${valid[1]}.${valid[2]}.`],
    ['Bearer and nothing', 'Bearer '],
  ];
  for (const [name, token] of cases) {
    const answer = await send('/order', JSON.stringify(sampleOrder()), [['authorization', token]]);
    refused(t, name, answer, 401);
    t.equal(answer.headers['www-authenticate'], 'Bearer', `${name}: names the scheme`);
  }
  const huge = await send('/order', JSON.stringify(sampleOrder()), [
    ['authorization', 'A'.repeat(20 * 1024)],
  ]);
  refused(t, 'a 20 KiB Authorization header', huge, 431, false);
  await nothingWritten(t);
});

t.test('header injection: CR, LF or NUL in headers get 400 from the HTTP parser', async (t) => {
  const body = JSON.stringify(sampleOrder());
  const cases: [string, string][] = [
    ['a bare CR in Authorization', `Authorization: ${alice}\rX-Injected: 4111111111111111\r\n`],
    ['a bare LF in Authorization', `Authorization: ${alice}\nX-Injected: 1\r\n`],
    ['a NUL in Authorization', `Authorization: ${alice}\u0000\r\n`],
    ['a folded Authorization', `Authorization: Bearer\r\n ${alice}\r\n`],
    ['a space in a header name', `X Card: 4111111111111111\r\n`],
  ];
  for (const [name, line] of cases) {
    const message = `POST /order HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${line}Connection: close\r\n\r\n${body}`;
    const answer = await rawRequest(port, message);
    refused(t, name, answer, 400, false);
    t.notOk('x-injected' in answer.headers, `${name}: nothing injected comes back`);
  }
  const inPath = await send('/order/x%0d%0aSet-Cookie:%20a=b', '', [['authorization', alice]], 'GET');
  refused(t, 'CRLF encoded in the order id', inPath, 400);
  t.notOk('set-cookie' in inPath.headers);
  await nothingWritten(t);
});

t.test('huge bodies, however framed: 413; lying framing: 400', async (t) => {
  const auth: [string, string] = ['authorization', alice];
  const declared = await rawRequest(
    port,
    httpMessage(
      'POST',
      '/order',
      [
        ['host', host],
        ['content-type', 'application/json'],
        ['content-length', '1000000'],
        ['connection', 'close'],
        auth,
      ],
      '{"CreditCard":"4111111111111111"',
    ),
  );
  refused(t, 'a declared megabyte', declared, 413);
  const chunk = `${JSON.stringify(sampleOrder()).slice(0, -1)},"Pad":"${' '.repeat(32 * 1024)}`;
  const chunked = await rawRequest(
    port,
    httpMessage(
      'POST',
      '/order',
      [
        ['host', host],
        ['content-type', 'application/json'],
        ['transfer-encoding', 'chunked'],
        ['connection', 'close'],
        auth,
      ],
      `${Array.from({ length: 32 }, () => `${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`).join('')}0\r\n\r\n`,
    ),
  );
  refused(t, '1 MB chunked, no length', chunked, 413);
  const smuggled = await rawRequest(
    port,
    `POST /order HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nAuthorization: ${alice}\r\n\r\n0\r\n\r\n`,
  );
  refused(t, 'Content-Length and Transfer-Encoding', smuggled, 400, false);
  const twoLengths = await rawRequest(
    port,
    `POST /order HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
  );
  refused(t, 'two Content-Lengths', twoLengths, 400, false);
  await nothingWritten(t);
});

t.test('deep nesting: 400 within the 16 KiB limit, 413 beyond', async (t) => {
  const auth: [string, string][] = [['authorization', alice]];
  const nested = (depth: number) =>
    JSON.stringify(sampleOrder()).replace(
      '"4111-1111-1111-1111"',
      `${'['.repeat(depth)}"4111"${']'.repeat(depth)}`,
    );
  refused(t, '5,000 nested arrays', await send('/order', nested(5_000), auth), 400);
  refused(t, '10,000 nested arrays', await send('/order', nested(10_000), auth), 413);
  const objects = `{"CustomerOrder":${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}}`;
  refused(t, '2,000 nested objects', await send('/order', objects, auth), 400);
  await nothingWritten(t);
});

t.test('prototype-pollution keys: 400; the process and Object.prototype are untouched', async (t) => {
  const auth: [string, string][] = [['authorization', alice]];
  const order = JSON.stringify(sampleOrder()).slice(1, -1);
  for (const [name, body] of [
    ['__proto__', `{${order},"__proto__":{"polluted":true}}`],
    ['__proto__, escaped', `{${order},"\\u005f_proto__":{"polluted":true}}`],
    ['constructor.prototype', `{${order},"constructor":{"prototype":{"polluted":true}}}`],
    ['__proto__ in paybill', '{"CustomerOrder":"1","__proto__":{"polluted":true}}'],
  ] as const) {
    refused(t, name, await send(name.includes('paybill') ? '/paybill' : '/order', body, auth), 400);
  }
  const constructorKey = await send('/order', `{${order},"constructor":"x"}`, auth);
  refused(t, 'a plain constructor property (not in the contract)', constructorKey, 400);
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
  await nothingWritten(t);
});

t.test(
  'order ids in the path: traversal and encoded separators get 400 or 404, never another order',
  async (t) => {
    // What a hostile id could reach: another user's order and one of alice's own.
    const bob = stack.idProvider.idToken('bob-sub');
    const placed = [
      await stack.request('POST', '/order', { token: bob, body: sampleOrder({ CustomerOrder: 'target-1' }) }),
      await stack.request('POST', '/order', { token: alice, body: sampleOrder({ CustomerOrder: 'mine-1' }) }),
    ];
    t.same(
      placed.map((answer) => answer.status),
      [200, 200],
    );
    const tokens = placed.map((answer) => String(answer.json().CreditCardToken));
    const before = await stack.orderItems();
    const tokensBefore = await stack.vaultTokenCount();

    const auth: [string, string][] = [['authorization', alice]];
    const neverAnOrder = (name: string, answer: RawAnswer, status: number) => {
      refused(t, name, answer, status);
      t.notOk(
        tokens.some((token) => answer.raw.includes(token)),
        `${name}: no order's token comes back`,
      );
    };
    const malformed = ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', '..', 'x%00', 'a%23b', 'a%2Fb', 'a'.repeat(65)];
    for (const id of malformed) {
      neverAnOrder(`GET /order/${id.slice(0, 30)}`, await send(`/order/${id}`, '', auth, 'GET'), 400);
    }
    neverAnOrder('a dot-dot segment', await send('/order/../order/target-1', '', auth, 'GET'), 404);
    // Well-formed ids that name no order of alice's: bob's, and near misses of both.
    const elsewhere = ['target-1', 'TARGET-1', 'target-1-', 'target_1', 'MINE-1', 'mine-1-'];
    for (const id of elsewhere) {
      neverAnOrder(`GET /order/${id}`, await send(`/order/${id}`, '', auth, 'GET'), 404);
    }
    const inBodies = ['../target-1', 'target-1/..', 'target-1\u0000', './mine-1', 'mine-1%00', ''];
    for (const id of [...inBodies, ...elsewhere]) {
      const status = elsewhere.includes(id) ? 404 : 400;
      const paybill = await send('/paybill', JSON.stringify({ CustomerOrder: id }), auth);
      neverAnOrder(`POST /paybill ${JSON.stringify(id)}`, paybill, status);
    }
    for (const id of inBodies) {
      const created = await send('/order', JSON.stringify(sampleOrder({ CustomerOrder: id })), auth);
      neverAnOrder(`POST /order ${JSON.stringify(id)}`, created, 400);
    }

    t.same(await stack.orderItems(), before, 'the table holds the same items as before, unchanged');
    t.equal(await stack.vaultTokenCount(), tokensBefore, 'no card was tokenized');
    t.same(stack.processor.ledger(), [], 'nothing was charged');
  },
);

t.test(
  'names and addresses: controls refused, any other unicode kept exactly, lone surrogates refused',
  async (t) => {
    const itemsBefore = (await stack.orderItems()).length;
    const post = (order: Record<string, string>) =>
      send('/order', JSON.stringify(order), [['authorization', alice]]);
    for (const [name, value] of [
      ['NUL', 'a\u0000b'],
      ['a newline', 'line\nbreak'],
      ['a tab', 'a\tb'],
      ['an escape', '\u001b[31mred'],
      ['DEL', 'a\u007fb'],
    ]) {
      refused(t, `${name} in CustomerName`, await post(sampleOrder({ CustomerName: value as string })), 400);
      refused(t, `${name} in Address`, await post(sampleOrder({ Address: value as string })), 400);
    }
    const kept = {
      CustomerName: 'Zoë Ñandú 日本 🙂 e\u0301 \u202eevil\u202c',
      Address: '\u00a0Straße 1, ١٢٣ \u2028 Zürich </script>',
    };
    const created = await post(sampleOrder({ CustomerOrder: 'unicode-1', ...kept }));
    t.equal(created.status, 200, 'printable unicode is accepted');
    const read = await stack.request('GET', '/order/unicode-1', { token: alice });
    t.match(read.json(), kept, 'and comes back exactly');
    for (const field of ['CustomerName', 'Address']) {
      const loneSurrogate = JSON.stringify(sampleOrder({ CustomerOrder: 'lone-1' })).replace(
        `"${field}":"`,
        `"${field}":"\\ud800`,
      );
      const answer = await send('/order', loneSurrogate, [['authorization', alice]]);
      refused(t, `a lone surrogate in ${field}`, answer, 400);
    }
    const notUtf8 = Buffer.concat([
      Buffer.from(JSON.stringify(sampleOrder({ CustomerOrder: 'bytes-1' })).replace('Amazon', 'Amaz')),
    ]);
    notUtf8[notUtf8.indexOf('Amaz') + 4] = 0xff;
    refused(t, 'bytes that are not UTF-8', await send('/order', notUtf8, [['authorization', alice]]), 400);
    t.equal((await stack.orderItems()).length, itemsBefore + 1, 'only the valid order was written');
  },
);

t.test('after all of it, the process still serves', async (t) => {
  const created = await stack.request('POST', '/order', {
    token: alice,
    body: sampleOrder({ CustomerOrder: 'after-1' }),
  });
  t.equal(created.status, 200);
  const paid = await stack.request('POST', '/paybill', { token: alice, body: { CustomerOrder: 'after-1' } });
  t.equal(paid.status, 200);
});

assertNoCardNumberLogged(t);
