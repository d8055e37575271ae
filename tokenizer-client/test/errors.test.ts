// Problem details as typed errors, and what an error may say: against a scripted tokenizer, which can
// answer what a real one never would (a value echoed in a problem, a body that is not JSON).
import t from 'tap';
import {
  TenantNotOnboardedError,
  TenantShreddedError,
  TenantSuspendedError,
  TokenizerClient,
  TokenizerConflictError,
  TokenizerError,
  TokenizerForbiddenError,
  TokenizerProblemError,
  TokenizerRateLimitError,
  TokenizerResponseError,
  TokenizerUnauthorizedError,
  TokenizerUnavailableError,
  TokenizerValidationError,
  TokenNotFoundError,
} from '../src/index.js';
import { scriptedClient } from './helpers/scripted-client.js';
import { startScriptedServer } from './helpers/scripted-server.js';

const token = 'tok_3q2-7wEjRk6Yb1cM9xPz0A';
const card = '4111111111111111';
const problem = (slug: string, status: number, extra: object = {}) => ({
  type: `urn:tokenization:problem:${slug}`,
  title: 'A title',
  status,
  detail: 'A detail.',
  ...extra,
});

t.test('each problem the contract documents becomes its typed error', async (t) => {
  const server = await startScriptedServer(t);
  const { client } = scriptedClient(server.url, { maxRetries: 0 });
  const cases = [
    [400, 'validation', TokenizerValidationError, 'validation'],
    [401, 'unauthenticated', TokenizerUnauthorizedError, 'unauthorized'],
    [403, 'forbidden', TokenizerForbiddenError, 'forbidden'],
    [403, 'tenant-not-onboarded', TenantNotOnboardedError, 'tenant-not-onboarded'],
    [403, 'tenant-suspended', TenantSuspendedError, 'tenant-suspended'],
    [410, 'tenant-shredded', TenantShreddedError, 'tenant-shredded'],
    [404, 'token-not-found', TokenNotFoundError, 'not-found'],
    [409, 'token-space-exhausted', TokenizerConflictError, 'conflict'],
    [413, 'payload-too-large', TokenizerProblemError, 'payload-too-large'],
    [415, 'unsupported-media-type', TokenizerProblemError, 'unsupported-media-type'],
    [429, 'deterministic-rate-limit', TokenizerRateLimitError, 'rate-limited'],
    [500, 'integrity-error', TokenizerProblemError, 'server-error'],
    [503, 'dependency-unavailable', TokenizerUnavailableError, 'unavailable'],
  ] as const;
  for (const [status, slug, type, kind] of cases) {
    server.answer({ status, headers: { 'retry-after': '9' }, body: problem(slug, status) });
    const error = await client.tokenize({ value: 'v' }).catch((error: unknown) => error);
    t.ok(error instanceof type && error instanceof TokenizerError, `${status}: ${type.name}`);
    t.match(error, {
      kind,
      status,
      type: `urn:tokenization:problem:${slug}`,
      problem: { detail: 'A detail.' },
      message: `the tokenizer answered ${status} (urn:tokenization:problem:${slug})`,
    });
    if (status === 429 || status === 503) t.equal((error as TokenizerProblemError).retryAfterSeconds, 9);
  }
});

t.test('a 400 names the invalid fields', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({
    status: 400,
    body: problem('validation', 400, {
      errors: [
        { field: '/body/items/3/value', message: 'must NOT have fewer than 1 characters' },
        { field: '/body/ttlSeconds', message: 'must be >= 1' },
      ],
    }),
  });
  const { client } = scriptedClient(server.url);
  const error = (await client
    .tokenize({ value: 'v' })
    .catch((error: unknown) => error)) as TokenizerValidationError;
  t.same(error.fields, ['/body/items/3/value', '/body/ttlSeconds']);
  t.equal(
    error.message,
    'the tokenizer answered 400 (urn:tokenization:problem:validation): invalid /body/items/3/value, /body/ttlSeconds',
  );
});

t.test('an error message never holds a submitted value, even one a faulty server echoes', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({
    status: 400,
    body: {
      type: `urn:tokenization:problem:${card}`,
      title: card,
      status: 400,
      detail: `The value ${card} is wrong.`,
      errors: [
        { field: `/body/${card}`, message: card },
        { field: '/body/value', message: 'fails the Luhn check' },
      ],
    },
  });
  const { client } = scriptedClient(server.url);
  const error = (await client
    .tokenize({ value: card, type: 'card_number' })
    .catch((error: unknown) => error)) as TokenizerValidationError;
  t.ok(error instanceof TokenizerValidationError);
  t.notMatch(error.message, card);
  t.notMatch(String(error), card);
  t.match(error.message, '/body/value', 'the safe field name is kept');
  t.notOk(error.cause, 'no cause to leak through');
});

t.test('a success body that is not JSON: TokenizerResponseError, without the body', async (t) => {
  const server = await startScriptedServer(t);
  // A reveal cut short: JSON.parse's own error would quote it.
  server.answer({ status: 200, raw: true, body: `{"results":[{"token":"${token}","value":"${card}"` });
  const { client } = scriptedClient(server.url);
  const error = await client.detokenize({ tokens: [token] }).catch((error: unknown) => error);
  t.ok(error instanceof TokenizerResponseError);
  t.match(error, { kind: 'invalid-response', status: 200 });
  t.notMatch(String(error), card);
  t.equal((error as Error).cause, undefined, 'the SyntaxError, which quotes the body, is not kept');
});

t.test('a redirect is not followed: the signed request is for the endpoint only', async (t) => {
  const elsewhere = await startScriptedServer(t);
  const server = await startScriptedServer(t);
  server.answer({ status: 307, headers: { location: `${elsewhere.url}/v1/tokens` } });
  const { client } = scriptedClient(server.url);
  await t.rejects(client.tokenize({ value: 'v' }), { name: 'TokenizerResponseError', status: 307 });
  t.equal(elsewhere.requests.length, 0);
});

t.test('a documented success without its body is TokenizerResponseError', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({ status: 201 });
  const { client } = scriptedClient(server.url);
  await t.rejects(client.tokenize({ value: 'v' }), { name: 'TokenizerResponseError', status: 201 });
});

t.test('options are checked when the client is made, naming the option', async (t) => {
  const valid = { endpoint: 'https://api.example/prod', region: 'eu-west-1' };
  t.throws(() => new TokenizerClient({ ...valid, endpoint: 'api.example/prod' }), /`endpoint`/);
  t.throws(() => new TokenizerClient({ ...valid, endpoint: 'ftp://api.example' }), /`endpoint`/);
  t.throws(
    () => new TokenizerClient({ ...valid, endpoint: 'https://api.example/prod?stage=1' }),
    /`endpoint`/,
  );
  t.throws(() => new TokenizerClient({ ...valid, region: '' }), /`region`/);
  t.throws(() => new TokenizerClient({ ...valid, timeoutMs: 0 }), /`timeoutMs`/);
  t.throws(() => new TokenizerClient({ ...valid, maxRetries: -1 }), /`maxRetries`/);
  t.doesNotThrow(
    () => new TokenizerClient({ ...valid, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
  );
});
