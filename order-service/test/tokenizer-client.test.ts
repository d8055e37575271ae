import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import t from 'tap';
import { ForwardedPaymentProcessor } from '../src/adapters/forwarded-payment-processor.js';
import {
  createTokenizerSdk,
  type TokenizerClientOptions,
  TokenizerHttpClient,
} from '../src/adapters/tokenizer-client.js';
import { type RecordedRequest, type ScriptedAnswer, startScriptedServer } from './helpers/scripted-server.js';

const credentials = { accessKeyId: 'AKIDORDERTEST', secretAccessKey: 'order-test-secret' };
const token = 'tok_3q2-7wEjRk6Yb1cM9xPz0A';

function client(baseUrl: string, options: Partial<TokenizerClientOptions> = {}) {
  const sleeps: number[] = [];
  const sdk = createTokenizerSdk({
    baseUrl,
    region: 'eu-west-1',
    credentials,
    timeoutMs: 500,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  const tokenizer = new TokenizerHttpClient(sdk);
  const payments = new ForwardedPaymentProcessor({ client: sdk, connection: 'payments' });
  return { tokenizer, payments, sleeps };
}

/** Signs the recorded request again with the same date: the signatures match if it was signed right. */
async function expectedAuthorization(request: RecordedRequest, host: string): Promise<string | undefined> {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: 'eu-west-1',
    credentials,
    sha256: Sha256,
  });
  const date = String(request.headers['x-amz-date']);
  const signingDate = new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  const [hostname, port] = host.split(':');
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname: hostname ?? '',
      port: Number(port),
      path: request.url,
      headers: {
        host,
        accept: 'application/json',
        ...(request.body ? { 'content-type': 'application/json' } : {}),
      },
      ...(request.body ? { body: request.body } : {}),
    }),
    { signingDate },
  );
  return signed.headers.authorization;
}

t.test('tokenize: one SigV4-signed POST of a card_number under the base path; its card facts', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({
    status: 201,
    body: { token, createdAt: '2026-01-01T00:00:00.000Z', card: { last4: '1111', brand: 'visa' } },
  });
  const { tokenizer } = client(`${server.url}/prod`);
  t.same(await tokenizer.tokenize('4111111111111111'), { token, card: { last4: '1111', brand: 'visa' } });

  const [request] = server.requests;
  t.equal(request?.method, 'POST');
  t.equal(request?.url, '/prod/v1/tokens', 'the stage path is kept');
  t.same(
    JSON.parse(request?.body ?? ''),
    { value: '4111111111111111', type: 'card_number' },
    'a card number: the tokenizer checks it and answers its last four and brand',
  );
  t.match(
    request?.headers.authorization,
    /^AWS4-HMAC-SHA256 Credential=AKIDORDERTEST\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
  );
  t.ok(request?.headers['x-amz-content-sha256'], 'the body hash is sent and signed');
  const host = String(request?.headers.host);
  t.equal(request?.headers.authorization, await expectedAuthorization(request as RecordedRequest, host));
});

t.test('tokenize ignores malformed card facts and refuses an answer without a token', async (t) => {
  const server = await startScriptedServer(t);
  server.answer(
    { status: 201, body: { token, createdAt: 'x', card: { last4: '11', brand: 'visa' } } },
    { status: 201, body: { token, createdAt: 'x', card: { last4: '1111', brand: 'Visa Electron' } } },
    { status: 201, body: { createdAt: 'x' } },
    { status: 201, body: 'not json' },
  );
  const { tokenizer } = client(server.url);
  t.same(await tokenizer.tokenize('4111111111111111'), { token });
  t.same(await tokenizer.tokenize('4111111111111111'), { token });
  await t.rejects(tokenizer.tokenize('4111111111111111'), { name: 'TokenizerRejectedError', status: 201 });
  await t.rejects(tokenizer.tokenize('4111111111111111'), { name: 'TokenizerRejectedError' });
});

t.test('tokenize is never retried: a second token could be left behind', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({ status: 503, headers: { 'retry-after': '1' } });
  const { tokenizer, sleeps } = client(server.url);
  await t.rejects(tokenizer.tokenize('4111111111111111'), {
    name: 'DependencyUnavailableError',
    dependency: 'tokenizer',
    retryAfterSeconds: 1,
  });
  t.equal(server.requests.length, 1);
  t.same(sleeps, []);
});

const charged = { status: 201, headers: {}, body: { id: 'ch_1', status: 'captured' } };
const chargeRequest = {
  idempotencyKey: 'charge-key-1',
  cardToken: token,
  amount: { minorUnits: 1000, currency: 'USD' },
};

t.test('a charge is one forward through the payments connection, the token at /card/number', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({ status: 200, body: charged });
  const { payments } = client(server.url);
  t.same(await payments.charge(chargeRequest), { chargeId: 'ch_1' });
  const [request] = server.requests;
  t.equal(request?.url, '/v1/connections/payments/forward');
  t.same(JSON.parse(request?.body ?? ''), {
    method: 'POST',
    path: '/v1/charges',
    headers: { 'idempotency-key': 'charge-key-1' },
    body: { amount: { value: 1000, currency: 'USD' }, card: { number: token } },
  });
  t.match(request?.headers.authorization, /^AWS4-HMAC-SHA256 /, 'signed');
});

t.test('a charge is retried on throttling and 5xx with full jitter, at most three attempts', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({ status: 503 }, { status: 429 }, { status: 200, body: charged });
  const { payments, sleeps } = client(server.url, { random: () => 0.5 });
  t.same(await payments.charge(chargeRequest), { chargeId: 'ch_1' });
  t.equal(server.requests.length, 3);
  t.same(sleeps, [50, 100], 'half of 100 ms, then half of 200 ms');
  t.same(
    new Set(server.requests.map((request) => JSON.parse(request.body).headers['idempotency-key'])),
    new Set(['charge-key-1']),
    'every attempt carries the same idempotency key: the processor charges once',
  );
  t.ok(
    server.requests.every((request) => String(request.headers.authorization).startsWith('AWS4-HMAC-SHA256')),
    'every attempt is signed',
  );

  server.answer({ status: 502 });
  const failing = client(server.url, { random: () => 1, backoffCapMs: 150 });
  await t.rejects(failing.payments.charge(chargeRequest), {
    name: 'DependencyUnavailableError',
    dependency: 'tokenizer',
  });
  t.equal(server.requests.length, 6, 'three more attempts, then it gives up');
  t.same(failing.sleeps, [100, 150], 'the backoff is capped');
});

t.test('a charge honours Retry-After up to a limit, and passes a longer one on', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({ status: 429, headers: { 'retry-after': '1' } }, { status: 200, body: charged });
  const { payments, sleeps } = client(server.url);
  t.same(await payments.charge(chargeRequest), { chargeId: 'ch_1' });
  t.same(sleeps, [1000]);

  server.answer({ status: 503, headers: { 'retry-after': '30' } });
  const patient = client(server.url);
  await t.rejects(patient.payments.charge(chargeRequest), {
    name: 'DependencyUnavailableError',
    retryAfterSeconds: 30,
  });
  t.same(patient.sleeps, [], 'no retry when asked to wait longer than the limit');
});

t.test('timeouts and refused connections are unavailability, retried for a keyed charge', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({ status: 200, body: charged, delayMs: 400 });
  const { payments } = client(server.url, { timeoutMs: 100 });
  await t.rejects(payments.charge(chargeRequest), {
    name: 'DependencyUnavailableError',
    dependency: 'tokenizer',
  });
  t.equal(server.requests.length, 3, 'every attempt timed out');

  const refused = client('http://127.0.0.1:9', { maxAttempts: 2 });
  await t.rejects(refused.payments.charge(chargeRequest), { name: 'DependencyUnavailableError' });
  t.equal(refused.sleeps.length, 1, 'retried once');
});

const problem = (type: string, status: number, more: Record<string, unknown> = {}): ScriptedAnswer => ({
  status,
  headers: { 'content-type': 'application/problem+json' },
  body: { type: `urn:tokenization:problem:${type}`, title: 'x', status, ...more },
});

t.test('what the processor and the tokenizer answer a charge becomes the order domain errors', async (t) => {
  const server = await startScriptedServer(t);
  const { payments } = client(server.url, { maxAttempts: 1 });
  const cases: [string, ScriptedAnswer, { name: string; [field: string]: unknown }][] = [
    [
      'a decline (402) is PaymentDeclinedError with the processor code',
      problem('destination-refused', 402, {
        destination: { status: 402, body: { error: { type: 'card_error', code: 'card_declined' } } },
      }),
      { name: 'PaymentDeclinedError', reason: 'card_declined' },
    ],
    [
      'a card_error of another status is a decline too, its code kept only when it is a word',
      problem('destination-refused', 400, {
        destination: { status: 400, body: { error: { type: 'card_error', code: 'Not A Code 4111' } } },
      }),
      { name: 'PaymentDeclinedError', reason: 'declined' },
    ],
    [
      'the processor refusing the request itself (its key) is PaymentRejectedError',
      problem('destination-refused', 424, { destination: { status: 401, body: {} } }),
      { name: 'PaymentRejectedError', status: 401 },
    ],
    [
      'the processor down is the payment processor unavailable, with the Retry-After',
      {
        ...problem('destination-failed', 503),
        headers: { 'content-type': 'application/problem+json', 'retry-after': '2' },
      },
      { name: 'DependencyUnavailableError', dependency: 'payment-processor', retryAfterSeconds: 2 },
    ],
    [
      'a token the tokenizer cannot use is CardTokenUnusableError',
      problem('token-unusable', 422, { errors: [{ field: '/body/body/card/number', message: 'x' }] }),
      { name: 'CardTokenUnusableError' },
    ],
    [
      'a forbidden forward is TokenizerRejectedError',
      problem('forbidden', 403),
      { name: 'TokenizerRejectedError', status: 403 },
    ],
    [
      'an answer that is not a captured charge is PaymentRejectedError',
      { status: 200, body: { status: 201, headers: {}, body: { id: 'ch_1', status: 'pending' } } },
      { name: 'PaymentRejectedError', status: 0 },
    ],
  ];
  for (const [what, answer, expected] of cases) {
    server.answer(answer);
    await t.rejects(payments.charge(chargeRequest), expected, what);
  }
});

t.test('verify: match or no match, compared by the tokenizer; sent once; locked is no match', async (t) => {
  const server = await startScriptedServer(t);
  const { tokenizer } = client(server.url);
  server.answer({ status: 200, body: { match: true } }, { status: 200, body: { match: false } });
  t.equal(await tokenizer.verify(token, '4111111111111111'), true);
  t.equal(await tokenizer.verify(token, '4111111111111111'), false);
  t.equal(server.requests[0]?.url, `/v1/tokens/${token}/verify`);
  t.same(JSON.parse(server.requests[0]?.body ?? ''), { value: '4111111111111111' });

  server.answer(problem('verify-locked', 423));
  t.equal(await tokenizer.verify(token, '4111111111111111'), false, 'locked: the card is not shown the same');
  server.answer(problem('token-not-found', 404));
  await t.rejects(tokenizer.verify(token, '4111111111111111'), {
    name: 'CardTokenUnusableError',
    code: 'not_found',
  });
  server.answer({ status: 503 });
  const sent = server.requests.length;
  await t.rejects(tokenizer.verify(token, '4111111111111111'), { name: 'DependencyUnavailableError' });
  t.equal(server.requests.length, sent + 1, 'not retried: a mismatch must never count twice');
  server.answer(problem('forbidden', 403));
  await t.rejects(tokenizer.verify(token, '4111111111111111'), {
    name: 'TokenizerRejectedError',
    status: 403,
    message: 'the tokenizer answered 403 (urn:tokenization:problem:forbidden)',
  });
});

t.test(
  "the tokenizer refusing this service's tenant: the tokenizer unavailable, on every call",
  async (t) => {
    const server = await startScriptedServer(t);
    const { tokenizer, payments } = client(server.url, { maxAttempts: 1 });
    const calls = {
      tokenize: () => tokenizer.tokenize('4111111111111111'),
      verify: () => tokenizer.verify(token, '4111111111111111'),
      deleteToken: () => tokenizer.deleteToken(token),
      charge: () => payments.charge(chargeRequest),
    };
    for (const [slug, status] of [
      ['tenant-not-onboarded', 403],
      ['tenant-suspended', 403],
      ['tenant-shredded', 410],
    ] as const) {
      for (const [name, call] of Object.entries(calls)) {
        server.answer(problem(slug, status));
        const error = await call().catch((error: unknown) => error);
        t.match(error, { name: 'DependencyUnavailableError', dependency: 'tokenizer' }, `${slug}: ${name}`);
        t.match((error as Error).cause, { type: `urn:tokenization:problem:${slug}` }, 'the cause names why');
      }
    }
  },
);

t.test('deleteToken: 204 and 404 (already gone) both succeed', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({ status: 204 }, { status: 404 }, { status: 400 });
  const { tokenizer } = client(server.url);
  await tokenizer.deleteToken(token);
  await tokenizer.deleteToken(token);
  await t.rejects(tokenizer.deleteToken(token), { name: 'TokenizerRejectedError' });
  t.same(
    server.requests.map((request) => [request.method, request.url]),
    [
      ['DELETE', `/v1/tokens/${token}`],
      ['DELETE', `/v1/tokens/${token}`],
      ['DELETE', `/v1/tokens/${token}`],
    ],
  );
});

t.test('credentials come from a provider, asked per request (rotation)', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({ status: 204 });
  let asked = 0;
  const { tokenizer } = client(server.url, {
    credentials: async () => {
      asked++;
      return { accessKeyId: `AKIDROTATED${asked}`, secretAccessKey: 's', sessionToken: 'session' };
    },
  });
  await tokenizer.deleteToken(token);
  await tokenizer.deleteToken(token);
  t.equal(asked, 2);
  t.match(server.requests[1]?.headers.authorization, /Credential=AKIDROTATED2\//);
  t.equal(server.requests[1]?.headers['x-amz-security-token'], 'session', 'the session token is sent');
});
