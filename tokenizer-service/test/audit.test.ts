import t, { type Test } from 'tap';
import {
  type AuditLine,
  allPermissions,
  assertNoCardNumberLogged,
  capturedLogLines,
  createTestStack,
  policyFor,
  type TestStack,
  testCaller,
  testCallerNamed,
  testCardNumbers,
} from './helpers/test-stack.js';

const [visa, mastercard, amex, discover] = testCardNumbers;
const neverIssued = 'tok_AAAAAAAAAAAAAAAAAAAAAA';
const maskedOnly = testCallerNamed('auditor');
const tokenizeOnly = testCallerNamed('ingest');
const stranger = testCallerNamed('stranger');
const policy = policyFor([
  { caller: testCaller, tenant: 'default', permissions: allPermissions },
  { caller: maskedOnly, tenant: 'default', permissions: ['detokenize:masked', 'metadata:read'] },
  { caller: tokenizeOnly, tenant: 'default', permissions: ['tokenize'] },
]);
const callers = [testCaller, maskedOnly, tokenizeOnly, stranger];
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Values revealed in this file (masked ones too): none may reach an audit line. */
const revealedValues = new Set<string>();

const stackFor = (t: Test, clock?: () => Date) =>
  createTestStack(t, { policy, callers, ...(clock ? { clock } : {}) });

async function tokenize(
  stack: TestStack,
  value: string,
  options: Record<string, unknown> = {},
): Promise<string> {
  const response = await stack.inject({ method: 'POST', url: '/v1/tokens', payload: { value, ...options } });
  return response.json().token;
}

function remember(body: string): void {
  for (const result of JSON.parse(body).results ?? [])
    if (typeof result.value === 'string') revealedValues.add(result.value);
}

/** The audit events written since `from`, by index into the stack's events. */
const since = (stack: TestStack, from: number): AuditLine[] => stack.auditEvents.slice(from);

t.test('detokenize writes one audit event: who, which tokens, what happened to each', async (t) => {
  const stack = await stackFor(t);
  const token = await tokenize(stack, visa);
  t.same(stack.auditEvents, [], 'tokenize is not audited when allowed');

  const response = await stack.inject({
    method: 'POST',
    url: '/v1/detokenize',
    payload: { tokens: [token, neverIssued, token] },
  });
  remember(response.body);
  t.equal(stack.auditEvents.length, 1);
  const [event] = stack.auditEvents;
  t.match(event, {
    audit: true,
    level: 'info',
    event: 'detokenize',
    operation: 'detokenize',
    principal: testCaller.principalArn,
    tenant: 'default',
    outcome: 'allowed',
    statusCode: 200,
    reveal: 'full',
    tokens: [token, neverIssued, token],
    results: [
      { token, outcome: 'revealed' },
      { token: neverIssued, outcome: 'not_found' },
      { token, outcome: 'revealed' },
    ],
  });
  t.match(event?.requestId, uuid);
  t.ok(Date.parse(String(event?.time)) > 0, 'an ISO time');
  t.notOk('reason' in (event ?? {}), 'no denial reason');

  const masked = await stack.inject({
    method: 'POST',
    url: '/v1/detokenize',
    payload: { tokens: [token], reveal: 'masked' },
  });
  remember(masked.body);
  t.match(since(stack, 1), [
    { event: 'detokenize', reveal: 'masked', results: [{ token, outcome: 'revealed' }] },
  ]);
});

t.test('expired and used-up tokens are audited by their item outcome', async (t) => {
  let now = new Date();
  const stack = await stackFor(t, () => now);
  const shortLived = await tokenize(stack, mastercard, { ttlSeconds: 60 });
  const oneTime = await tokenize(stack, amex, { maxUses: 1 });
  const reveal = async (tokens: string[]) => {
    const response = await stack.inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens } });
    remember(response.body);
  };
  await reveal([oneTime]);
  await reveal([oneTime]);
  now = new Date(now.getTime() + 120_000);
  await reveal([shortLived]);
  t.match(
    stack.auditEvents.map((event) => event.results),
    [
      [{ token: oneTime, outcome: 'revealed' }],
      [{ token: oneTime, outcome: 'exhausted' }],
      [{ token: shortLived, outcome: 'expired' }],
    ],
  );
});

t.test('delete is audited, whether the token existed or not', async (t) => {
  const stack = await stackFor(t);
  const token = await tokenize(stack, discover);
  t.equal((await stack.inject({ method: 'DELETE', url: `/v1/tokens/${token}` })).statusCode, 204);
  t.equal((await stack.inject({ method: 'DELETE', url: `/v1/tokens/${token}` })).statusCode, 404);
  t.match(stack.auditEvents, [
    {
      event: 'deleteToken',
      outcome: 'allowed',
      statusCode: 204,
      tokens: [token],
      results: [{ token, outcome: 'deleted' }],
    },
    {
      event: 'deleteToken',
      outcome: 'allowed',
      statusCode: 404,
      tokens: [token],
      results: [{ token, outcome: 'not_found' }],
    },
  ]);
});

t.test('every denied request is audited with its reason, whatever the operation', async (t) => {
  const stack = await stackFor(t);
  const token = await tokenize(stack, visa);
  const from = stack.auditEvents.length;

  await stack.app.inject({ method: 'POST', url: '/v1/tokens', payload: { value: visa } });
  await stack.injectAs(tokenizeOnly, { method: 'GET', url: `/v1/tokens/${token}` });
  await stack.injectAs(maskedOnly, { method: 'POST', url: '/v1/detokenize', payload: { tokens: [token] } });
  await stack.injectAs(stranger, { method: 'GET', url: '/health/live' });
  await stack.app.inject({ method: 'GET', url: '/nowhere' });

  t.match(since(stack, from), [
    {
      event: 'tokenize',
      outcome: 'denied',
      reason: 'missing-signature',
      principal: null,
      tenant: null,
      statusCode: 401,
      tokens: [],
      level: 'warn',
    },
    {
      event: 'getTokenMetadata',
      outcome: 'denied',
      reason: 'missing-permission',
      principal: tokenizeOnly.principalArn,
      tenant: 'default',
      statusCode: 403,
      tokens: [],
    },
    {
      event: 'detokenize',
      outcome: 'denied',
      reason: 'missing-permission',
      principal: maskedOnly.principalArn,
      statusCode: 403,
      tokens: [token],
      reveal: 'full',
    },
    {
      event: 'live',
      outcome: 'denied',
      reason: 'unknown-principal',
      principal: stranger.principalArn,
      tenant: null,
    },
    {
      event: 'unknown-route',
      operation: null,
      outcome: 'denied',
      reason: 'missing-signature',
      statusCode: 401,
    },
  ]);
  t.notOk(
    since(stack, from).some((event) => 'results' in event),
    'nothing was revealed or deleted',
  );
});

t.test('allowed tokenize, metadata reads and health probes are not audited', async (t) => {
  const stack = await stackFor(t);
  const token = await tokenize(stack, visa);
  await stack.inject({ method: 'POST', url: '/v1/tokens/batch', payload: { items: [{ value: visa }] } });
  await stack.inject({ method: 'GET', url: `/v1/tokens/${token}` });
  await stack.inject({ method: 'GET', url: '/health/live' });
  await stack.inject({ method: 'GET', url: '/health/ready' });
  t.same(stack.auditEvents, []);
});

t.test('audit lines carry the routing marker and never a value', async (t) => {
  const auditLines = capturedLogLines.filter((line) => line.includes('"audit":true'));
  t.ok(auditLines.length >= 10, 'the tests above wrote audit lines');
  t.ok(revealedValues.size >= 3, 'values were revealed (and masked) in this file');
  for (const line of auditLines) {
    const event = JSON.parse(line);
    t.equal(event.audit, true);
    t.type(event.event, 'string');
    t.notOk('pid' in event || 'hostname' in event || 'reqId' in event, 'not an application log line');
    for (const value of [...testCardNumbers, ...revealedValues]) {
      t.notOk(line.includes(value), 'no value, full or masked');
    }
    t.notOk(/"value"\s*:/.test(line), 'no value field at any depth');
  }
  const applicationLines = capturedLogLines.filter((line) => !line.includes('"audit":true'));
  t.ok(applicationLines.length > 0);
  t.notOk(
    applicationLines.some((line) => 'audit' in JSON.parse(line)),
    'application log lines never carry the audit marker',
  );
});

assertNoCardNumberLogged(t);
