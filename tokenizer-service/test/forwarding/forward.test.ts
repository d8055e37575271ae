// Forward through a connection, end to end: the real app (DynamoDB Local, local KMS, SigV4) and a tiny HTTP
// destination on loopback. Each test drives one guard or rule of docs/forwarding.md.

import { freePort } from '@tokenization/local-aws/dynamodb-local';
import t, { type Test } from 'tap';
import type { ResolveHost } from '../../src/forwarding/destination-client.js';
import { json, startTestDestination, type TestDestination } from '../helpers/test-destination.js';
import {
  allPermissions,
  assertNoCardNumberLogged,
  createTestStack,
  policyFor,
  type TestStack,
  testCaller,
  testCallerNamed,
  testCardNumbers,
} from '../helpers/test-stack.js';

const [visa, mastercard] = testCardNumbers;
const apiKey = 'sk_test_forwarding_0123456789';
const noForward = testCallerNamed('no-forward');
const otherConnection = testCallerNamed('other-connection');

function payments(baseUrl: string, overrides: Record<string, unknown> = {}) {
  return {
    name: 'payments',
    baseUrl,
    routes: [
      { method: 'POST', pathTemplate: '/v1/charges' },
      { method: 'POST', pathTemplate: '/v1/charges/{id}/capture' },
    ],
    tokenPointers: ['/card/number', '/cards/0/number'],
    requestHeaders: ['idempotency-key'],
    responseHeaders: ['request-id'],
    headers: { authorization: { secret: 'file:processor-key', format: 'Bearer {secret}' } },
    timeoutMs: 2000,
    maxResponseBytes: 4096,
    ...overrides,
  };
}

interface ForwardStack extends TestStack {
  forward: (payload: unknown, connection?: string) => ReturnType<TestStack['inject']>;
}

async function forwardStack(
  t: Test,
  baseUrl: string,
  options: {
    env?: Record<string, string>;
    resolveHost?: ResolveHost;
    connection?: Record<string, unknown>;
  } = {},
): Promise<ForwardStack> {
  const stack = await createTestStack(t, {
    connections: { connections: [payments(baseUrl, options.connection)] },
    secretFiles: { 'processor-key': `${apiKey}\n` },
    policy: policyFor([
      { caller: testCaller, tenant: 'default', permissions: [...allPermissions, 'forward:payments'] },
      { caller: noForward, tenant: 'default', permissions: allPermissions },
      { caller: otherConnection, tenant: 'default', permissions: ['forward:refunds'] },
    ]),
    callers: [testCaller, noForward, otherConnection],
    ...(options.env ? { env: options.env } : {}),
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
  });
  const forward = (payload: unknown, connection = 'payments') =>
    stack.inject({
      method: 'POST',
      url: `/v1/connections/${connection}/forward`,
      payload: payload as object,
    });
  return { ...stack, forward };
}

async function cardToken(
  stack: TestStack,
  card: string = visa,
  options: Record<string, unknown> = {},
): Promise<string> {
  const response = await stack.inject({
    method: 'POST',
    url: '/v1/tokens',
    payload: { value: card, type: 'card_number', ...options },
  });
  return response.json().token;
}

function charge(token: string, extra: Record<string, unknown> = {}) {
  return {
    method: 'POST',
    path: '/v1/charges',
    headers: { 'Idempotency-Key': 'order-1' },
    body: { amount: { value: 1250, currency: 'EUR' }, card: { number: token }, ...extra },
  };
}

async function withDestination(t: Test, handler?: Parameters<typeof startTestDestination>[1]) {
  const destination = await startTestDestination(t, handler);
  return { destination, stack: await forwardStack(t, destination.url) };
}

t.test(
  'happy path: the value replaces the token, the secret header is added, the answer is relayed',
  async (t) => {
    const { destination, stack } = await withDestination(
      t,
      json(
        201,
        { id: 'ch_1', status: 'captured', card: { last4: '1111' } },
        { 'request-id': 'req_9', 'x-other': 'y' },
      ),
    );
    const token = await cardToken(stack);
    const response = await stack.forward(charge(token));
    t.equal(response.statusCode, 200);
    t.same(response.json(), {
      status: 201,
      headers: { 'content-type': 'application/json', 'request-id': 'req_9' },
      body: { id: 'ch_1', status: 'captured', card: { last4: '1111' } },
    });
    t.equal(destination.received.length, 1);
    const [sent] = destination.received;
    t.equal(sent?.method, 'POST');
    t.equal(sent?.path, '/v1/charges');
    t.same(JSON.parse(sent?.body ?? ''), {
      amount: { value: 1250, currency: 'EUR' },
      card: { number: visa },
    });
    t.equal(sent?.headers.authorization, `Bearer ${apiKey}`);
    t.equal(sent?.headers['idempotency-key'], 'order-1');
    t.equal(sent?.headers['content-type'], 'application/json');

    const audit = stack.auditEvents.filter((event) => event.event === 'forward');
    t.match(audit, [
      {
        outcome: 'allowed',
        connection: 'payments',
        tokens: [token],
        destinationStatus: 201,
        statusCode: 200,
      },
    ]);
    const auditText = JSON.stringify(stack.auditEvents);
    t.notOk(auditText.includes(visa), 'no card number in the audit trail');
    t.notOk(auditText.includes(apiKey), 'no secret in the audit trail');
  },
);

t.test('a path parameter of a route template matches one plain segment', async (t) => {
  const { destination, stack } = await withDestination(t, json(200, { captured: true }));
  const token = await cardToken(stack);
  const response = await stack.forward({ ...charge(token), path: '/v1/charges/ch_1/capture' });
  t.equal(response.statusCode, 200);
  t.equal(destination.received[0]?.path, '/v1/charges/ch_1/capture');
});

t.test('a decline (4xx) is relayed as destination-refused with its status and scrubbed body', async (t) => {
  const { stack, destination } = await withDestination(
    t,
    json(402, { error: { code: 'card_declined', message: `Card ${mastercard} was declined` } }),
  );
  const token = await cardToken(stack, mastercard);
  const declined = await stack.forward(charge(token));
  t.equal(declined.statusCode, 402);
  t.match(declined.json(), {
    type: 'urn:tokenization:problem:destination-refused',
    status: 402,
    destination: {
      status: 402,
      body: { error: { code: 'card_declined', message: '[card number removed]' } },
    },
  });
  t.notOk(declined.body.includes(mastercard));

  // A 401 of the destination (its key refused) must not read as the caller's own signature failing.
  destination.answer(json(401, { error: { code: 'invalid_api_key' } }));
  const unauthorized = await stack.forward(charge(token));
  t.equal(unauthorized.statusCode, 424);
  t.match(unauthorized.json(), {
    type: 'urn:tokenization:problem:destination-refused',
    destination: { status: 401 },
  });
  t.notOk(unauthorized.headers['www-authenticate']);
});

t.test('destination down, failing or too slow: 503 destination-failed with Retry-After', async (t) => {
  const closed = await freePort();
  const down = await forwardStack(t, `http://127.0.0.1:${closed}`, { env: { RETRY_AFTER_SECONDS: '4' } });
  const token = await cardToken(down);
  const refused = await down.forward(charge(token));
  t.equal(refused.statusCode, 503);
  t.equal(refused.headers['retry-after'], '4');
  t.equal(refused.json().type, 'urn:tokenization:problem:destination-failed');

  const { stack, destination } = await withDestination(t, json(500, { error: 'boom' }));
  const failing = await stack.forward(charge(await cardToken(stack)));
  t.equal(failing.statusCode, 503);
  t.equal(failing.json().type, 'urn:tokenization:problem:destination-failed');

  // Never answers: the connection's timeoutMs ends the wait.
  destination.answer(() => {});
  const slow = await stack.forward(charge(await cardToken(stack)));
  t.equal(slow.statusCode, 503);
  t.equal(slow.json().type, 'urn:tokenization:problem:destination-failed');
  t.match(
    stack.auditEvents.filter((event) => event.event === 'forward').map((event) => event.statusCode),
    [503, 503],
  );
});

t.test('a redirect (to the metadata service) is not followed', async (t) => {
  const { stack, destination } = await withDestination(t, (_request, response) => {
    response.writeHead(307, {
      location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    });
    response.end();
  });
  const response = await stack.forward(charge(await cardToken(stack)));
  t.equal(response.statusCode, 502);
  t.equal(response.json().type, 'urn:tokenization:problem:destination-redirect-refused');
  t.equal(destination.received.length, 1, 'only the first request was sent');
});

t.test(
  'a host resolving to a private, metadata or loopback address is refused before connecting',
  async (t) => {
    const destination = await startTestDestination(t);
    const addresses: Record<string, string[]> = {
      'private.processor.test': ['10.0.0.7'],
      'metadata.processor.test': ['169.254.169.254'],
      'mixed.processor.test': ['93.184.216.34', '192.168.1.20'],
      'ula.processor.test': ['fd00:ec2::254'],
    };
    const resolveHost: ResolveHost = async (host) =>
      (addresses[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    for (const host of Object.keys(addresses)) {
      const stack = await forwardStack(t, `https://${host}`, { resolveHost });
      const response = await stack.forward(charge(await cardToken(stack)));
      t.equal(response.statusCode, 502, host);
      t.equal(response.json().type, 'urn:tokenization:problem:destination-address-refused', host);
    }
    // Loopback only with ALLOW_LOOPBACK_DESTINATIONS: `localhost` is resolved by the system resolver.
    const strict = await forwardStack(t, `https://localhost:${destination.port}`, {
      env: { ALLOW_LOOPBACK_DESTINATIONS: 'false' },
    });
    const loopback = await strict.forward(charge(await cardToken(strict)));
    t.equal(loopback.statusCode, 502);
    t.equal(loopback.json().type, 'urn:tokenization:problem:destination-address-refused');
    t.equal(destination.received.length, 0, 'nothing reached any destination');
  },
);

t.test('a method or path outside the routes is refused, naming the field', async (t) => {
  const { stack, destination } = await withDestination(t);
  const token = await cardToken(stack);
  const cases: [Record<string, unknown>, string][] = [
    [{ path: '/v1/refunds' }, '/body/path'],
    [{ path: '/v1/charges/../admin' }, '/body/path'],
    [{ path: '/v1/charges/%2e%2e/capture' }, '/body/path'],
    [{ path: '/v1/charges?expand=card' }, '/body/path'],
    [{ path: '/v1/charges/a/b/capture' }, '/body/path'],
    [{ path: '//evil.test/v1/charges' }, '/body/path'],
    [{ method: 'DELETE' }, '/body/method'],
  ];
  for (const [change, field] of cases) {
    const response = await stack.forward({ ...charge(token), ...change });
    t.equal(response.statusCode, 400, JSON.stringify(change));
    t.match(response.json(), {
      type: 'urn:tokenization:problem:forward-route-not-allowed',
      errors: [{ field }],
    });
  }
  const header = await stack.forward({ ...charge(token), headers: { 'x-forwarded-host': 'evil.test' } });
  t.equal(header.statusCode, 400);
  t.match(header.json(), {
    type: 'urn:tokenization:problem:forward-header-not-allowed',
    errors: [{ field: '/body/headers' }],
  });
  t.equal(destination.received.length, 0);
});

t.test('a token or card number at an undeclared pointer is refused, naming the field', async (t) => {
  const { stack, destination } = await withDestination(t);
  const token = await cardToken(stack);
  const misplacedToken = await stack.forward(charge(token, { description: token }));
  t.equal(misplacedToken.statusCode, 400);
  t.match(misplacedToken.json(), {
    type: 'urn:tokenization:problem:token-at-undeclared-pointer',
    errors: [{ field: '/body/body/description' }],
  });
  const clearCard = await stack.forward(charge(token, { metadata: { note: `card ${visa}` } }));
  t.equal(clearCard.statusCode, 400);
  t.match(clearCard.json().errors, [{ field: '/body/body/metadata/note' }]);
  t.notOk(clearCard.body.includes(visa));
  const cardAsKey = await stack.forward(charge(token, { metadata: { [visa]: 'x' } }));
  t.equal(cardAsKey.statusCode, 400);
  t.match(
    cardAsKey.json().errors,
    [{ field: '/body/body/metadata' }],
    'the name holding a card is not repeated',
  );
  t.notOk(cardAsKey.body.includes(visa));
  t.equal(destination.received.length, 0);
});

t.test('a token that cannot be used is refused naming its pointer, and nothing is sent', async (t) => {
  let now = new Date('2026-06-01T12:00:00Z');
  const destination = await startTestDestination(t);
  const stack = await createStackWithClock(t, destination, () => now);
  const unknown = 'tok_AAAAAAAAAAAAAAAAAAAAAA';
  const notAToken = await stack.forward(charge(visa));
  t.equal(notAToken.statusCode, 422);
  t.match(notAToken.json(), {
    type: 'urn:tokenization:problem:token-unusable',
    errors: [{ field: '/body/body/card/number', message: 'No such token.' }],
  });
  t.notOk(notAToken.body.includes(visa));
  const missing = await stack.forward(charge(unknown));
  t.match(missing.json(), {
    status: 422,
    errors: [{ field: '/body/body/card/number', message: 'No such token.' }],
  });

  const once = await cardToken(stack, visa, { maxUses: 1 });
  t.equal((await stack.forward(charge(once))).statusCode, 200, 'the one use');
  const spent = await stack.forward(charge(once));
  t.match(spent.json(), { status: 422, errors: [{ message: 'The token has no uses left.' }] });

  const shortLived = await cardToken(stack, visa, { ttlSeconds: 60 });
  now = new Date(now.getTime() + 61_000);
  const expired = await stack.forward(charge(shortLived));
  t.match(expired.json(), { status: 422, errors: [{ message: 'The token has expired.' }] });

  const otherTenant = await createTestStack(t, { shareWith: stack, tenant: 'other' });
  const foreign = await cardToken(otherTenant);
  t.match((await stack.forward(charge(foreign))).json(), {
    status: 422,
    errors: [{ message: 'No such token.' }],
  });
  t.equal(destination.received.length, 1, 'only the one usable forward was sent');
});

async function createStackWithClock(t: Test, destination: TestDestination, clock: () => Date) {
  const stack = await createTestStack(t, {
    connections: { connections: [payments(destination.url)] },
    secretFiles: { 'processor-key': apiKey },
    policy: policyFor([
      { caller: testCaller, tenant: 'default', permissions: [...allPermissions, 'forward:payments'] },
    ]),
    clock,
  });
  const forward = (payload: unknown) =>
    stack.inject({ method: 'POST', url: '/v1/connections/payments/forward', payload: payload as object });
  return { ...stack, forward };
}

t.test('an answer above maxResponseBytes is refused, declared or streamed', async (t) => {
  const { stack, destination } = await withDestination(t, json(200, { padding: 'x'.repeat(10_000) }));
  const token = await cardToken(stack);
  const declared = await stack.forward(charge(token));
  t.equal(declared.statusCode, 502);
  t.equal(declared.json().type, 'urn:tokenization:problem:destination-response-too-large');
  destination.answer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }); // chunked: no content-length
    response.write('{"padding":"');
    for (let i = 0; i < 10; i++) response.write('x'.repeat(1000));
    response.end('"}');
  });
  const streamed = await stack.forward(charge(token));
  t.equal(streamed.statusCode, 502);
  t.equal(streamed.json().type, 'urn:tokenization:problem:destination-response-too-large');
});

t.test('a 2xx answer that is not JSON is refused', async (t) => {
  const { stack } = await withDestination(t, (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<html>ok</html>');
  });
  const response = await stack.forward(charge(await cardToken(stack)));
  t.equal(response.statusCode, 502);
  t.equal(response.json().type, 'urn:tokenization:problem:destination-response-not-json');
});

t.test('a destination that echoes the card number: every card-like run is scrubbed', async (t) => {
  const { stack } = await withDestination(t, (request, response) => {
    const sent = JSON.parse(request.body);
    response.writeHead(200, { 'content-type': 'application/json', 'request-id': `req ${sent.card.number}` });
    response.end(
      JSON.stringify({
        card: { number: sent.card.number, grouped: '4111 1111 1111 1111' },
        asNumber: Number(sent.card.number),
        [sent.card.number]: 'as a name',
        note: 'kept',
      }),
    );
  });
  const response = await stack.forward(charge(await cardToken(stack)));
  t.equal(response.statusCode, 200);
  t.notOk(response.body.includes(visa), 'no card number in the answer');
  t.same(response.json().body, {
    card: { number: '[card number removed]', grouped: '[card number removed]' },
    asNumber: '[card number removed]',
    '[card number removed]': 'as a name',
    note: 'kept',
  });
  t.equal(response.json().headers['request-id'], '[card number removed]');
});

t.test('a caller without forward:<connection> gets 403, and an unknown connection 404', async (t) => {
  const { stack, destination } = await withDestination(t);
  const token = await cardToken(stack);
  const refused = await stack.injectAs(noForward, {
    method: 'POST',
    url: '/v1/connections/payments/forward',
    payload: charge(token),
  });
  t.equal(refused.statusCode, 403);
  const wrongConnection = await stack.injectAs(otherConnection, {
    method: 'POST',
    url: '/v1/connections/payments/forward',
    payload: charge(token),
  });
  t.equal(wrongConnection.statusCode, 403, 'forward:refunds does not allow payments');
  const unknown = await stack.injectAs(otherConnection, {
    method: 'POST',
    url: '/v1/connections/refunds/forward',
    payload: charge(token),
  });
  t.equal(unknown.statusCode, 404);
  t.equal(unknown.json().type, 'urn:tokenization:problem:connection-not-found');
  t.equal(destination.received.length, 0);
  t.match(
    stack.auditEvents
      .filter((event) => event.event === 'forward')
      .map((event) => [event.outcome, event.statusCode]),
    [
      ['denied', 403],
      ['denied', 403],
      ['allowed', 404],
    ],
  );
});

assertNoCardNumberLogged(t);
