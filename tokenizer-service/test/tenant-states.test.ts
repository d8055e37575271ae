// Tenant states as the tokenizer sees them: every token operation needs the caller's tenant to be active.
// A tenant never onboarded gets 403 tenant-not-onboarded, one whose shred is scheduled 403 tenant-suspended,
// a shredded one 410 tenant-shredded; a cancelled shred restores it within the cache time.
import { freePort } from '@tokenization/local-aws/dynamodb-local';
import type { InjectOptions } from 'fastify';
import t, { type Test } from 'tap';
import type { TenantRecord } from '../src/domain/ports.js';
import {
  allPermissions,
  assertNoCardNumberLogged,
  createTestStack,
  policyFor,
  type TestStack,
  testCaller,
  testCardNumbers,
} from './helpers/test-stack.js';

const [card] = testCardNumbers;
const tenant = 'acme-payments';
const cacheMs = 30_000;

/** One request of each token operation on `token` (detokenize twice: full and masked). */
function tokenOperations(token: string): { name: string; request: InjectOptions }[] {
  return [
    { name: 'tokenize', request: { method: 'POST', url: '/v1/tokens', payload: { value: card } } },
    {
      name: 'tokenizeBatch',
      request: { method: 'POST', url: '/v1/tokens/batch', payload: { items: [{ value: card }] } },
    },
    { name: 'detokenize', request: { method: 'POST', url: '/v1/detokenize', payload: { tokens: [token] } } },
    {
      name: 'detokenize masked',
      request: { method: 'POST', url: '/v1/detokenize', payload: { tokens: [token], reveal: 'masked' } },
    },
    { name: 'getTokenMetadata', request: { method: 'GET', url: `/v1/tokens/${token}` } },
    {
      name: 'verify',
      request: { method: 'POST', url: `/v1/tokens/${token}/verify`, payload: { value: card } },
    },
    { name: 'resetVerifyLock', request: { method: 'DELETE', url: `/v1/tokens/${token}/verify-lock` } },
    {
      name: 'forward',
      request: {
        method: 'POST',
        url: '/v1/connections/payments/forward',
        payload: { method: 'POST', path: '/v1/charges', body: { card: { number: token } } },
      },
    },
    // Last: while the tenant is active it deletes the token.
    { name: 'deleteToken', request: { method: 'DELETE', url: `/v1/tokens/${token}` } },
  ];
}

const policy = policyFor([
  { caller: testCaller, tenant, permissions: [...allPermissions, 'forward:payments'] },
]);

/** A stack for `tenant` whose clock the test moves (the cache's time; SigV4 keeps the wall clock). */
async function stackWithClock(t: Test, options: { onboard?: boolean } = {}) {
  let now = Date.now();
  const stack = await createTestStack(t, { tenant, policy, clock: () => new Date(now), ...options });
  return { stack, passCacheTime: () => (now += cacheMs) };
}

async function tokenize(stack: TestStack): Promise<string> {
  const response = await stack.inject({ method: 'POST', url: '/v1/tokens', payload: { value: card } });
  if (response.statusCode !== 201) throw new Error(`tokenize answered ${response.statusCode}`);
  return response.json().token as string;
}

async function record(stack: TestStack): Promise<TenantRecord> {
  const found = await stack.tenantRegistry.get(tenant);
  if (!found) throw new Error('no tenant record');
  return found;
}

async function expectEveryOperation(
  t: Test,
  stack: TestStack,
  token: string,
  expected: { status: number; type: string },
): Promise<void> {
  for (const { name, request } of tokenOperations(token)) {
    const response = await stack.inject(request);
    t.equal(response.statusCode, expected.status, `${name}: ${expected.status}`);
    t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8', name);
    t.equal(response.json().type, `urn:tokenization:problem:${expected.type}`, name);
    t.notMatch(response.body, tenant, `${name}: the problem does not name the tenant`);
  }
}

t.test('a tenant without a record: 403 tenant-not-onboarded on every token operation', async (t) => {
  const { stack } = await stackWithClock(t, { onboard: false });
  await expectEveryOperation(t, stack, 'tok_AAAAAAAAAAAAAAAAAAAAAA', {
    status: 403,
    type: 'tenant-not-onboarded',
  });
  const live = await stack.inject({ method: 'GET', url: '/health/live' });
  t.equal(live.statusCode, 200, 'the health probes act on no tenant');
  t.match(
    stack.auditEvents.find((event) => event.reason === 'tenant-not-onboarded'),
    { outcome: 'denied', statusCode: 403, tenant },
    'refusals are audited as denials, with the reason',
  );
});

t.test('shred scheduled: 403 tenant-suspended; cancelled: served again within the cache time', async (t) => {
  const { stack, passCacheTime } = await stackWithClock(t);
  const token = await tokenize(stack);
  const scheduled = await stack.tenantRegistry.update(await record(stack), {
    status: 'shred_scheduled',
    shredAfter: new Date(Date.now() + 7 * 86_400_000),
  });
  passCacheTime();
  await expectEveryOperation(t, stack, token, { status: 403, type: 'tenant-suspended' });
  t.match(
    stack.auditEvents.filter((event) => event.reason === 'tenant-suspended'),
    [{ operation: 'tokenize', outcome: 'denied', statusCode: 403 }],
    'audited as denials',
  );

  await stack.tenantRegistry.update(scheduled, { status: 'active', shredAfter: null });
  passCacheTime();
  const revealed = await stack.inject({
    method: 'POST',
    url: '/v1/detokenize',
    payload: { tokens: [token] },
  });
  t.equal(revealed.statusCode, 200);
  t.equal(revealed.json().results[0].value, card, 'the value is back');
  for (const { name, request } of tokenOperations(token)) {
    const response = await stack.inject(request);
    t.notOk([403, 410].includes(response.statusCode), `${name}: served (${response.statusCode})`);
  }
});

t.test('shredded: 410 tenant-shredded on every token operation', async (t) => {
  const { stack, passCacheTime } = await stackWithClock(t);
  const token = await tokenize(stack);
  await stack.tenantRegistry.update(await record(stack), { status: 'shredded', shreddedAt: new Date() });
  const cached = await stack.inject({ method: 'GET', url: `/v1/tokens/${token}` });
  t.equal(cached.statusCode, 200, 'within the cache time the earlier state still holds');
  passCacheTime();
  await expectEveryOperation(t, stack, token, { status: 410, type: 'tenant-shredded' });
  t.match(
    stack.auditEvents.find((event) => event.reason === 'tenant-shredded' && event.operation === 'detokenize'),
    { outcome: 'denied', statusCode: 410 },
  );
});

t.test('the tenant records unreachable: 503 with Retry-After, without internals', async (t) => {
  const closedPort = await freePort();
  const stack = await createTestStack(t, {
    tenant,
    policy,
    env: { DYNAMODB_ENDPOINT: `http://127.0.0.1:${closedPort}`, RETRY_AFTER_SECONDS: '4' },
  });
  for (const request of [
    { method: 'POST', url: '/v1/tokens', payload: { value: card } },
    { method: 'POST', url: '/v1/connections/payments/forward', payload: { method: 'POST', path: '/' } },
  ] as const) {
    const response = await stack.inject(request);
    t.equal(response.statusCode, 503, request.url);
    t.equal(response.headers['retry-after'], '4');
    t.equal(response.json().type, 'urn:tokenization:problem:dependency-unavailable');
    t.notMatch(response.body, /ECONNREFUSED|127\.0\.0\.1|stack/i, 'no internals');
  }
});

assertNoCardNumberLogged(t);
