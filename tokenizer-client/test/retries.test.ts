// Which failures are retried, for which operations, and how long the client waits: against a scripted
// tokenizer on loopback (503s, 429s, lost answers and refused connections on demand).
import t from 'tap';
import {
  TokenizerConnectionError,
  TokenizerProblemError,
  TokenizerRateLimitError,
  TokenizerUnavailableError,
  TokenizerValidationError,
} from '../src/index.js';
import { scriptedClient } from './helpers/scripted-client.js';
import { refusingUrl, startScriptedServer } from './helpers/scripted-server.js';

const token = 'tok_3q2-7wEjRk6Yb1cM9xPz0A';
const tokenized = {
  token,
  createdAt: '2026-01-01T00:00:00.000Z',
  type: 'generic',
  format: 'random',
  deterministic: false,
};
const metadata = { ...tokenized, status: 'active', metadata: {} };
const unavailable = (retryAfter: string) => ({
  status: 503,
  headers: { 'retry-after': retryAfter },
  body: {
    type: 'urn:tokenization:problem:dependency-unavailable',
    title: 'Service Unavailable',
    status: 503,
  },
});

t.test('503 with Retry-After: a read waits as asked and retries; tokenize is sent once', async (t) => {
  const server = await startScriptedServer(t);
  server.answer(unavailable('1'), unavailable('2'), { status: 200, body: metadata });
  const reader = scriptedClient(server.url);
  t.same(await reader.client.getTokenMetadata(token), metadata);
  t.equal(server.requests.length, 3, 'two retries, then the answer');
  t.same(reader.sleeps, [1000, 2000], 'waited as Retry-After said');

  server.requests.length = 0;
  server.answer(unavailable('1'));
  const writer = scriptedClient(server.url);
  const error = await writer.client.tokenize({ value: 'a value' }).catch((error: unknown) => error);
  t.ok(error instanceof TokenizerUnavailableError);
  t.equal((error as TokenizerUnavailableError).retryAfterSeconds, 1, 'the delay is passed on');
  t.equal(server.requests.length, 1, 'a lost answer may hide a token: tokenize is not sent again');
  t.same(writer.sleeps, []);
});

t.test('a Retry-After above the cap ends the retries, and its delay is passed on', async (t) => {
  const server = await startScriptedServer(t);
  server.answer(unavailable('30'));
  const { client, sleeps } = scriptedClient(server.url);
  await t.rejects(client.live(), { name: 'TokenizerUnavailableError', retryAfterSeconds: 30 });
  t.equal(server.requests.length, 1);
  t.same(sleeps, []);
});

t.test('tokenize is retried when it cannot have arrived, and when it is deterministic', async (t) => {
  const refused = scriptedClient(await refusingUrl());
  const error = await refused.client.tokenize({ value: 'a value' }).catch((error: unknown) => error);
  t.ok(error instanceof TokenizerConnectionError);
  t.equal((error as TokenizerConnectionError).connected, false, 'no connection was made');
  t.equal(refused.attempts.count, 3, 'refused connections are retried: the tokenizer never saw them');

  const server = await startScriptedServer(t);
  server.answer(unavailable('1'), { status: 201, body: { ...tokenized, deterministic: true } });
  const deterministic = scriptedClient(server.url);
  const result = await deterministic.client.tokenize({ value: 'a value', deterministic: true });
  t.equal(result.token, token);
  t.equal(server.requests.length, 2, 'the same value answers the same token: a retry is safe');

  server.requests.length = 0;
  server.answer(unavailable('1'), {
    status: 200,
    body: { results: [tokenized, tokenized] },
  });
  const batch = scriptedClient(server.url);
  await batch.client.tokenizeBatch({
    items: [
      { value: 'a', deterministic: true },
      { value: 'b', deterministic: true },
    ],
  });
  t.equal(server.requests.length, 2, 'a batch of deterministic items only is retried');

  server.requests.length = 0;
  server.answer(unavailable('1'));
  const mixed = scriptedClient(server.url);
  await t.rejects(
    mixed.client.tokenizeBatch({ items: [{ value: 'a', deterministic: true }, { value: 'b' }] }),
    TokenizerUnavailableError,
  );
  t.equal(server.requests.length, 1, 'one random item is enough not to retry');
});

t.test('a lost answer: a read is retried, a tokenize is not', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({ drop: true });
  const writer = scriptedClient(server.url);
  const error = await writer.client.tokenize({ value: 'a value' }).catch((error: unknown) => error);
  t.ok(error instanceof TokenizerConnectionError);
  t.equal((error as TokenizerConnectionError).connected, true, 'the request may have been processed');
  t.equal(server.requests.length, 1);

  server.requests.length = 0;
  server.answer({ drop: true }, { status: 200, body: metadata });
  const reader = scriptedClient(server.url);
  t.same(await reader.client.getTokenMetadata(token), metadata);
  t.equal(server.requests.length, 2);
});

t.test('detokenize: a full reveal is retried only when declared idempotent; a masked one is', async (t) => {
  const server = await startScriptedServer(t);
  const revealed = { status: 200, body: { results: [{ token, value: 'v' }] } };

  server.answer(unavailable('1'));
  const full = scriptedClient(server.url);
  await t.rejects(full.client.detokenize({ tokens: [token] }), TokenizerUnavailableError);
  t.equal(server.requests.length, 1, 'a retry could spend a second use of a limited-use token');

  server.requests.length = 0;
  server.answer(unavailable('1'), revealed);
  const masked = scriptedClient(server.url);
  await masked.client.detokenize({ tokens: [token], reveal: 'masked' });
  t.equal(server.requests.length, 2, 'a masked reveal spends no use');

  server.requests.length = 0;
  server.answer(unavailable('1'), revealed);
  const declared = scriptedClient(server.url);
  t.same(await declared.client.detokenize({ tokens: [token] }, { idempotent: true }), revealed.body);
  t.equal(server.requests.length, 2, 'the caller states that its tokens have no use limit');
});

t.test('429 is retried for every operation: the tokenizer did nothing', async (t) => {
  const server = await startScriptedServer(t);
  server.answer(
    {
      status: 429,
      headers: { 'retry-after': '1' },
      body: {
        type: 'urn:tokenization:problem:deterministic-rate-limit',
        title: 'Too Many Requests',
        status: 429,
      },
    },
    { status: 201, body: tokenized },
  );
  const { client, sleeps } = scriptedClient(server.url);
  t.equal((await client.tokenize({ value: 'a value' })).token, token);
  t.equal(server.requests.length, 2);
  t.same(sleeps, [1000]);

  server.answer({ status: 429, headers: { 'retry-after': '1' } });
  const throttled = scriptedClient(server.url);
  const error = await throttled.client.tokenize({ value: 'a value' }).catch((error: unknown) => error);
  t.ok(error instanceof TokenizerRateLimitError, 'after the last retry, the typed 429');
  t.equal((error as TokenizerRateLimitError).retryAfterSeconds, 1);
});

t.test('backoff without Retry-After: full jitter, capped, at most maxRetries retries', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({ status: 502 });
  const halves = scriptedClient(server.url, { backoff: { random: () => 0.5 } });
  await t.rejects(halves.client.live(), { name: 'TokenizerProblemError', status: 502 });
  t.same(halves.sleeps, [50, 100], 'half of 100 ms, then half of 200 ms');
  t.equal(server.requests.length, 3, 'the first attempt and 2 retries by default');

  server.requests.length = 0;
  const capped = scriptedClient(server.url, {
    maxRetries: 4,
    backoff: { random: () => 1, baseMs: 100, capMs: 300 },
  });
  await t.rejects(capped.client.live(), { name: 'TokenizerProblemError', status: 502 });
  t.same(capped.sleeps, [100, 200, 300, 300], 'doubling, up to the cap');
  t.equal(server.requests.length, 5);

  server.requests.length = 0;
  const once = scriptedClient(server.url, { maxRetries: 0 });
  await t.rejects(once.client.live(), { name: 'TokenizerProblemError', status: 502 });
  t.equal(server.requests.length, 1, 'maxRetries 0: one attempt');
});

t.test('client errors and 500 are final, for reads too', async (t) => {
  const server = await startScriptedServer(t);
  for (const status of [400, 401, 403, 404, 500]) {
    server.requests.length = 0;
    server.answer({ status });
    const { client, sleeps } = scriptedClient(server.url);
    const error = await client.getTokenMetadata(token).catch((error: unknown) => error);
    t.ok(error instanceof TokenizerProblemError, `${status}: typed`);
    t.equal((error as TokenizerProblemError).status, status);
    t.equal(server.requests.length, 1, `${status}: sent once`);
    t.same(sleeps, []);
  }
  server.answer({
    status: 400,
    body: { type: 'urn:tokenization:problem:validation', title: 'Bad Request', status: 400 },
  });
  await t.rejects(scriptedClient(server.url).client.tokenize({ value: 'v' }), TokenizerValidationError);
});
