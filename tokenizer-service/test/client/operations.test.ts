// Every operation against the real tokenizer app (real SigV4 verification, DynamoDB Local, the local KMS
// stand-in), and the typed errors it answers for a wrong key, a missing permission and invalid fields.

import {
  TokenizerForbiddenError,
  TokenizerUnauthorizedError,
  TokenizerValidationError,
  TokenNotFoundError,
} from '@tokenization/tokenizer-client';
import t from 'tap';
import { startLiveTokenizer } from '../helpers/live-tokenizer.js';
import { allPermissions, assertNoCardNumberLogged, policyFor, testCaller } from '../helpers/test-stack.js';

const card = '4111111111111111';

t.test('each operation round-trips through the real tokenizer', async (t) => {
  const live = await startLiveTokenizer(t);
  const client = live.client();

  const tokenized = await client.tokenize({ value: card, type: 'card_number' });
  t.match(tokenized, {
    token: /^tok_/,
    type: 'card_number',
    format: 'random',
    card: { last4: '1111', brand: 'visa' },
  });
  t.match(await client.getTokenMetadata(tokenized.token), {
    token: tokenized.token,
    status: 'active',
    card: { last4: '1111', brand: 'visa' },
  });
  t.same(await client.detokenize({ tokens: [tokenized.token] }), {
    results: [{ token: tokenized.token, value: card }],
  });
  t.same(await client.detokenize({ tokens: [tokenized.token], reveal: 'masked' }), {
    results: [{ token: tokenized.token, value: '************1111' }],
  });

  const batch = await client.tokenizeBatch({
    items: [{ value: 'first' }, { value: 'x', type: 'card_number' }],
  });
  t.match(batch.results, [{ token: /^tok_/ }, { error: { code: 'invalid_value' } }], 'one result per item');

  const once = await client.tokenize({ value: 'same', deterministic: true });
  t.equal((await client.tokenize({ value: 'same', deterministic: true })).token, once.token, 'deterministic');

  await client.deleteToken(tokenized.token);
  await t.rejects(client.getTokenMetadata(tokenized.token), TokenNotFoundError, 'deleted');
  await t.rejects(client.deleteToken(tokenized.token), TokenNotFoundError, 'already gone');
  t.match(await client.detokenize({ tokens: [tokenized.token] }), {
    results: [{ token: tokenized.token, error: { code: 'not_found' } }],
  });

  t.same(await client.live(), { status: 'ok' });
  t.match(await client.ready(), { status: 'ok' });
});

t.test('a wrong secret is a TokenizerUnauthorizedError, not retried', async (t) => {
  const live = await startLiveTokenizer(t);
  let attempts = 0;
  const client = live.client({
    credentials: { accessKeyId: testCaller.credentials.accessKeyId, secretAccessKey: 'not-the-secret' },
    fetch: (input, init) => {
      attempts++;
      return fetch(input, init);
    },
  });
  const error = await client.tokenize({ value: card, type: 'card_number' }).catch((error: unknown) => error);
  t.ok(error instanceof TokenizerUnauthorizedError);
  t.match(error, { status: 401, kind: 'unauthorized', type: 'urn:tokenization:problem:unauthenticated' });
  t.equal(attempts, 1);
});

t.test('a missing permission is a TokenizerForbiddenError', async (t) => {
  const live = await startLiveTokenizer(t, {
    policy: policyFor([{ caller: testCaller, tenant: 'default', permissions: ['tokenize'] }]),
  });
  const client = live.client();
  const { token } = await client.tokenize({ value: 'a value' });
  const error = await client.detokenize({ tokens: [token] }).catch((error: unknown) => error);
  t.ok(error instanceof TokenizerForbiddenError);
  t.match(error, { status: 403, kind: 'forbidden', type: 'urn:tokenization:problem:forbidden' });
});

t.test('a validation error names the invalid fields, never the value', async (t) => {
  const live = await startLiveTokenizer(t, {
    policy: policyFor([{ caller: testCaller, tenant: 'default', permissions: allPermissions }]),
  });
  const client = live.client();

  const options = await client
    .tokenize({ value: card, type: 'card_number', ttlSeconds: 0 })
    .catch((error: unknown) => error);
  t.ok(options instanceof TokenizerValidationError);
  t.same((options as TokenizerValidationError).fields, ['/body/ttlSeconds']);
  t.match((options as Error).message, '/body/ttlSeconds');

  const item = await client
    .tokenizeBatch({ items: [{ value: 'fine' }, { value: '' }] })
    .catch((error: unknown) => error);
  t.same((item as TokenizerValidationError).fields, ['/body/items/1/value']);

  const luhn = await client
    .tokenize({ value: '4111111111111112', type: 'card_number' })
    .catch((e: unknown) => e);
  t.ok(luhn instanceof TokenizerValidationError);
  t.same((luhn as TokenizerValidationError).fields, ['/body/value']);
  for (const error of [options, item, luhn]) {
    t.notMatch(String(error), /4111111111111112|4111111111111111/, 'the value is not in the message');
  }
});

t.test('credentials from a provider are asked for at every request (rotation)', async (t) => {
  const live = await startLiveTokenizer(t);
  let asked = 0;
  const client = live.client({
    credentials: async () => {
      asked++;
      return testCaller.credentials;
    },
  });
  await client.live();
  await client.live();
  t.equal(asked, 2);
});

assertNoCardNumberLogged(t);
