import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import t from 'tap';
import { type TokenizerClientOptions, TokenizerHttpClient } from '../src/adapters/tokenizer-client.js';
import { type RecordedRequest, startScriptedServer } from './helpers/scripted-server.js';

const credentials = { accessKeyId: 'AKIDORDERTEST', secretAccessKey: 'order-test-secret' };
const token = 'tok_3q2-7wEjRk6Yb1cM9xPz0A';

function client(baseUrl: string, options: Partial<TokenizerClientOptions> = {}) {
  const sleeps: number[] = [];
  const tokenizer = new TokenizerHttpClient({
    baseUrl,
    region: 'eu-west-1',
    credentials,
    timeoutMs: 500,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  return { tokenizer, sleeps };
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

t.test('detokenize retries throttling and 5xx with full jitter, at most three attempts', async (t) => {
  const server = await startScriptedServer(t);
  server.answer(
    { status: 503 },
    { status: 429 },
    { status: 200, body: { results: [{ token, value: '4111' }] } },
  );
  const { tokenizer, sleeps } = client(server.url, { random: () => 0.5 });
  t.equal(await tokenizer.detokenize(token), '4111');
  t.equal(server.requests.length, 3);
  t.same(sleeps, [50, 100], 'half of 100 ms, then half of 200 ms');
  t.same(JSON.parse(server.requests[0]?.body ?? ''), { tokens: [token] });
  t.ok(
    server.requests.every((request) => String(request.headers.authorization).startsWith('AWS4-HMAC-SHA256')),
    'every attempt is signed',
  );

  server.answer({ status: 502 });
  const failing = client(server.url, { random: () => 1, backoffCapMs: 150 });
  await t.rejects(failing.tokenizer.detokenize(token), { name: 'DependencyUnavailableError' });
  t.equal(server.requests.length, 6, 'three more attempts, then it gives up');
  t.same(failing.sleeps, [100, 150], 'the backoff is capped');
});

t.test('detokenize honours Retry-After up to a limit, and passes a longer one on', async (t) => {
  const server = await startScriptedServer(t);
  server.answer(
    { status: 429, headers: { 'retry-after': '1' } },
    { status: 200, body: { results: [{ token, value: 'v' }] } },
  );
  const { tokenizer, sleeps } = client(server.url);
  t.equal(await tokenizer.detokenize(token), 'v');
  t.same(sleeps, [1000]);

  server.answer({ status: 503, headers: { 'retry-after': '30' } });
  const patient = client(server.url);
  await t.rejects(patient.tokenizer.detokenize(token), {
    name: 'DependencyUnavailableError',
    retryAfterSeconds: 30,
  });
  t.same(patient.sleeps, [], 'no retry when asked to wait longer than the limit');
});

t.test('timeouts and refused connections are unavailability, retried for idempotent calls', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({ status: 200, body: { results: [{ token, value: 'v' }] }, delayMs: 400 });
  const { tokenizer } = client(server.url, { timeoutMs: 100 });
  await t.rejects(tokenizer.detokenize(token), {
    name: 'DependencyUnavailableError',
    dependency: 'tokenizer',
  });
  t.equal(server.requests.length, 3, 'every attempt timed out');

  const refused = client('http://127.0.0.1:9', { maxAttempts: 2 });
  await t.rejects(refused.tokenizer.detokenize(token), { name: 'DependencyUnavailableError' });
  t.equal(refused.sleeps.length, 1, 'retried once');
});

t.test(
  'a 4xx is a fault of this service: no retry, a TokenizerRejectedError naming the problem',
  async (t) => {
    const server = await startScriptedServer(t);
    server.answer({ status: 403, body: { type: 'urn:tokenization:problem:forbidden', title: 'Forbidden' } });
    const { tokenizer } = client(server.url);
    await t.rejects(tokenizer.detokenize(token), {
      name: 'TokenizerRejectedError',
      status: 403,
      message: 'the tokenizer answered 403 (urn:tokenization:problem:forbidden)',
    });
    t.equal(server.requests.length, 1);
  },
);

t.test('detokenize: a token the tokenizer does not reveal is CardTokenUnusableError', async (t) => {
  const server = await startScriptedServer(t);
  server.answer(
    { status: 200, body: { results: [{ token, error: { code: 'not_found', message: 'No such token.' } }] } },
    { status: 200, body: { results: [] } },
  );
  const { tokenizer } = client(server.url);
  await t.rejects(tokenizer.detokenize(token), { name: 'CardTokenUnusableError', code: 'not_found' });
  await t.rejects(tokenizer.detokenize(token), { name: 'CardTokenUnusableError', code: 'no_result' });
});

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
