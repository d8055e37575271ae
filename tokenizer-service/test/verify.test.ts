// Verify: a candidate compared with a token's value inside the tokenizer, match or no match only, with a
// per-token mismatch limit kept by a conditional write in the vault table (DynamoDB Local), lifted only by
// a caller holding `verify:reset`.
import t, { type Test } from 'tap';
import {
  allPermissions,
  assertNoCardNumberLogged,
  createTestStack,
  policyFor,
  type TestStack,
  testCaller,
  testCallerNamed,
  testCardNumbers,
} from './helpers/test-stack.js';

const [visa, mastercard] = testCardNumbers;
const securityAdmin = testCallerNamed('security-admin');
const verifier = testCallerNamed('verifier');

async function stackWith(t: Test, env: Record<string, string> = {}, clock?: () => Date) {
  return createTestStack(t, {
    env,
    ...(clock ? { clock } : {}),
    callers: [testCaller, securityAdmin, verifier],
    policy: policyFor([
      {
        caller: testCaller,
        tenant: 'default',
        permissions: allPermissions.filter((p) => p !== 'verify:reset'),
      },
      { caller: securityAdmin, tenant: 'default', permissions: ['verify:reset', 'metadata:read'] },
      { caller: verifier, tenant: 'default', permissions: ['tokenize'] },
    ]),
  });
}

async function tokenize(stack: TestStack, payload: Record<string, unknown>): Promise<string> {
  return (await stack.inject({ method: 'POST', url: '/v1/tokens', payload })).json().token;
}

const verify = (stack: TestStack, token: string, value: string) =>
  stack.inject({ method: 'POST', url: `/v1/tokens/${token}/verify`, payload: { value } });

t.test('match and no match, never the value; a card candidate may be grouped', async (t) => {
  const stack = await stackWith(t);
  const card = await tokenize(stack, { value: visa, type: 'card_number' });
  const generic = await tokenize(stack, { value: 'Secret-Value' });
  t.same((await verify(stack, card, visa)).json(), { match: true });
  t.same((await verify(stack, card, '4111 1111 1111 1111')).json(), { match: true });
  t.same((await verify(stack, card, mastercard)).json(), { match: false });
  t.same((await verify(stack, generic, 'Secret-Value')).json(), { match: true });
  t.same((await verify(stack, generic, 'secret-value')).json(), { match: false });
  t.same(
    (await verify(stack, generic, 'Secret-Value ')).json(),
    { match: false },
    'no normalisation of generic values',
  );

  const audit = stack.auditEvents.filter((event) => event.event === 'verify');
  t.same(
    audit.map((event) => (event.results as { outcome: string }[])[0]?.outcome),
    ['match', 'match', 'no_match', 'match', 'no_match', 'no_match'],
  );
  const text = JSON.stringify(stack.auditEvents);
  for (const value of [visa, mastercard, 'Secret-Value', 'secret-value']) t.notOk(text.includes(value));
});

t.test('a verify spends no use; an expired or unknown token cannot be verified', async (t) => {
  let now = new Date('2026-06-01T12:00:00Z');
  const stack = await stackWith(t, {}, () => now);
  const once = await tokenize(stack, { value: visa, type: 'card_number', maxUses: 1 });
  t.same((await verify(stack, once, visa)).json(), { match: true });
  const metadata = await stack.injectAs(securityAdmin, { method: 'GET', url: `/v1/tokens/${once}` });
  t.equal(metadata.json().usesRemaining, 1, 'no use spent');

  const shortLived = await tokenize(stack, { value: visa, type: 'card_number', ttlSeconds: 60 });
  now = new Date(now.getTime() + 61_000);
  const expired = await verify(stack, shortLived, visa);
  t.equal(expired.statusCode, 410);
  t.equal(expired.json().type, 'urn:tokenization:problem:token-expired');

  const unknown = await verify(stack, 'tok_AAAAAAAAAAAAAAAAAAAAAA', visa);
  t.equal(unknown.statusCode, 404);
  const notAToken = await verify(stack, mastercard, visa);
  t.equal(notAToken.statusCode, 404, 'a card number where the token belongs is not looked up');
  t.notOk(notAToken.body.includes(mastercard));
});

t.test(
  'after the mismatch limit verify answers locked, match or not, until an admin resets it',
  async (t) => {
    const stack = await stackWith(t, { VERIFY_MISMATCH_LIMIT: '2' });
    const token = await tokenize(stack, { value: visa, type: 'card_number' });
    t.same((await verify(stack, token, mastercard)).json(), { match: false });
    t.same((await verify(stack, token, visa)).json(), { match: true }, 'a match does not count');
    t.same((await verify(stack, token, mastercard)).json(), { match: false });
    for (const candidate of [mastercard, visa]) {
      const locked = await verify(stack, token, candidate);
      t.equal(locked.statusCode, 423);
      t.equal(locked.json().type, 'urn:tokenization:problem:verify-locked');
    }

    const notAllowed = await stack.inject({ method: 'DELETE', url: `/v1/tokens/${token}/verify-lock` });
    t.equal(notAllowed.statusCode, 403, 'the caller that verifies cannot lift the lock');
    const reset = await stack.injectAs(securityAdmin, {
      method: 'DELETE',
      url: `/v1/tokens/${token}/verify-lock`,
    });
    t.equal(reset.statusCode, 204);
    t.same((await verify(stack, token, visa)).json(), { match: true });
    const unknown = await stack.injectAs(securityAdmin, {
      method: 'DELETE',
      url: '/v1/tokens/tok_AAAAAAAAAAAAAAAAAAAAAA/verify-lock',
    });
    t.equal(unknown.statusCode, 404);

    const outcomes = stack.auditEvents
      .filter((event) => event.event === 'verify' || event.event === 'resetVerifyLock')
      .map(
        (event) =>
          `${event.event}:${(event.results as { outcome: string }[] | undefined)?.[0]?.outcome ?? event.outcome}`,
      );
    t.same(outcomes, [
      'verify:no_match',
      'verify:match',
      'verify:no_match',
      'verify:locked',
      'verify:locked',
      'resetVerifyLock:denied',
      'resetVerifyLock:reset',
      'verify:match',
      'resetVerifyLock:not_found',
    ]);
  },
);

t.test('concurrent guesses get no more "no match" answers than the limit', async (t) => {
  const stack = await stackWith(t, { VERIFY_MISMATCH_LIMIT: '3' });
  const token = await tokenize(stack, { value: visa, type: 'card_number' });
  const guesses = testCardNumbers.filter((card) => card !== visa);
  const answers = await Promise.all([...guesses, ...guesses].map((guess) => verify(stack, token, guess)));
  const statuses = answers.map((answer) => answer.statusCode).sort();
  t.equal(statuses.filter((status) => status === 200).length, 3);
  t.equal(statuses.filter((status) => status === 423).length, answers.length - 3);
});

t.test('a caller without verify gets 403', async (t) => {
  const stack = await stackWith(t);
  const token = await tokenize(stack, { value: visa, type: 'card_number' });
  const response = await stack.injectAs(verifier, {
    method: 'POST',
    url: `/v1/tokens/${token}/verify`,
    payload: { value: visa },
  });
  t.equal(response.statusCode, 403);
});

assertNoCardNumberLogged(t);
