import { operationRoutes } from '@tokenization/contracts/operations';
import { tokenizerDocument } from '@tokenization/contracts/tokenizer-document';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { type Permission, permissions } from '../src/auth/permissions.js';
import { operationAccess } from '../src/http/operation-access.js';
import {
  allPermissions,
  assertNoCardNumberLogged,
  createTestStack,
  policyFor,
  type TestCaller,
  testCallerNamed,
  testCardNumbers,
} from './helpers/test-stack.js';

const [card] = testCardNumbers;
const tenantA = 'tenant-a';
const tenantB = 'tenant-b';
const neverIssued = 'tok_AAAAAAAAAAAAAAAAAAAAAA';

/** The callers under test, all of tenant A: one per single permission, one with none, one with all. */
const callers: { name: string; caller: TestCaller; permissions: readonly Permission[] }[] = [
  ...permissions.map((permission) => ({
    name: `only ${permission}`,
    caller: testCallerNamed(`only-${permission.replace(':', '-')}`),
    permissions: [permission],
  })),
  { name: 'no permission', caller: testCallerNamed('no-permission'), permissions: [] },
  { name: 'every permission', caller: testCallerNamed('every-permission'), permissions: allPermissions },
];
const ownerB = testCallerNamed('owner-of-tenant-b');
/** Signs correctly, but the policy does not list it. */
const stranger = testCallerNamed('stranger');

const policy = policyFor([
  ...callers.map(({ caller, permissions }) => ({ caller, tenant: tenantA, permissions })),
  { caller: ownerB, tenant: tenantB, permissions: allPermissions },
]);
const everyone = [...callers.map(({ caller }) => caller), ownerB, stranger];

type Tenancy = 'own' | 'other';

/** One operation of the matrix: who may call it (the specification, written out), and what a success is. */
interface OperationCase {
  name: string;
  allowed: (held: ReadonlySet<Permission>) => boolean;
  /** Token operations are tried on a token of the caller's own tenant and of the other tenant. */
  onToken: boolean;
  /** Spends the token (a fresh one is made for each try). */
  consumes?: boolean;
  request: (token: string) => InjectOptions;
  success: (t: Test, response: LightMyRequestResponse, tenancy: Tenancy, token: string) => void;
}

const operations: OperationCase[] = [
  {
    name: 'tokenize',
    allowed: (held) => held.has('tokenize'),
    onToken: false,
    request: () => ({ method: 'POST', url: '/v1/tokens', payload: { value: card } }),
    success: (t, response) => t.equal(response.statusCode, 201),
  },
  {
    name: 'tokenizeBatch',
    allowed: (held) => held.has('tokenize'),
    onToken: false,
    request: () => ({ method: 'POST', url: '/v1/tokens/batch', payload: { items: [{ value: card }] } }),
    success: (t, response) => t.equal(response.statusCode, 200),
  },
  {
    name: 'tokenize (deterministic)',
    allowed: (held) => held.has('tokenize:deterministic'),
    onToken: false,
    request: () => ({ method: 'POST', url: '/v1/tokens', payload: { value: card, deterministic: true } }),
    success: (t, response) => t.equal(response.statusCode, 201),
  },
  {
    name: 'tokenizeBatch (one random, one deterministic item)',
    allowed: (held) => held.has('tokenize') && held.has('tokenize:deterministic'),
    onToken: false,
    request: () => ({
      method: 'POST',
      url: '/v1/tokens/batch',
      payload: { items: [{ value: card }, { value: card, deterministic: true }] },
    }),
    success: (t, response) => t.equal(response.statusCode, 200),
  },
  {
    name: 'detokenize (full)',
    allowed: (held) => held.has('detokenize'),
    onToken: true,
    request: (token) => ({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [token] } }),
    success: (t, response, tenancy, token) => {
      t.equal(response.statusCode, 200);
      const [result] = response.json().results;
      if (tenancy === 'own') t.same(result, { token, value: card });
      else t.match(result, { token, error: { code: 'not_found' } });
    },
  },
  {
    name: 'detokenize (masked)',
    allowed: (held) => held.has('detokenize') || held.has('detokenize:masked'),
    onToken: true,
    request: (token) => ({
      method: 'POST',
      url: '/v1/detokenize',
      payload: { tokens: [token], reveal: 'masked' },
    }),
    success: (t, response, tenancy) => {
      t.equal(response.statusCode, 200);
      const [result] = response.json().results;
      if (tenancy === 'other') t.equal(result.error?.code, 'not_found');
      else {
        t.not(result.value, card, 'masked, not the value');
        t.match(result.value, new RegExp(`${card.slice(-4)}$`), 'keeps the last four');
      }
    },
  },
  {
    name: 'getTokenMetadata',
    allowed: (held) => held.has('metadata:read'),
    onToken: true,
    request: (token) => ({ method: 'GET', url: `/v1/tokens/${token}` }),
    success: (t, response, tenancy) => t.equal(response.statusCode, tenancy === 'own' ? 200 : 404),
  },
  {
    name: 'deleteToken',
    allowed: (held) => held.has('delete'),
    onToken: true,
    consumes: true,
    request: (token) => ({ method: 'DELETE', url: `/v1/tokens/${token}` }),
    success: (t, response, tenancy) => t.equal(response.statusCode, tenancy === 'own' ? 204 : 404),
  },
  {
    name: 'live',
    allowed: () => true,
    onToken: false,
    request: () => ({ method: 'GET', url: '/health/live' }),
    success: (t, response) => t.equal(response.statusCode, 200),
  },
  {
    name: 'ready',
    allowed: () => true,
    onToken: false,
    request: () => ({ method: 'GET', url: '/health/ready' }),
    success: (t, response) => t.equal(response.statusCode, 200),
  },
];

t.test(
  'every contract operation has an access rule (deny by default needs a decision per operation)',
  async (t) => {
    for (const { operationId } of operationRoutes(tokenizerDocument)) {
      t.ok(operationAccess[operationId], `${operationId} has an access rule`);
    }
  },
);

t.test('authorization matrix: principal x operation x own/other tenant', async (t) => {
  const stack = await createTestStack(t, { tenant: tenantA, policy, callers: everyone });
  const every = callers.find(({ name }) => name === 'every permission')?.caller as TestCaller;
  const tokenOf = async (caller: TestCaller) =>
    (await stack.injectAs(caller, { method: 'POST', url: '/v1/tokens', payload: { value: card } })).json()
      .token as string;
  const shared = { own: await tokenOf(every), other: await tokenOf(ownerB) };
  /** Tenant B's tokens a caller of tenant A tried to delete. */
  const deletionTargetsInB: string[] = [];

  for (const operation of operations) {
    for (const { name, caller, permissions: held } of callers) {
      const tenancies: (Tenancy | undefined)[] = operation.onToken ? ['own', 'other'] : [undefined];
      for (const tenancy of tenancies) {
        const label = `${name} -> ${operation.name}${tenancy ? ` on a token of the ${tenancy} tenant` : ''}`;
        await t.test(label, async (t) => {
          let token = neverIssued;
          if (tenancy)
            token = operation.consumes ? await tokenOf(tenancy === 'own' ? every : ownerB) : shared[tenancy];
          if (operation.name === 'deleteToken' && tenancy === 'other') deletionTargetsInB.push(token);
          const response = await stack.injectAs(caller, operation.request(token));
          if (operation.allowed(new Set(held))) {
            operation.success(t, response, tenancy ?? 'own', token);
          } else {
            t.equal(response.statusCode, 403, 'denied');
            t.match(response.json(), {
              type: 'urn:tokenization:problem:forbidden',
              status: 403,
              detail: 'The caller may not perform this operation.',
            });
          }
        });
      }
    }
  }

  t.test('a principal the policy does not list may do nothing, not even health', async (t) => {
    for (const operation of operations) {
      const response = await stack.injectAs(stranger, operation.request(shared.own));
      t.equal(response.statusCode, 403, operation.name);
      t.equal(response.json().detail, 'The caller has no access to the tokenizer.');
    }
  });

  t.test('tenant B still has its tokens: no delete crossed tenants', async (t) => {
    const deleters = callers.filter(({ permissions }) => permissions.includes('delete'));
    t.equal(
      deletionTargetsInB.length,
      callers.length,
      'every caller of tenant A tried to delete a token of B',
    );
    t.ok(deleters.length > 0, 'some of them hold the delete permission');
    const response = await stack.injectAs(ownerB, {
      method: 'POST',
      url: '/v1/detokenize',
      payload: { tokens: [...deletionTargetsInB, shared.other] },
    });
    t.same(
      response.json().results,
      [...deletionTargetsInB, shared.other].map((token) => ({ token, value: card })),
      'each token of B that tenant A tried to delete still reveals its value to B',
    );
  });
});

t.test("another tenant's token answers exactly like a token that never existed", async (t) => {
  const stack = await createTestStack(t, { tenant: tenantA, policy, callers: everyone });
  const every = callers.find(({ name }) => name === 'every permission')?.caller as TestCaller;
  const otherToken = (
    await stack.injectAs(ownerB, { method: 'POST', url: '/v1/tokens', payload: { value: card } })
  ).json().token as string;
  const requests = [
    (token: string) => ({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [token] } }) as const,
    (token: string) =>
      ({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [token], reveal: 'masked' } }) as const,
    (token: string) => ({ method: 'GET', url: `/v1/tokens/${token}` }) as const,
    (token: string) => ({ method: 'DELETE', url: `/v1/tokens/${token}` }) as const,
  ];
  for (const request of requests) {
    const other = await stack.injectAs(every, request(otherToken));
    const missing = await stack.injectAs(every, request(neverIssued));
    t.equal(other.statusCode, missing.statusCode, `${request('x').method} ${request('x').url}`);
    t.equal(other.body.replaceAll(otherToken, neverIssued), missing.body, 'same body but for the token');
    t.equal(other.headers['content-type'], missing.headers['content-type']);
  }
});

t.test('the tenant comes from the verified caller, never from the request', async (t) => {
  const stack = await createTestStack(t, { tenant: tenantA, policy, callers: everyone });
  const every = callers.find(({ name }) => name === 'every permission')?.caller as TestCaller;
  const created = await stack.injectAs(every, {
    method: 'POST',
    url: '/v1/tokens?tenant=tenant-b',
    headers: { 'x-tenant': tenantB, 'x-tenant-id': tenantB },
    payload: { value: card },
  });
  t.equal(created.statusCode, 201);
  const { token } = created.json();
  const asB = await stack.injectAs(ownerB, { method: 'GET', url: `/v1/tokens/${token}` });
  t.equal(asB.statusCode, 404, 'not in tenant B');
  t.equal((await stack.injectAs(every, { method: 'GET', url: `/v1/tokens/${token}` })).statusCode, 200);
  const inBody = await stack.injectAs(every, {
    method: 'POST',
    url: '/v1/tokens',
    payload: { value: card, tenant: tenantB },
  });
  t.equal(inBody.statusCode, 400, 'a tenant in the body is refused by the contract');
});

t.test('a body-dependent denial comes after validation: invalid bodies still get 400', async (t) => {
  const stack = await createTestStack(t, { tenant: tenantA, policy, callers: everyone });
  const maskedOnly = callers.find(({ name }) => name === 'only detokenize:masked')?.caller as TestCaller;
  const invalid = await stack.injectAs(maskedOnly, {
    method: 'POST',
    url: '/v1/detokenize',
    payload: { tokens: [], reveal: 'full' },
  });
  t.equal(invalid.statusCode, 400);
  const nothingAllowed = callers.find(({ name }) => name === 'no permission')?.caller as TestCaller;
  const early = await stack.injectAs(nothingAllowed, {
    method: 'POST',
    url: '/v1/detokenize',
    headers: { 'content-type': 'application/json' },
    payload: '{"tokens": [',
  });
  t.equal(early.statusCode, 403, 'without any detokenize permission: 403 before the body is even parsed');
});

assertNoCardNumberLogged(t);
