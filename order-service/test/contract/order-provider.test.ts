// Provider side of the order contract: the real order service (over HTTP, with the real tokenizer, a
// DynamoDB Local table and a local user pool) is driven through every operation and every status its
// contract documents, and each answer is checked against contracts/order.openapi.yaml by an independent
// validator. The last test fails naming any documented status the suite never saw.

import { orderDocument } from '@tokenization/contracts/order-document';
import {
  assertConforms,
  fromFetch,
  StatusCoverage,
} from '@tokenization/contracts/testing/contract-assertions';
import { ContractValidator } from '@tokenization/contracts/testing/contract-validator';
import { freePort } from '@tokenization/local-aws/dynamodb-local';
import t, { type Test } from 'tap';
import { createOrderStack, type OrderStack, sampleOrder, type TestResponse } from '../helpers/order-stack.js';

const validator = new ContractValidator('order', orderDocument);
const coverage = new StatusCoverage(validator);
const declinedCard = '4000-0000-0000-0002';

function check(t: Test, operationId: string, response: TestResponse, status: number, what = '') {
  assertConforms(t, coverage, operationId, fromFetch(response), status, `${operationId} ${what}`.trim());
}

/** Sends `operationId` with `body` (or to `path` for getOrder) as `token`. */
function send(stack: OrderStack, operationId: string, token: string | undefined, input: unknown) {
  switch (operationId) {
    case 'createOrder':
      return stack.request('POST', '/order', { ...(token ? { token } : {}), body: input });
    case 'payBill':
      return stack.request('POST', '/paybill', { ...(token ? { token } : {}), body: input });
    case 'getOrder':
      return stack.request('GET', `/order/${String(input)}`, token ? { token } : {});
    default:
      return stack.request('GET', operationId === 'live' ? '/health/live' : '/health/ready');
  }
}

t.test('successes: every operation answers its documented 200 with a documented body', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const order = sampleOrder({ CustomerOrder: 'contract-1' });
  check(t, 'createOrder', await send(stack, 'createOrder', alice, order), 200, 'new order');
  check(t, 'createOrder', await send(stack, 'createOrder', alice, order), 200, 'replay');
  check(t, 'getOrder', await send(stack, 'getOrder', alice, 'contract-1'), 200, 'created');
  check(t, 'payBill', await send(stack, 'payBill', alice, { CustomerOrder: 'contract-1' }), 200);
  const paid = await send(stack, 'getOrder', alice, 'contract-1');
  check(t, 'getOrder', paid, 200, 'paid');
  t.match(paid.json(), { Status: 'PAID', PaidAt: String, ChargeId: String });
  const amex = sampleOrder({ CustomerOrder: 'contract-2', CreditCard: '3782 822463 10005' });
  check(t, 'createOrder', await send(stack, 'createOrder', alice, amex), 200, 'grouped by spaces');
  check(t, 'live', await send(stack, 'live', undefined, undefined), 200);
  check(t, 'ready', await send(stack, 'ready', undefined, undefined), 200);
});

t.test('400: requests outside the contract, and card numbers the service refuses', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const { CustomerOrder: _omitted, ...withoutKey } = sampleOrder();
  const bad: [string, unknown, string][] = [
    ['createOrder', withoutKey, 'missing CustomerOrder'],
    ['createOrder', { ...sampleOrder(), Note: 'x' }, 'unknown property'],
    ['createOrder', { ...sampleOrder(), CreditCard: 4111111111111111 }, 'number card'],
    ['createOrder', sampleOrder({ CreditCard: '4111-1111-1111-1112' }), 'card failing Luhn'],
    ['createOrder', sampleOrder({ CustomerName: 'Card 4111 1111 1111 1111' }), 'card number in a name'],
    ['createOrder', sampleOrder({ CustomerOrder: 'a/b' }), 'bad CustomerOrder'],
    ['createOrder', '{"CustomerOrder":', 'malformed JSON'],
    ['payBill', {}, 'missing CustomerOrder'],
    ['payBill', { CustomerOrder: 'x'.repeat(65) }, 'CustomerOrder too long'],
    ['payBill', { CustomerOrder: 'x', extra: true }, 'unknown property'],
    ['getOrder', 'x'.repeat(65), 'CustomerOrder too long'],
    ['getOrder', 'bad%21order', 'CustomerOrder with !'],
  ];
  for (const [operationId, input, what] of bad) {
    check(t, operationId, await send(stack, operationId, alice, input), 400, what);
  }
});

t.test('401: no ID token, or one that does not verify', async (t) => {
  const stack = await createOrderStack(t);
  const expired = stack.idProvider.idToken('alice-sub', { exp: Math.floor(Date.now() / 1000) - 60 });
  for (const token of [undefined, 'not-a-jwt', expired]) {
    check(t, 'createOrder', await send(stack, 'createOrder', token, sampleOrder()), 401);
    check(t, 'getOrder', await send(stack, 'getOrder', token, '123456789'), 401);
    check(t, 'payBill', await send(stack, 'payBill', token, { CustomerOrder: '123456789' }), 401);
  }
});

t.test('402, 404, 409: declined cards, unknown orders, conflicts', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const bob = stack.idProvider.idToken('bob-sub');
  const declined = sampleOrder({ CustomerOrder: 'declined', CreditCard: declinedCard });
  check(t, 'createOrder', await send(stack, 'createOrder', alice, declined), 200);
  check(t, 'payBill', await send(stack, 'payBill', alice, { CustomerOrder: 'declined' }), 402);

  check(t, 'getOrder', await send(stack, 'getOrder', alice, 'no-such-order'), 404, 'unknown');
  check(t, 'getOrder', await send(stack, 'getOrder', bob, 'declined'), 404, "another user's");
  check(t, 'payBill', await send(stack, 'payBill', alice, { CustomerOrder: 'no-such-order' }), 404);

  const order = sampleOrder({ CustomerOrder: 'taken' });
  check(t, 'createOrder', await send(stack, 'createOrder', alice, order), 200);
  const changed = { ...order, Address: 'Elsewhere 1' };
  check(t, 'createOrder', await send(stack, 'createOrder', alice, changed), 409, 'different body');
  // Orders are per owner: bob's `taken` is his own order, no conflict.
  check(t, 'createOrder', await send(stack, 'createOrder', bob, order), 200, "another user's same id");
  check(t, 'payBill', await send(stack, 'payBill', alice, { CustomerOrder: 'taken' }), 200);
  check(t, 'payBill', await send(stack, 'payBill', alice, { CustomerOrder: 'taken' }), 409, 'paid');
});

t.test('413 and 415: bodies above the limit or not JSON', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const large = { ...sampleOrder(), Address: 'x'.repeat(20_000) };
  check(t, 'createOrder', await send(stack, 'createOrder', alice, large), 413);
  check(t, 'payBill', await send(stack, 'payBill', alice, { CustomerOrder: 'x'.repeat(20_000) }), 413);
  for (const [operationId, path] of [
    ['createOrder', '/order'],
    ['payBill', '/paybill'],
  ] as const) {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const response = await stack.request('POST', path, {
        token: alice,
        body: JSON.stringify(sampleOrder()),
        headers: { 'content-type': contentType },
      });
      check(t, operationId, response, 415, contentType);
    }
  }
});

t.test('503 with Retry-After: the tokenizer unavailable', async (t) => {
  const stack = await createOrderStack(t, { env: { RETRY_AFTER_SECONDS: '2' } });
  const alice = stack.idProvider.idToken('alice-sub');
  // Before the tokenizer caches a data key: its KMS failing makes it answer 503.
  stack.tokenizer.kms.setFault({ mode: 'fail' });
  const order = sampleOrder({ CustomerOrder: 'while-kms-fails' });
  check(t, 'createOrder', await send(stack, 'createOrder', alice, order), 503, 'tokenizer answers 503');
  stack.tokenizer.kms.setFault({ mode: 'none' });
  check(t, 'createOrder', await send(stack, 'createOrder', alice, sampleOrder()), 200);
  await stack.tokenizer.app.close();
  const response = await send(stack, 'payBill', alice, { CustomerOrder: '123456789' });
  check(t, 'payBill', response, 503, 'tokenizer unreachable');
  t.equal(response.headers.get('retry-after'), '2');
});

t.test('503 with Retry-After: the order table unavailable', async (t) => {
  const closedPort = await freePort();
  const stack = await createOrderStack(t, { env: { DYNAMODB_ENDPOINT: `http://127.0.0.1:${closedPort}` } });
  const alice = stack.idProvider.idToken('alice-sub');
  check(t, 'createOrder', await send(stack, 'createOrder', alice, sampleOrder()), 503, 'table down');
  check(t, 'getOrder', await send(stack, 'getOrder', alice, '123456789'), 503, 'table down');
  check(t, 'payBill', await send(stack, 'payBill', alice, { CustomerOrder: '123456789' }), 503, 'table down');
  check(t, 'ready', await send(stack, 'ready', undefined, undefined), 503, 'table down');
});

coverage.assertComplete(t);
