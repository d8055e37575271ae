// A card number sent where a token belongs (in `tokens`, in the path, as a metadata key) is never looked
// up, logged, audited or echoed: answers, problems (`instance`, `errors[].field`), the per-request metrics
// line and audit events show the route pattern, `metadata` or `not-a-token` instead.
import { cardForms, cardNumbersIn } from '@tokenization/local-aws/test-support/test-cards';
import type { LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { formatPreservingToken } from '../src/domain/format-preserving-token.js';
import { randomToken } from '../src/domain/token-id.js';
import {
  isWellFormedToken,
  notATokenPlaceholder,
  tokenOrPlaceholder,
} from '../src/domain/well-formed-token.js';
import {
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

const [visa, mastercard, amex] = testCardNumbers;
const neverIssued = 'tok_AAAAAAAAAAAAAAAAAAAAAA';
const stranger = testCallerNamed('card-echo-stranger');
const reader = testCallerNamed('card-echo-reader');

/** Every way a test sends a card number: plain, dashed, spaced, with no-break spaces, by dots. */
const textForms = (card: string) => [
  ...cardForms(card),
  (card.match(/.{1,4}/g) ?? []).join('\u00a0'),
  (card.match(/.{1,4}/g) ?? []).join('.'),
];

/** A card number in a URL path: as is, dashed, spaced (%20), and with every digit percent-encoded. */
const pathForms = (card: string) => [
  card,
  cardForms(card)[1] as string,
  encodeURIComponent(cardForms(card)[2] as string),
  [...card].map((digit) => `%${digit.charCodeAt(0).toString(16)}`).join(''),
];

t.test('a well-formed token is one this service issues; a card number, in any form, never is', async (t) => {
  for (let i = 0; i < 2_000; i++) {
    const token = randomToken();
    if (!isWellFormedToken(token)) t.fail(`a random token is not well-formed: ${token}`);
  }
  for (const card of testCardNumbers) {
    for (const preserve of ['last4', 'first6_last4'] as const) {
      for (let i = 0; i < 50; i++) {
        if (!isWellFormedToken(formatPreservingToken(card, preserve)))
          t.fail(`a ${preserve} format-preserving token is not well-formed`);
      }
    }
    for (const form of textForms(card)) t.notOk(isWellFormedToken(form), 'a card number is not a token');
    t.notOk(isWellFormedToken(`tok_${card}${'A'.repeat(22 - card.length)}`), 'nor one in a token shape');
    t.equal(tokenOrPlaceholder(card), notATokenPlaceholder);
  }
  for (const text of ['', 'tok_', 'tok_short', `${neverIssued}A`, '123456789012', '1'.repeat(20), '../x']) {
    t.notOk(isWellFormedToken(text), `${JSON.stringify(text)} is not a token`);
  }
  t.ok(isWellFormedToken(neverIssued), 'a token that was never issued is still well-formed');
  t.ok(isWellFormedToken('4111111111111112'), '16 digits failing Luhn: a format-preserving token');
  t.equal(tokenOrPlaceholder(neverIssued), neverIssued);
  t.notOk(isWellFormedToken(notATokenPlaceholder), 'the placeholder is no token either');
});

/** What one request left behind: its answer, the log lines and audit events written meanwhile. */
async function traced(stack: TestStack, send: () => Promise<LightMyRequestResponse>) {
  const logFrom = capturedLogLines.length;
  const auditFrom = stack.auditEvents.length;
  const response = await send();
  const logLines = capturedLogLines.slice(logFrom);
  const auditEvents = stack.auditEvents.slice(auditFrom);
  return { response, logLines, auditEvents };
}

function assertNoCardIn(t: Test, name: string, trace: Awaited<ReturnType<typeof traced>>): void {
  t.same(cardNumbersIn(trace.response.body), [], `${name}: not in the answer`);
  t.same(cardNumbersIn(trace.logLines.join('\n')), [], `${name}: not in a log line`);
  t.same(cardNumbersIn(JSON.stringify(trace.auditEvents)), [], `${name}: not in an audit event`);
}

/** The one line per request (its metrics, EMF) names the route's pattern, never the URL; null for none. */
function loggedRoutes(trace: Awaited<ReturnType<typeof traced>>): unknown[] {
  return trace.logLines
    .map((line) => JSON.parse(line) as { _aws?: unknown; route?: unknown })
    .filter((line) => line._aws !== undefined)
    .map((line) => line.route);
}

t.test('detokenize: a card number in `tokens` is answered not_found as not-a-token', async (t) => {
  const stack = await createTestStack(t);
  const token = (
    await stack.inject({ method: 'POST', url: '/v1/tokens', payload: { value: 'not a card' } })
  ).json().token;
  const sent = [visa, token, cardForms(mastercard)[1], amex, neverIssued, visa] as string[];
  const trace = await traced(stack, () =>
    stack.inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens: sent } }),
  );
  t.equal(trace.response.statusCode, 200);
  const notFound = { code: 'not_found', message: 'No such token.' };
  t.same(JSON.parse(trace.response.body).results, [
    { token: notATokenPlaceholder, error: notFound },
    { token, value: 'not a card' },
    { token: notATokenPlaceholder, error: notFound },
    { token: notATokenPlaceholder, error: notFound },
    { token: neverIssued, error: notFound },
    { token: notATokenPlaceholder, error: notFound },
  ]);
  const notAToken = { token: notATokenPlaceholder, outcome: 'not_found' };
  t.match(trace.auditEvents, [
    {
      event: 'detokenize',
      tokens: sent.map((text) => (text === token || text === neverIssued ? text : notATokenPlaceholder)),
      results: [
        notAToken,
        { token, outcome: 'revealed' },
        notAToken,
        notAToken,
        { token: neverIssued, outcome: 'not_found' },
        notAToken,
      ],
    },
  ]);
  assertNoCardIn(t, 'card numbers in tokens', trace);

  const masked = await traced(stack, () =>
    stack.inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [visa], reveal: 'masked' } }),
  );
  t.same(JSON.parse(masked.response.body).results, [{ token: notATokenPlaceholder, error: notFound }]);
  assertNoCardIn(t, 'masked', masked);

  for (const form of [cardForms(visa)[2], textForms(visa)[3]] as string[]) {
    const spaced = await traced(stack, () =>
      stack.inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [token, form] } }),
    );
    t.equal(spaced.response.statusCode, 400, 'a spaced card number is no Token at all');
    t.equal(JSON.parse(spaced.response.body).errors[0].field, '/body/tokens/1');
    assertNoCardIn(t, 'spaced card number in tokens', spaced);
  }
});

t.test('GET and DELETE /v1/tokens/<card number>, signed or not: nothing repeats it', async (t) => {
  const policy = policyFor([
    { caller: testCaller, tenant: 'default', permissions: allPermissions },
    { caller: reader, tenant: 'default', permissions: ['detokenize:masked'] },
  ]);
  const stack = await createTestStack(t, { policy, callers: [testCaller, reader, stranger] });
  const senders = {
    signed: (method: 'GET' | 'DELETE', url: string) => stack.inject({ method, url }),
    'signed, lacking the permission': (method: 'GET' | 'DELETE', url: string) =>
      stack.injectAs(reader, { method, url }),
    'signed by an unknown principal': (method: 'GET' | 'DELETE', url: string) =>
      stack.injectAs(stranger, { method, url }),
    unsigned: (method: 'GET' | 'DELETE', url: string) => stack.app.inject({ method, url }),
  };
  for (const card of [visa, amex] as string[]) {
    for (const form of pathForms(card)) {
      for (const [who, send] of Object.entries(senders)) {
        for (const method of ['GET', 'DELETE'] as const) {
          const name = `${method} ${who} (${form.includes('%') ? 'encoded' : form.includes('-') ? 'dashed' : 'plain'})`;
          const trace = await traced(stack, () => send(method, `/v1/tokens/${form}?also=${form}`));
          const problem = JSON.parse(trace.response.body);
          t.ok([400, 401, 403, 404].includes(trace.response.statusCode), `${name}: refused`);
          t.equal(problem.instance, '/v1/tokens/:token', `${name}: the instance is the route pattern`);
          t.same(loggedRoutes(trace), ['/v1/tokens/:token'], `${name}: the request is logged by its route`);
          assertNoCardIn(t, name, trace);
        }
      }
    }
  }
  const deleted = await traced(stack, () => stack.inject({ method: 'DELETE', url: `/v1/tokens/${visa}` }));
  t.match(deleted.auditEvents, [
    {
      event: 'deleteToken',
      outcome: 'allowed',
      tokens: [notATokenPlaceholder],
      results: [{ token: notATokenPlaceholder, outcome: 'not_found' }],
    },
  ]);
  const notFound = await stack.inject({ method: 'GET', url: `/v1/tokens/${neverIssued}` });
  t.equal(notFound.statusCode, 404);
  t.equal(notFound.json().instance, `/v1/tokens/${neverIssued}`, 'a well-formed token is repeated');

  const unroutable: [string, string, number][] = [
    ['an unknown route', `/v1/cards/${visa}`, 404],
    ['a bad percent-encoding', `/v1/tokens/${visa}%`, 400],
    ['a path parameter above its length limit', `/v1/tokens/${visa.repeat(7)}`, 414],
  ];
  for (const [name, url, status] of unroutable) {
    const trace = await traced(stack, () => stack.inject({ method: 'GET', url }));
    t.equal(trace.response.statusCode, status, `${name}: ${status}`);
    t.equal(
      trace.response.headers['content-type'],
      'application/problem+json; charset=utf-8',
      `${name}: a problem`,
    );
    t.notOk('instance' in JSON.parse(trace.response.body), `${name}, all caller text: no instance`);
    // URLs Fastify cannot route are answered before any hook runs: their one line is the rejection's.
    t.same(loggedRoutes(trace), status === 404 ? [null] : [], `${name}: logged without its URL`);
    assertNoCardIn(t, name, trace);
  }
});

t.test('a card number as a metadata key or property name is never named in a problem', async (t) => {
  const stack = await createTestStack(t);
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['a non-string value under it', { value: 'x', metadata: { [visa]: 5 } }, '/v1/tokens', '/body/metadata'],
    [
      'a value too long under it',
      { value: 'x', metadata: { [visa]: 'y'.repeat(300) } },
      '/v1/tokens',
      '/body/metadata',
    ],
    [
      'dashed, a value too long under it',
      { value: 'x', metadata: { [cardForms(visa)[1] as string]: 'y'.repeat(300) } },
      '/v1/tokens',
      '/body/metadata',
    ],
    [
      'spaced, refused by the key pattern',
      { value: 'x', metadata: { [cardForms(amex)[2] as string]: 'y' } },
      '/v1/tokens',
      '/body/metadata',
    ],
    [
      'in a batch item',
      { items: [{ value: 'x' }, { value: 'x', metadata: { [visa]: 5 } }] },
      '/v1/tokens/batch',
      '/body/items/1/metadata',
    ],
    ['an unknown property', { value: 'x', [`_${visa}`]: 1 }, '/v1/tokens', '/body/(unnamed)'],
    ['a safe key is still named', { value: 'x', metadata: { note: 5 } }, '/v1/tokens', '/body/metadata/note'],
  ];
  for (const [name, payload, url, field] of cases) {
    const trace = await traced(stack, () => stack.inject({ method: 'POST', url, payload }));
    t.equal(trace.response.statusCode, 400, `${name}: 400`);
    const problem = JSON.parse(trace.response.body);
    // A key refused by the key pattern gets two errors (`pattern`, `propertyNames`), on one field.
    t.same(
      [...new Set(problem.errors.map((error: { field: string }) => error.field))],
      [field],
      `${name}: names ${field}`,
    );
    t.equal(problem.instance, url, `${name}: the instance is the route`);
    assertNoCardIn(t, name, trace);
  }
  // Accepted today, refused once card numbers are refused in metadata: either way, never repeated.
  const valid = await traced(stack, () =>
    stack.inject({ method: 'POST', url: '/v1/tokens', payload: { value: 'x', metadata: { [visa]: 'y' } } }),
  );
  assertNoCardIn(t, 'a card number as a key of valid metadata', valid);
});

assertNoCardNumberLogged(t);
