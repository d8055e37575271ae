// Provider side of the tokenizer contract: the real app (DynamoDB Local, local KMS, SigV4) is driven
// through every operation and every status its contract documents, and each answer is checked against
// contracts/tokenizer.openapi.yaml by an independent validator. The last test fails naming any documented
// status the suite never saw.

import {
  assertConforms,
  fromInject,
  StatusCoverage,
} from '@tokenization/contracts/testing/contract-assertions';
import { ContractValidator } from '@tokenization/contracts/testing/contract-validator';
import { tokenizerDocument } from '@tokenization/contracts/tokenizer-document';
import { freePort } from '@tokenization/local-aws/dynamodb-local';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import {
  allPermissions,
  collidingApp,
  createTestStack,
  policyFor,
  testCaller,
  testCallerNamed,
  testCardNumbers,
} from '../helpers/contract-stack.js';
import { json, startTestDestination } from '../helpers/test-destination.js';

const validator = new ContractValidator('tokenizer', tokenizerDocument);
const coverage = new StatusCoverage(validator);
const [visa, mastercard] = testCardNumbers;
const unknownToken = 'tok_AAAAAAAAAAAAAAAAAAAAAA';

function check(t: Test, operationId: string, response: LightMyRequestResponse, status: number, what = '') {
  assertConforms(t, coverage, operationId, fromInject(response), status, `${operationId} ${what}`.trim());
}

/** One request of each operation, for the statuses every operation documents alike. */
const everyOperation: { operationId: string; request: InjectOptions }[] = [
  { operationId: 'tokenize', request: { method: 'POST', url: '/v1/tokens', payload: { value: visa } } },
  {
    operationId: 'tokenizeBatch',
    request: { method: 'POST', url: '/v1/tokens/batch', payload: { items: [{ value: visa }] } },
  },
  {
    operationId: 'detokenize',
    request: { method: 'POST', url: '/v1/detokenize', payload: { tokens: [unknownToken] } },
  },
  { operationId: 'getTokenMetadata', request: { method: 'GET', url: `/v1/tokens/${unknownToken}` } },
  { operationId: 'deleteToken', request: { method: 'DELETE', url: `/v1/tokens/${unknownToken}` } },
  {
    operationId: 'verify',
    request: { method: 'POST', url: `/v1/tokens/${unknownToken}/verify`, payload: { value: visa } },
  },
  {
    operationId: 'resetVerifyLock',
    request: { method: 'DELETE', url: `/v1/tokens/${unknownToken}/verify-lock` },
  },
  {
    operationId: 'forward',
    request: {
      method: 'POST',
      url: '/v1/connections/payments/forward',
      payload: { method: 'POST', path: '/v1/charges', body: { card: { number: unknownToken } } },
    },
  },
  { operationId: 'live', request: { method: 'GET', url: '/health/live' } },
  { operationId: 'ready', request: { method: 'GET', url: '/health/ready' } },
];

/** The test caller with every permission, forwarding through `payments` and `refunds` included. */
const forwarding = {
  policy: policyFor([
    {
      caller: testCaller,
      tenant: 'default',
      permissions: [...allPermissions, 'forward:payments', 'forward:refunds'],
    },
  ]),
};

const bodyOperations = everyOperation.filter(({ request }) => request.payload !== undefined);

t.test('successes: every operation answers its documented 2xx with a documented body', async (t) => {
  const { inject } = await createTestStack(t);

  const plain = await inject({ method: 'POST', url: '/v1/tokens', payload: { value: 'a generic value' } });
  check(t, 'tokenize', plain, 201, 'generic value');
  const card = await inject({
    method: 'POST',
    url: '/v1/tokens',
    payload: {
      value: mastercard,
      type: 'card_number',
      format: 'format_preserving',
      preserve: 'first6_last4',
      ttlSeconds: 3600,
      maxUses: 5,
      metadata: { purpose: 'contract-test', 'order.id': 'o-1' },
    },
  });
  check(t, 'tokenize', card, 201, 'card number with every option');
  const deterministic = await inject({
    method: 'POST',
    url: '/v1/tokens',
    payload: { value: visa, type: 'card_number', deterministic: true },
  });
  check(t, 'tokenize', deterministic, 201, 'deterministic');

  const batch = await inject({
    method: 'POST',
    url: '/v1/tokens/batch',
    payload: {
      items: [
        { value: 'one' },
        { value: '4111111111111112', type: 'card_number' },
        { value: 'two', deterministic: true, ttlSeconds: 60 },
        { value: visa, type: 'card_number', format: 'format_preserving' },
      ],
    },
  });
  check(t, 'tokenizeBatch', batch, 200, 'results and item errors');
  t.same(
    batch.json().results.map((result: { error?: { code: string } }) => result.error?.code ?? 'ok'),
    ['ok', 'invalid_value', 'invalid_options', 'ok'],
  );

  const token = plain.json().token as string;
  const cardToken = card.json().token as string;
  const full = await inject({
    method: 'POST',
    url: '/v1/detokenize',
    payload: { tokens: [token, cardToken, unknownToken] },
  });
  check(t, 'detokenize', full, 200, 'values and not_found');
  const masked = await inject({
    method: 'POST',
    url: '/v1/detokenize',
    payload: { tokens: [cardToken], reveal: 'masked', showFirst6: true },
  });
  check(t, 'detokenize', masked, 200, 'masked');

  check(t, 'getTokenMetadata', await inject({ method: 'GET', url: `/v1/tokens/${token}` }), 200, 'plain');
  const metadata = await inject({ method: 'GET', url: `/v1/tokens/${cardToken}` });
  check(t, 'getTokenMetadata', metadata, 200, 'card with limits and metadata');
  t.match(metadata.json(), { usesRemaining: 4, card: { last4: '4444' }, status: 'active' });

  const verify = (value: string) =>
    inject({ method: 'POST', url: `/v1/tokens/${cardToken}/verify`, payload: { value } });
  check(t, 'verify', await verify(mastercard), 200, 'match');
  check(t, 'verify', await verify(visa), 200, 'no match');
  const reset = await inject({ method: 'DELETE', url: `/v1/tokens/${cardToken}/verify-lock` });
  check(t, 'resetVerifyLock', reset, 204);
  check(t, 'deleteToken', await inject({ method: 'DELETE', url: `/v1/tokens/${token}` }), 204);
  check(t, 'live', await inject({ method: 'GET', url: '/health/live' }), 200);
  check(t, 'ready', await inject({ method: 'GET', url: '/health/ready' }), 200);
});

t.test('404: an unknown or deleted token', async (t) => {
  const { inject } = await createTestStack(t, forwarding);
  const { token } = (await inject({ method: 'POST', url: '/v1/tokens', payload: { value: 'x' } })).json();
  await inject({ method: 'DELETE', url: `/v1/tokens/${token}` });
  for (const id of [token, unknownToken]) {
    check(t, 'getTokenMetadata', await inject({ method: 'GET', url: `/v1/tokens/${id}` }), 404);
    check(t, 'deleteToken', await inject({ method: 'DELETE', url: `/v1/tokens/${id}` }), 404);
    const verify = await inject({ method: 'POST', url: `/v1/tokens/${id}/verify`, payload: { value: 'x' } });
    check(t, 'verify', verify, 404);
    const reset = await inject({ method: 'DELETE', url: `/v1/tokens/${id}/verify-lock` });
    check(t, 'resetVerifyLock', reset, 404);
  }
  const noConnection = await inject({
    method: 'POST',
    url: '/v1/connections/refunds/forward',
    payload: { method: 'POST', path: '/v1/refunds' },
  });
  check(t, 'forward', noConnection, 404, 'no such connection');
});

t.test('400: bodies and path parameters outside the contract, and values the service refuses', async (t) => {
  const { inject } = await createTestStack(t, forwarding);
  const bad: { operationId: string; request: InjectOptions; what: string }[] = [
    { operationId: 'tokenize', what: 'missing value', request: { payload: {} } },
    {
      operationId: 'tokenize',
      what: 'unknown property',
      request: { payload: { value: 'x', colour: 'red' } },
    },
    { operationId: 'tokenize', what: 'number value', request: { payload: { value: 42 } } },
    { operationId: 'tokenize', what: 'value too long', request: { payload: { value: 'x'.repeat(1025) } } },
    {
      operationId: 'tokenize',
      what: 'card failing Luhn',
      request: { payload: { value: '4111111111111112', type: 'card_number' } },
    },
    {
      operationId: 'tokenize',
      what: 'contradicting options',
      request: { payload: { value: 'x', deterministic: true, maxUses: 2 } },
    },
    {
      operationId: 'tokenize',
      what: 'malformed JSON',
      request: { payload: '{"value":', headers: { 'content-type': 'application/json' } },
    },
    {
      operationId: 'tokenize',
      what: 'empty JSON body',
      request: { payload: '', headers: { 'content-type': 'application/json' } },
    },
    { operationId: 'tokenizeBatch', what: 'no items', request: { payload: { items: [] } } },
    {
      operationId: 'tokenizeBatch',
      what: '101 items',
      request: { payload: { items: Array.from({ length: 101 }, () => ({ value: 'x' })) } },
    },
    { operationId: 'detokenize', what: 'bad token', request: { payload: { tokens: ['not a token'] } } },
    {
      operationId: 'detokenize',
      what: 'bad reveal',
      request: { payload: { tokens: [unknownToken], reveal: 'all' } },
    },
    { operationId: 'verify', what: 'missing value', request: { payload: {} } },
    { operationId: 'forward', what: 'missing path', request: { payload: { method: 'POST' } } },
    { operationId: 'forward', what: 'unknown method', request: { payload: { method: 'TRACE', path: '/' } } },
  ];
  const urls: Record<string, string> = {
    tokenize: '/v1/tokens',
    tokenizeBatch: '/v1/tokens/batch',
    detokenize: '/v1/detokenize',
    verify: `/v1/tokens/${unknownToken}/verify`,
    forward: '/v1/connections/payments/forward',
  };
  for (const { operationId, request, what } of bad) {
    const response = await inject({ method: 'POST', url: urls[operationId] as string, ...request });
    check(t, operationId, response, 400, what);
  }
  for (const token of ['A'.repeat(65), 'bad%21token', 'tok%20space']) {
    check(t, 'getTokenMetadata', await inject({ method: 'GET', url: `/v1/tokens/${token}` }), 400, token);
    check(t, 'deleteToken', await inject({ method: 'DELETE', url: `/v1/tokens/${token}` }), 400, token);
    const verify = await inject({
      method: 'POST',
      url: `/v1/tokens/${token}/verify`,
      payload: { value: 'x' },
    });
    check(t, 'verify', verify, 400, token);
    const reset = await inject({ method: 'DELETE', url: `/v1/tokens/${token}/verify-lock` });
    check(t, 'resetVerifyLock', reset, 400, token);
  }
});

t.test('401: unsigned requests, and requests signed with an unknown key', async (t) => {
  const stranger = testCallerNamed('not-a-known-key');
  const { app, injectAs } = await createTestStack(t);
  for (const { operationId, request } of everyOperation) {
    check(t, operationId, await app.inject(request), 401, 'unsigned');
    check(t, operationId, await injectAs(stranger, request), 401, 'unknown key');
  }
});

t.test('403: a signed caller outside the policy, and one without the permission', async (t) => {
  const outsider = testCallerNamed('outside-the-policy');
  const reader = testCallerNamed('metadata-reader');
  const { injectAs } = await createTestStack(t, {
    callers: [testCaller, outsider, reader],
    policy: policyFor([
      { caller: testCaller, tenant: 'default', permissions: allPermissions },
      { caller: reader, tenant: 'default', permissions: ['metadata:read', 'detokenize:masked'] },
    ]),
  });
  for (const { operationId, request } of everyOperation) {
    check(t, operationId, await injectAs(outsider, request), 403, 'caller outside the policy');
  }
  for (const { operationId, request } of everyOperation.filter(({ operationId }) =>
    [
      'tokenize',
      'tokenizeBatch',
      'detokenize',
      'deleteToken',
      'verify',
      'resetVerifyLock',
      'forward',
    ].includes(operationId),
  )) {
    check(t, operationId, await injectAs(reader, request), 403, 'caller without the permission');
  }
});

t.test('403 and 410: a tenant not onboarded, suspended, or shredded', async (t) => {
  const tokenOperations = everyOperation.filter(
    ({ operationId }) => !['live', 'ready'].includes(operationId),
  );
  const newcomer = await createTestStack(t, { ...forwarding, onboard: false });
  for (const { operationId, request } of tokenOperations) {
    const response = await newcomer.inject(request);
    check(t, operationId, response, 403, 'tenant not onboarded');
    t.equal(response.json().type, 'urn:tokenization:problem:tenant-not-onboarded');
  }
  let now = Date.now();
  const stack = await createTestStack(t, { ...forwarding, clock: () => new Date(now) });
  const active = await stack.tenantRegistry.get('default');
  if (!active) throw new Error('the stack onboarded no tenant');
  const scheduled = await stack.tenantRegistry.update(active, {
    status: 'shred_scheduled',
    shredAfter: new Date(now + 86_400_000),
  });
  now += Number(stack.config.TENANT_STATE_CACHE_SECONDS) * 1000;
  for (const { operationId, request } of tokenOperations) {
    const response = await stack.inject(request);
    check(t, operationId, response, 403, 'tenant suspended');
    t.equal(response.json().type, 'urn:tokenization:problem:tenant-suspended');
  }
  await stack.tenantRegistry.update(scheduled, { status: 'shredded', shreddedAt: new Date(now) });
  now += Number(stack.config.TENANT_STATE_CACHE_SECONDS) * 1000;
  for (const { operationId, request } of tokenOperations) {
    const response = await stack.inject(request);
    check(t, operationId, response, 410, 'tenant shredded');
    t.equal(response.json().type, 'urn:tokenization:problem:tenant-shredded');
  }
});

t.test('413: bodies above the limit', async (t) => {
  const { inject } = await createTestStack(t, { env: { BODY_LIMIT_BYTES: '2048' } });
  const big = 'x'.repeat(1000);
  const payloads: Record<string, Record<string, unknown>> = {
    tokenize: { value: big.repeat(3) },
    tokenizeBatch: { items: [{ value: big }, { value: big }, { value: big }] },
    detokenize: { tokens: Array.from({ length: 100 }, () => unknownToken) },
    verify: { value: big.repeat(3) },
    forward: { method: 'POST', path: '/v1/charges', body: { padding: big.repeat(3) } },
  };
  for (const { operationId, request } of bodyOperations) {
    const payload = payloads[operationId];
    t.ok(JSON.stringify(payload).length > 2048, `${operationId}: the body is above the limit`);
    check(t, operationId, await inject({ ...request, payload }), 413);
  }
});

t.test('415: bodies that are not application/json', async (t) => {
  const { inject } = await createTestStack(t, forwarding);
  for (const { operationId, request } of bodyOperations) {
    const json = JSON.stringify(request.payload);
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await inject({ ...request, payload: json, headers: { 'content-type': contentType } });
      check(t, operationId, response, 415, contentType);
    }
  }
});

t.test('503 with Retry-After: the vault store down', async (t) => {
  const closedPort = await freePort();
  const { inject } = await createTestStack(t, {
    env: { DYNAMODB_ENDPOINT: `http://127.0.0.1:${closedPort}`, RETRY_AFTER_SECONDS: '3' },
  });
  // forward's 503s (its destination, and the store behind its tokens) are in the forward test below.
  for (const { operationId, request } of everyOperation.filter(
    ({ operationId }) => !['live', 'forward'].includes(operationId),
  )) {
    const response = await inject(request);
    check(t, operationId, response, 503, 'store down');
    t.equal(response.headers['retry-after'], '3');
  }
});

t.test('503 with Retry-After: KMS failing', async (t) => {
  const { inject, kms } = await createTestStack(t);
  kms.setFault({ mode: 'fail' });
  for (const { operationId, request } of bodyOperations.filter(({ operationId }) =>
    ['tokenize', 'tokenizeBatch'].includes(operationId),
  )) {
    check(t, operationId, await inject(request), 503, 'KMS failing');
  }
  check(t, 'ready', await inject({ method: 'GET', url: '/health/ready' }), 503, 'KMS failing');
});

t.test('409: every format-preserving token tried for a value is taken', async (t) => {
  const colliding = await collidingApp(t, await createTestStack(t));
  const response = await colliding.inject({
    method: 'POST',
    url: '/v1/tokens',
    payload: { value: visa, type: 'card_number', format: 'format_preserving' },
  });
  check(t, 'tokenize', response, 409, 'token space exhausted');
  const batch = await colliding.inject({
    method: 'POST',
    url: '/v1/tokens/batch',
    payload: { items: [{ value: visa, type: 'card_number', format: 'format_preserving' }] },
  });
  check(t, 'tokenizeBatch', batch, 200, 'token space exhausted, per item');
  t.equal(batch.json().results[0].error.code, 'token_space_exhausted');
});

t.test("429 with Retry-After: deterministic tokenizations above the caller's limit per minute", async (t) => {
  // A fixed clock: the two requests cannot fall into two different minutes.
  const { inject } = await createTestStack(t, {
    env: { DETERMINISTIC_TOKENIZATIONS_PER_MINUTE: '1' },
    clock: () => new Date('2026-03-01T12:00:20.000Z'),
  });
  const item = { value: visa, type: 'card_number', deterministic: true };
  check(t, 'tokenize', await inject({ method: 'POST', url: '/v1/tokens', payload: item }), 201, 'within');
  const single = await inject({ method: 'POST', url: '/v1/tokens', payload: item });
  check(t, 'tokenize', single, 429, 'above the limit');
  t.equal(single.headers['retry-after'], '40');
  const batch = await inject({ method: 'POST', url: '/v1/tokens/batch', payload: { items: [item] } });
  check(t, 'tokenizeBatch', batch, 429, 'above the limit');
});

t.test('verify: 410 for an expired token, 423 once the mismatch limit is reached', async (t) => {
  let now = new Date('2026-06-01T12:00:00.000Z');
  const { inject } = await createTestStack(t, { env: { VERIFY_MISMATCH_LIMIT: '1' }, clock: () => now });
  const created = await inject({
    method: 'POST',
    url: '/v1/tokens',
    payload: { value: 'v', ttlSeconds: 60 },
  });
  const { token } = created.json();
  const verify = () => inject({ method: 'POST', url: `/v1/tokens/${token}/verify`, payload: { value: 'w' } });
  check(t, 'verify', await verify(), 200, 'the one mismatch allowed');
  check(t, 'verify', await verify(), 423, 'locked');
  now = new Date(now.getTime() + 61_000);
  check(t, 'verify', await verify(), 410, 'expired');
});

t.test('forward: every documented answer, with a destination on loopback', async (t) => {
  const destination = await startTestDestination(t, json(201, { id: 'ch_1' }));
  const closedPort = await freePort();
  const connection = (name: string, baseUrl: string) => ({
    name,
    baseUrl,
    routes: [{ method: 'POST', pathTemplate: '/v1/charges' }],
    tokenPointers: ['/card/number'],
    requestHeaders: ['idempotency-key'],
    headers: { authorization: { secret: 'file:key', format: 'Bearer {secret}' } },
  });
  const { inject } = await createTestStack(t, {
    connections: {
      connections: [
        connection('payments', destination.url),
        connection('down', `http://127.0.0.1:${closedPort}`),
      ],
    },
    secretFiles: { key: 'contract-test-key' },
    policy: policyFor([
      {
        caller: testCaller,
        tenant: 'default',
        permissions: [...allPermissions, 'forward:payments', 'forward:down'],
      },
    ]),
  });
  const { token } = (
    await inject({ method: 'POST', url: '/v1/tokens', payload: { value: visa, type: 'card_number' } })
  ).json();
  const forward = (body: Record<string, unknown>, name = 'payments') =>
    inject({
      method: 'POST',
      url: `/v1/connections/${name}/forward`,
      payload: { method: 'POST', path: '/v1/charges', headers: { 'idempotency-key': 'k1' }, body },
    });
  const charge = { amount: 100, card: { number: token } };
  check(t, 'forward', await forward(charge), 200, 'relayed');
  check(
    t,
    'forward',
    await forward({ card: { number: token }, note: token }),
    400,
    'token at undeclared pointer',
  );
  check(t, 'forward', await forward({ card: { number: unknownToken } }), 422, 'unknown token');
  destination.answer(json(402, { error: { code: 'card_declined' } }));
  check(t, 'forward', await forward(charge), 402, 'declined: the destination status');
  destination.answer(json(401, { error: { code: 'invalid_api_key' } }));
  check(t, 'forward', await forward(charge), 424, 'a destination 401');
  destination.answer(json(400, { error: { code: 'invalid_request' } }));
  check(t, 'forward', await forward(charge), 400, 'a destination 400');
  destination.answer(json(404, { error: { code: 'no_route' } }));
  check(t, 'forward', await forward(charge), 404, 'a destination 404');
  destination.answer(json(422, { error: { code: 'invalid_amount' } }));
  check(t, 'forward', await forward(charge), 422, 'a destination 422');
  destination.answer((_request, response) => {
    response.writeHead(302, { location: 'http://169.254.169.254/' });
    response.end();
  });
  check(t, 'forward', await forward(charge), 502, 'redirect refused');
  const down = await forward(charge, 'down');
  check(t, 'forward', down, 503, 'destination down');
  t.ok(down.headers['retry-after']);
});

t.test('forward: 503 with Retry-After when the vault store is down', async (t) => {
  const closedPort = await freePort();
  const { inject } = await createTestStack(t, {
    env: { DYNAMODB_ENDPOINT: `http://127.0.0.1:${closedPort}` },
    connections: {
      connections: [
        {
          name: 'payments',
          baseUrl: 'http://127.0.0.1:9',
          routes: [{ method: 'POST', pathTemplate: '/v1/charges' }],
          tokenPointers: ['/card/number'],
        },
      ],
    },
    policy: policyFor([{ caller: testCaller, tenant: 'default', permissions: ['forward:payments'] }]),
  });
  const response = await inject({
    method: 'POST',
    url: '/v1/connections/payments/forward',
    payload: { method: 'POST', path: '/v1/charges', body: { card: { number: unknownToken } } },
  });
  check(t, 'forward', response, 503, 'store down');
  t.equal(response.json().type, 'urn:tokenization:problem:dependency-unavailable');
});

coverage.assertComplete(t);
