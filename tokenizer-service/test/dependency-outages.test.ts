import { freePort } from '@tokenization/local-aws/dynamodb-local';
import t from 'tap';
import { assertNoCardNumberLogged, createTestStack, testCardNumbers } from './helpers/test-stack.js';

const [card] = testCardNumbers;

t.test('the vault store down: 503 with Retry-After, quickly, without internals', async (t) => {
  const closedPort = await freePort();
  const { inject } = await createTestStack(t, {
    env: { DYNAMODB_ENDPOINT: `http://127.0.0.1:${closedPort}`, RETRY_AFTER_SECONDS: '7' },
  });
  const started = Date.now();
  for (const request of [
    { method: 'POST', url: '/v1/tokens', payload: { value: card } },
    { method: 'POST', url: '/v1/tokens/batch', payload: { items: [{ value: card }] } },
    { method: 'POST', url: '/v1/detokenize', payload: { tokens: ['tok_AAAAAAAAAAAAAAAAAAAAAA'] } },
    { method: 'GET', url: '/v1/tokens/tok_AAAAAAAAAAAAAAAAAAAAAA' },
    { method: 'DELETE', url: '/v1/tokens/tok_AAAAAAAAAAAAAAAAAAAAAA' },
    { method: 'GET', url: '/health/ready' },
  ] as const) {
    const response = await inject(request);
    t.equal(response.statusCode, 503, `${request.method} ${request.url}`);
    t.equal(response.headers['retry-after'], '7');
    t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.equal(response.json().detail, 'The vault store is unavailable; retry later.');
    t.notMatch(response.body, /ECONNREFUSED|127\.0\.0\.1|stack/i, 'no internals');
  }
  t.ok(Date.now() - started < 30_000, 'no request hangs');
});

t.test('KMS failing or throttling: 503, and the service recovers with it', async (t) => {
  const { inject, kms } = await createTestStack(t);
  for (const mode of ['fail', 'throttle'] as const) {
    kms.setFault({ mode });
    const response = await inject({ method: 'POST', url: '/v1/tokens', payload: { value: card } });
    t.equal(response.statusCode, 503, mode);
    t.equal(response.json().detail, 'The key service is unavailable; retry later.');
    t.equal(response.headers['retry-after'], '1');
  }
  kms.setFault({ mode: 'none' });
  const created = await inject({ method: 'POST', url: '/v1/tokens', payload: { value: card } });
  t.equal(created.statusCode, 201, 'recovered');
  const { token } = created.json();
  const revealed = await inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [token] } });
  t.equal(revealed.json().results[0].value, card);
});

t.test('at steady state 1,000 tokenizations make at most one KMS data-key call', async (t) => {
  const { inject, kms } = await createTestStack(t);
  for (let i = 0; i < 10; i++) {
    const response = await inject({
      method: 'POST',
      url: '/v1/tokens/batch',
      payload: { items: Array.from({ length: 100 }, (_, n) => ({ value: `${card}-${i}-${n}` })) },
    });
    t.equal(response.statusCode, 200);
  }
  t.ok((kms.stats().GenerateDataKey ?? 0) <= 1, `GenerateDataKey calls: ${kms.stats().GenerateDataKey}`);
});

assertNoCardNumberLogged(t);
