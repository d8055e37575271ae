import { createServer } from 'node:net';
import t from 'tap';
import {
  assertNoCardNumberLogged,
  createOrderStack,
  holdsNoCardNumber,
  sampleOrder,
} from './helpers/order-stack.js';

/** A loopback URL where nothing listens. */
async function deadTokenizerUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

t.test('tokenizer unreachable: POST /order answers 503 with Retry-After and writes nothing', async (t) => {
  const stack = await createOrderStack(t, {
    env: { TOKENIZER_API_URL: await deadTokenizerUrl(), RETRY_AFTER_SECONDS: '7' },
  });
  const alice = stack.idProvider.idToken('alice-sub');
  const response = await stack.request('POST', '/order', { token: alice, body: sampleOrder() });
  t.equal(response.status, 503);
  t.equal(response.headers.get('retry-after'), '7');
  t.match(response.json(), {
    type: 'urn:tokenization:problem:dependency-unavailable',
    detail: 'The tokenizer is unavailable; nothing was written. Retry later.',
  });
  t.ok(holdsNoCardNumber(response.text));
  t.same(await stack.orderItems(), [], 'no order, and the reservation was released');
});

t.test('tokenizer answering 503 (its KMS is down): the client gets 503, no order is written', async (t) => {
  const stack = await createOrderStack(t);
  stack.tokenizer.kms.setFault({ mode: 'fail' });
  const alice = stack.idProvider.idToken('alice-sub');
  const response = await stack.request('POST', '/order', { token: alice, body: sampleOrder() });
  t.equal(response.status, 503);
  t.ok(Number(response.headers.get('retry-after')) >= 1, 'Retry-After');
  t.same(await stack.orderItems(), []);

  stack.tokenizer.kms.setFault({ mode: 'none' });
  const retried = await stack.request('POST', '/order', { token: alice, body: sampleOrder() });
  t.equal(retried.status, 200, 'once the tokenizer is back, the same request succeeds');
});

t.test('tokenizer down while paying: 503, nothing charged, the order stays payable', async (t) => {
  const working = await createOrderStack(t);
  const cutOff = await createOrderStack(t, {
    shareWith: working,
    env: { TOKENIZER_API_URL: await deadTokenizerUrl() },
  });
  const alice = working.idProvider.idToken('alice-sub');
  await working.request('POST', '/order', { token: alice, body: sampleOrder() });

  const response = await cutOff.request('POST', '/paybill', {
    token: alice,
    body: { CustomerOrder: '123456789' },
  });
  t.equal(response.status, 503);
  t.ok(response.headers.get('retry-after'));
  t.same(working.processor.ledger(), [], 'nothing was charged');
  t.match((await working.orderItems())[0], { status: { S: 'CREATED' } });
  t.match(
    (await cutOff.request('GET', '/order/123456789', { token: alice })).json(),
    { Status: 'CREATED' },
    'reads need no tokenizer',
  );

  const paid = await working.request('POST', '/paybill', {
    token: alice,
    body: { CustomerOrder: '123456789' },
  });
  t.equal(paid.status, 200);
});

t.test('order table unreachable: 503, nothing tokenized', async (t) => {
  const stack = await createOrderStack(t, {
    env: { DYNAMODB_ENDPOINT: await deadTokenizerUrl(), DEPENDENCY_TIMEOUT_MS: '500' },
  });
  const alice = stack.idProvider.idToken('alice-sub');
  const response = await stack.request('POST', '/order', { token: alice, body: sampleOrder() });
  t.equal(response.status, 503);
  t.equal(response.json().detail, 'The order store is unavailable; nothing was written. Retry later.');
  t.equal(await stack.vaultTokenCount(), 0);
  const ready = await stack.request('GET', '/health/ready');
  t.equal(ready.status, 503, 'not ready');
});

t.test('identity provider keys unreachable: 503, not 401', async (t) => {
  const stack = await createOrderStack(t);
  stack.idProvider.failJwks(true);
  const response = await stack.request('GET', '/order/1', { token: stack.idProvider.idToken('alice-sub') });
  t.equal(response.status, 503);
  t.equal(response.json().detail, 'The identity provider is unavailable; nothing was written. Retry later.');
});

assertNoCardNumberLogged(t);
