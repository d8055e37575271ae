// Deterministic tokens are a value oracle (a candidate value tokenized deterministically gives a known token
// exactly when it is the value behind it): they keep no more than the last four digits, need a permission
// of their own, and are limited per principal and minute in the vault table every instance shares.
import { Writable } from 'node:stream';
import { freePort } from '@tokenization/local-aws/dynamodb-local';
import type { InjectOptions } from 'fastify';
import t, { type Test } from 'tap';
import { buildApp } from '../src/app.js';
import { sigV4Authenticator } from '../src/auth/sigv4-authenticator.js';
import { createAuditLogger, createLogger } from '../src/logging.js';
import { createDependencies } from '../src/wiring.js';
import {
  assertNoCardNumberLogged,
  createTestStack,
  credentialsOf,
  injectSigned,
  policyFor,
  type TestStack,
  type TestStackOptions,
  testCallerNamed,
  testCardNumbers,
  testRegion,
} from './helpers/test-stack.js';

const [visa, mastercard, amex, discover, jcb] = testCardNumbers;
const tokenizeOnly = testCallerNamed('random-tokens-only');
const deterministicOnly = testCallerNamed('deterministic-tokens-only');
const both = testCallerNamed('both-kinds-of-token');
const another = testCallerNamed('another-deterministic-caller');
const callers = [tokenizeOnly, deterministicOnly, both, another];
const policy = policyFor([
  { caller: tokenizeOnly, tenant: 'default', permissions: ['tokenize'] },
  { caller: deterministicOnly, tenant: 'default', permissions: ['tokenize:deterministic'] },
  { caller: both, tenant: 'default', permissions: ['tokenize', 'tokenize:deterministic'] },
  { caller: another, tenant: 'default', permissions: ['tokenize', 'tokenize:deterministic'] },
]);
/** 20 s into a minute: a limited caller is told to come back in 40 s. */
const fixedNow = new Date('2026-03-01T12:00:20.000Z');
const limited = (perMinute: number): TestStackOptions => ({
  policy,
  callers,
  clock: () => fixedNow,
  env: { DETERMINISTIC_TOKENIZATIONS_PER_MINUTE: String(perMinute) },
});

const deterministic = (value: string, options: Record<string, unknown> = {}): InjectOptions => ({
  method: 'POST',
  url: '/v1/tokens',
  payload: { value, type: 'card_number', deterministic: true, ...options },
});
const batch = (...items: Record<string, unknown>[]): InjectOptions => ({
  method: 'POST',
  url: '/v1/tokens/batch',
  payload: { items },
});
const deterministicItem = (value: string) => ({ value, type: 'card_number', deterministic: true });

t.test('a deterministic token keeps the last four at most: first6_last4 is refused', async (t) => {
  const stack = await createTestStack(t);
  const fpe = { format: 'format_preserving', preserve: 'first6_last4' };
  const single = await stack.inject(deterministic(visa, fpe));
  t.equal(single.statusCode, 400);
  t.match(single.json(), {
    type: 'urn:tokenization:problem:invalid-options',
    errors: [{ field: '/body/preserve' }],
  });
  t.notMatch(single.body, visa, 'the value is not echoed');

  const items = await stack.inject(batch({ ...deterministicItem(visa), ...fpe }, deterministicItem(visa)));
  t.equal(items.statusCode, 200);
  const [refused, allowed] = items.json().results;
  t.equal(refused.error?.code, 'invalid_options', 'the first6_last4 item is refused');
  t.ok(allowed.token, 'the other item goes on');

  const last4 = await stack.inject(deterministic(visa, { format: 'format_preserving', preserve: 'last4' }));
  t.equal(last4.statusCode, 201, 'deterministic with the last four only is fine');
  t.equal(last4.json().token.slice(-4), visa.slice(-4));
  const random = await stack.inject({
    method: 'POST',
    url: '/v1/tokens',
    payload: { value: visa, type: 'card_number', ...fpe },
  });
  t.equal(random.statusCode, 201, 'first6_last4 stays available to tokens that are not deterministic');
});

t.test('tokenize alone cannot tokenize deterministically; tokenize:deterministic can', async (t) => {
  const stack = await createTestStack(t, { policy, callers });
  const forbidden = (response: { statusCode: number; json: () => unknown }, what: string) => {
    t.equal(response.statusCode, 403, what);
    t.match(response.json(), { type: 'urn:tokenization:problem:forbidden', status: 403 }, what);
  };
  forbidden(await stack.injectAs(tokenizeOnly, deterministic(visa)), 'tokenize only: deterministic single');
  forbidden(
    await stack.injectAs(tokenizeOnly, batch({ value: 'random' }, deterministicItem(visa))),
    'tokenize only: one deterministic item refuses the whole batch',
  );
  t.equal((await stack.injectAs(tokenizeOnly, batch({ value: 'random' }))).statusCode, 200);
  t.match(
    stack.auditEvents.find(({ event }) => event === 'tokenizeBatch'),
    {
      event: 'tokenizeBatch',
      outcome: 'denied',
      reason: 'missing-permission',
      principal: tokenizeOnly.principalArn,
    },
  );

  const created = await stack.injectAs(deterministicOnly, deterministic(visa));
  t.equal(created.statusCode, 201, 'tokenize:deterministic: deterministic single');
  t.equal(created.json().deterministic, true);
  const items = await stack.injectAs(deterministicOnly, batch(deterministicItem(mastercard)));
  t.equal(items.statusCode, 200, 'tokenize:deterministic: deterministic batch');
  forbidden(
    await stack.injectAs(deterministicOnly, { method: 'POST', url: '/v1/tokens', payload: { value: 'x' } }),
    'tokenize:deterministic does not imply tokenize',
  );
  forbidden(
    await stack.injectAs(deterministicOnly, batch({ value: 'random' }, deterministicItem(visa))),
    'a mixed batch needs both',
  );
  const mixed = await stack.injectAs(both, batch({ value: 'random' }, deterministicItem(visa)));
  t.equal(mixed.statusCode, 200, 'holding both: a mixed batch');
  t.equal(mixed.json().results[1].token, created.json().token, 'the same value, the same token');
});

t.test('the limit: N pass, the next gets 429 with Retry-After and an audit event', async (t) => {
  const stack = await createTestStack(t, limited(3));
  for (const card of [visa, mastercard, visa]) {
    t.equal((await stack.injectAs(both, deterministic(card))).statusCode, 201, 'repeats count as well');
  }
  const refused = await stack.injectAs(both, deterministic(amex));
  t.equal(refused.statusCode, 429);
  t.equal(refused.headers['retry-after'], '40', 'the seconds left in the minute');
  t.match(refused.headers['content-type'], /^application\/problem\+json/);
  t.match(refused.json(), {
    type: 'urn:tokenization:problem:deterministic-rate-limit',
    title: 'Too Many Requests',
    status: 429,
  });
  t.notMatch(refused.body, amex, 'the value is not echoed');
  t.match(stack.auditEvents.at(-1), {
    audit: true,
    event: 'tokenize',
    outcome: 'denied',
    reason: 'deterministic-rate-limit',
    statusCode: 429,
    principal: both.principalArn,
    tenant: 'default',
  });
  t.equal(
    (await stack.injectAs(both, batch(deterministicItem(amex)))).statusCode,
    429,
    'a batch draws on the same allowance',
  );

  const random = await stack.injectAs(both, { method: 'POST', url: '/v1/tokens', payload: { value: amex } });
  t.equal(random.statusCode, 201, 'tokens that are not deterministic are not limited');
  t.equal(
    (await stack.injectAs(another, deterministic(amex))).statusCode,
    201,
    'another principal: unaffected',
  );
});

t.test('a batch that would cross the limit is refused whole and spends nothing', async (t) => {
  const stack = await createTestStack(t, limited(3));
  const first = await stack.injectAs(
    both,
    batch(deterministicItem(visa), { value: 'r' }, deterministicItem(amex)),
  );
  t.equal(first.statusCode, 200, 'two deterministic items of three');
  const crossing = await stack.injectAs(both, batch(deterministicItem(discover), deterministicItem(jcb)));
  t.equal(crossing.statusCode, 429, '2 + 2 > 3: the whole batch');
  t.match(crossing.headers['retry-after'], /^\d+$/);
  const last = await stack.injectAs(both, deterministic(discover));
  t.equal(last.statusCode, 201, 'the refused batch spent none of the last one');
  t.equal((await stack.injectAs(both, deterministic(jcb))).statusCode, 429);

  const tooBig = await stack.injectAs(another, batch(...[visa, amex, discover, jcb].map(deterministicItem)));
  t.equal(tooBig.statusCode, 429, 'more than a whole minute in one request');
  t.match(tooBig.json().detail, /send fewer per request/);
  t.equal((await stack.injectAs(another, deterministic(visa))).statusCode, 201, 'and nothing was spent');
});

t.test('two app instances on one table share the count (Lambda containers)', async (t) => {
  const first = await createTestStack(t, limited(3));
  const second = await createTestStack(t, { ...limited(3), shareWith: first });
  t.equal((await first.injectAs(both, deterministic(visa))).statusCode, 201);
  t.equal((await second.injectAs(both, deterministic(mastercard))).statusCode, 201);
  t.equal((await first.injectAs(both, deterministic(amex))).statusCode, 201);
  t.equal((await second.injectAs(both, deterministic(discover))).statusCode, 429, 'the second saw three');
  t.equal((await first.injectAs(both, deterministic(discover))).statusCode, 429, 'and so did the first');
});

t.test(
  'the count store down while checking the limit: 503 with Retry-After, nothing tokenized',
  async (t) => {
    const stack = await createTestStack(t, limited(3));
    const app = await appWithCountStoreDown(t, stack);
    const response = await injectSigned(app, both, deterministic(visa));
    t.equal(response.statusCode, 503);
    t.equal(response.headers['retry-after'], '1');
    t.match(response.json(), { type: 'urn:tokenization:problem:dependency-unavailable' });
    const random = await injectSigned(app, both, {
      method: 'POST',
      url: '/v1/tokens',
      payload: { value: 'x' },
    });
    t.equal(random.statusCode, 201, 'the vault itself is up: only the count was unreachable');
  },
);

/** The stack's app, but with its rate windows counted on a DynamoDB endpoint nobody listens on. */
async function appWithCountStoreDown(t: Test, stack: TestStack) {
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const entry = {
    authenticate: sigV4Authenticator({
      credentials: credentialsOf(callers),
      region: testRegion,
      clock: () => new Date(),
    }),
    auditLogger: createAuditLogger(discard),
  };
  const logger = createLogger('silent', discard);
  const up = createDependencies(stack.config, logger, entry);
  const closed = `http://127.0.0.1:${await freePort()}`;
  const down = createDependencies({ ...stack.config, DYNAMODB_ENDPOINT: closed }, logger, entry);
  const app = buildApp({ ...up, clock: () => fixedNow, rateWindows: down.rateWindows });
  t.teardown(() => app.close());
  await app.ready();
  return app;
}

assertNoCardNumberLogged(t);
