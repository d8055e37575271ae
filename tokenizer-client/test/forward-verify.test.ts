// forward, verify and resetVerifyLock against a scripted tokenizer: their typed errors (a relayed
// destination 4xx is told from the tokenizer's own by its problem type) and when each is sent again.
import t from 'tap';
import {
  ConnectionNotFoundError,
  DestinationAnswerRefusedError,
  DestinationFailedError,
  DestinationRefusedError,
  TokenExpiredError,
  TokenizerForbiddenError,
  TokenizerUnavailableError,
  TokenUnusableError,
  VerifyLockedError,
} from '../src/index.js';
import { scriptedClient } from './helpers/scripted-client.js';
import { startScriptedServer } from './helpers/scripted-server.js';

const token = 'tok_3q2-7wEjRk6Yb1cM9xPz0A';
const problem = (slug: string, status: number, extra: object = {}) => ({
  type: `urn:tokenization:problem:${slug}`,
  title: 'A title',
  status,
  ...extra,
});
const charge = (headers?: Record<string, string>) => ({
  method: 'POST' as const,
  path: '/v1/charges',
  ...(headers ? { headers } : {}),
  body: { card: { number: token } },
});

t.test('forward sends the request as given and answers the relayed result', async (t) => {
  const server = await startScriptedServer(t);
  const result = { status: 201, headers: { 'content-type': 'application/json' }, body: { id: 'ch_1' } };
  server.answer({ status: 200, body: result });
  const { client } = scriptedClient(server.url);
  t.same(await client.forward('payments', charge({ 'idempotency-key': 'o-1' })), result);
  t.equal(server.requests[0]?.url, '/v1/connections/payments/forward');
  t.same(JSON.parse(server.requests[0]?.body ?? ''), charge({ 'idempotency-key': 'o-1' }));
});

t.test('forward errors are typed by problem type, whatever the status', async (t) => {
  const server = await startScriptedServer(t);
  const { client } = scriptedClient(server.url, { maxRetries: 0 });
  const cases = [
    [
      402,
      problem('destination-refused', 402, { destination: { status: 402, body: { code: 'card_declined' } } }),
      DestinationRefusedError,
    ],
    [403, problem('destination-refused', 403, { destination: { status: 403 } }), DestinationRefusedError],
    [424, problem('destination-refused', 424, { destination: { status: 401 } }), DestinationRefusedError],
    [403, problem('forbidden', 403), TokenizerForbiddenError],
    [404, problem('connection-not-found', 404), ConnectionNotFoundError],
    [
      422,
      problem('token-unusable', 422, { errors: [{ field: '/body/body/card/number', message: 'x' }] }),
      TokenUnusableError,
    ],
    [502, problem('destination-redirect-refused', 502), DestinationAnswerRefusedError],
    [503, problem('destination-failed', 503), DestinationFailedError],
  ] as const;
  for (const [status, body, type] of cases) {
    server.answer({ status, body, headers: { 'retry-after': '1' } });
    const error = await client.forward('payments', charge()).catch((error: unknown) => error);
    t.ok(error instanceof type, `${status} ${body.type}: ${type.name}`);
  }
  server.answer({ status: 402, body: cases[0][1] });
  const declined = (await client
    .forward('payments', charge())
    .catch((e: unknown) => e)) as DestinationRefusedError;
  t.match(declined, {
    kind: 'destination-refused',
    destination: { status: 402, body: { code: 'card_declined' } },
  });
  server.answer({ status: 503, body: problem('destination-failed', 503) });
  t.ok(
    (await client.forward('payments', charge()).catch((e: unknown) => e)) instanceof
      TokenizerUnavailableError,
  );
  server.answer({ status: 422, body: cases[5][1] });
  const unusable = (await client
    .forward('payments', charge())
    .catch((e: unknown) => e)) as TokenUnusableError;
  t.same(unusable.fields, ['/body/body/card/number']);
  t.match(unusable, { kind: 'token-unusable', status: 422 });
  t.match(unusable.message, /: unusable \/body\/body\/card\/number$/, 'the message names the field');
});

t.test('forward is sent again after a 503 only with an idempotency key', async (t) => {
  const server = await startScriptedServer(t);
  const failed = { status: 503, body: problem('destination-failed', 503), headers: { 'retry-after': '1' } };
  const ok = { status: 200, body: { status: 201, headers: {} } };
  const { client } = scriptedClient(server.url);
  server.answer(failed, ok);
  await t.rejects(client.forward('payments', charge()), DestinationFailedError);
  t.equal(server.requests.length, 1, 'no key: a lost charge could be charged twice');
  server.requests.length = 0;
  server.answer(failed, ok);
  t.same(await client.forward('payments', charge({ 'Idempotency-Key': 'o-1' })), ok.body);
  t.equal(server.requests.length, 2, 'with a key: sent again');
  server.requests.length = 0;
  server.answer({ status: 502, body: problem('destination-response-too-large', 502) }, ok);
  await t.rejects(
    client.forward('payments', charge({ 'idempotency-key': 'o-1' })),
    DestinationAnswerRefusedError,
  );
  t.equal(server.requests.length, 1, 'a guard refusal is final');
});

t.test('verify answers match; locked and expired are typed; a verify is not sent again', async (t) => {
  const server = await startScriptedServer(t);
  const { client } = scriptedClient(server.url);
  server.answer({ status: 200, body: { match: false } });
  t.same(await client.verify(token, '4111111111111111'), { match: false });
  t.same(JSON.parse(server.requests[0]?.body ?? ''), { value: '4111111111111111' });
  t.equal(server.requests[0]?.url, `/v1/tokens/${token}/verify`);
  server.answer({ status: 423, body: problem('verify-locked', 423) });
  await t.rejects(client.verify(token, 'x'), VerifyLockedError);
  server.answer({ status: 410, body: problem('token-expired', 410) });
  await t.rejects(client.verify(token, 'x'), TokenExpiredError);
  server.requests.length = 0;
  server.answer({
    status: 503,
    body: problem('dependency-unavailable', 503),
    headers: { 'retry-after': '1' },
  });
  await t.rejects(client.verify(token, 'x'), TokenizerUnavailableError);
  t.equal(server.requests.length, 1, 'a mismatch counts: not sent twice');
  server.requests.length = 0;
  server.answer(
    { status: 503, body: problem('dependency-unavailable', 503), headers: { 'retry-after': '1' } },
    { status: 204 },
  );
  await client.resetVerifyLock(token);
  t.equal(server.requests.length, 2, 'a reset is repeatable');
  t.equal(server.requests[1]?.method, 'DELETE');
  t.equal(server.requests[1]?.url, `/v1/tokens/${token}/verify-lock`);
});
