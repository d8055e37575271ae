import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { passesLuhn } from '@tokenization/service-kit/card';
import t from 'tap';
import { DependencyUnavailableError } from '../src/domain/errors.js';
import { requestFingerprint } from '../src/domain/order.js';
import type { OrderStore } from '../src/domain/ports.js';
import {
  assertNoCardNumberLogged,
  createOrderStack,
  type OrderStack,
  sampleOrder,
} from './helpers/order-stack.js';

const post = (stack: OrderStack, token: string, body: unknown) =>
  stack.request('POST', '/order', { token, body });

/** Another Luhn-valid card with the same first six and last four: two middle digits changed. */
function sameLast4(card: string): string {
  for (let first = 0; first <= 9; first++) {
    for (let second = 0; second <= 9; second++) {
      const other = `${card.slice(0, 6)}${first}${second}${card.slice(8)}`;
      if (other !== card && passesLuhn(other)) return other;
    }
  }
  throw new Error('no such card');
}

t.test('re-posting the same order answers the same token and creates no second token', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const first = await post(stack, alice, sampleOrder());
  const again = await post(stack, alice, sampleOrder({ CreditCard: '4111 1111 1111 1111' }));
  t.equal(again.status, 200, 'the same card, grouped differently, is the same body');
  t.same(again.json(), first.json(), 'the same answer');
  t.equal(await stack.vaultTokenCount(), 1, 'one token in the vault');
  t.equal((await stack.orderItems()).length, 1);

  await stack.request('POST', '/paybill', { token: alice, body: { CustomerOrder: '123456789' } });
  t.same((await post(stack, alice, sampleOrder())).json(), first.json(), 'a paid order replays too');
});

t.test("the same user's CustomerOrder with a different body answers 409", async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const original = await post(stack, alice, sampleOrder());
  const conflicts: [string, string, Record<string, string>][] = [
    ['another name', alice, sampleOrder({ CustomerName: 'Someone Else' })],
    ['another address', alice, sampleOrder({ Address: 'Elsewhere' })],
    ['another card', alice, sampleOrder({ CreditCard: '5555555555554444' })],
    [
      'another card with the same last four',
      alice,
      sampleOrder({ CreditCard: sameLast4('4111111111111111') }),
    ],
  ];
  for (const [name, token, body] of conflicts) {
    const response = await post(stack, token, body);
    t.equal(response.status, 409, `${name}: 409`);
    t.equal(response.json().type, 'urn:tokenization:problem:order-conflict', name);
  }
  t.equal(await stack.vaultTokenCount(), 1, 'no conflicting request left a token');
  const [item] = await stack.orderItems();
  t.match(item, { CustomerName: { S: 'Amazon Web Services' }, owner: { S: 'alice-sub' } }, 'unchanged');
  t.equal((item?.CreditCardToken as { S?: string } | undefined)?.S, original.json().CreditCardToken);
});

t.test('identical requests at once all answer the one order; no extra token survives', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const answers = await Promise.all([1, 2, 3, 4, 5].map(() => post(stack, alice, sampleOrder())));
  t.same(
    answers.map((answer) => answer.status),
    [200, 200, 200, 200, 200],
  );
  const tokens = new Set(answers.map((answer) => answer.json().CreditCardToken));
  t.equal(tokens.size, 1, 'every answer names the same token');
  t.equal(await stack.vaultTokenCount(), 1, 'tokens of the losing attempts were deleted');
});

t.test('a reservation left by a crash is no order; a retry of the same request completes it', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const order = sampleOrder();
  await leaveReservation(stack, { owner: 'alice-sub', order, expiresInSeconds: 60 });

  const read = await stack.request('GET', '/order/123456789', { token: alice });
  t.equal(read.status, 404, 'a reservation is not an order');
  const pay = await stack.request('POST', '/paybill', { token: alice, body: { CustomerOrder: '123456789' } });
  t.equal(pay.status, 404, 'and cannot be paid');

  t.equal(
    (await post(stack, alice, sampleOrder({ Address: 'x' }))).status,
    409,
    'another body cannot take it',
  );
  const bob = stack.idProvider.idToken('bob-sub');
  t.equal(
    (await post(stack, bob, order)).status,
    200,
    "another user's same CustomerOrder is their own order",
  );

  const retried = await post(stack, alice, order);
  t.equal(retried.status, 200, 'the same request resumes it');
  t.match((await stack.request('GET', '/order/123456789', { token: alice })).json(), { Status: 'CREATED' });
  t.equal(await stack.vaultTokenCount(), 2, "alice's order and bob's");
});

t.test("a lapsed reservation is taken over by its owner's next request, and only theirs", async (t) => {
  const stack = await createOrderStack(t);
  await leaveReservation(stack, { owner: 'alice-sub', order: sampleOrder(), expiresInSeconds: -5 });
  const bob = stack.idProvider.idToken('bob-sub');
  t.equal((await post(stack, bob, sampleOrder({ CustomerName: 'Bob' }))).status, 200, "bob's own order");
  const alicesItem = async () =>
    (await stack.orderItems()).find((item) => (item.owner as { S?: string } | undefined)?.S === 'alice-sub');
  t.match(await alicesItem(), { status: { S: 'PENDING' } }, "bob's request left alice's reservation alone");

  const alice = stack.idProvider.idToken('alice-sub');
  const taken = await post(stack, alice, sampleOrder({ CustomerName: 'Alice' }));
  t.equal(taken.status, 200, 'another body of alice takes her lapsed reservation over');
  t.match(await alicesItem(), { CustomerName: { S: 'Alice' }, status: { S: 'CREATED' } });
});

t.test('the order table failing after tokenizing: 503, no order, the unused token deleted', async (t) => {
  let failComplete = true;
  const stack = await createOrderStack(t, {
    adapt: (deps) => ({ ...deps, store: failingCompletion(deps.store, () => failComplete) }),
  });
  const alice = stack.idProvider.idToken('alice-sub');
  const failed = await post(stack, alice, sampleOrder());
  t.equal(failed.status, 503);
  t.ok(failed.headers.get('retry-after'), 'Retry-After');
  t.equal((await stack.request('GET', '/order/123456789', { token: alice })).status, 404, 'no order');
  t.equal(await stack.vaultTokenCount(), 0, 'the token no order holds was deleted');

  failComplete = false;
  const retried = await post(stack, alice, sampleOrder());
  t.equal(retried.status, 200, 'the retry completes the order');
  t.equal(await stack.vaultTokenCount(), 1);
});

/** An order store whose `complete` fails like an outage while `failing()` says so. */
function failingCompletion(store: OrderStore, failing: () => boolean): OrderStore {
  return {
    reserve: (reservation, now) => store.reserve(reservation, now),
    complete: (key, reservationId, placement) =>
      failing()
        ? Promise.reject(new DependencyUnavailableError('order-store', { cause: new Error('injected') }))
        : store.complete(key, reservationId, placement),
    release: (key, reservationId) => store.release(key, reservationId),
    get: (key) => store.get(key),
    markPaid: (key, payment) => store.markPaid(key, payment),
    checkHealth: () => store.checkHealth(),
  };
}

/** Writes the reservation a create attempt leaves when it dies after reserving. */
async function leaveReservation(
  stack: OrderStack,
  {
    owner,
    order,
    expiresInSeconds,
  }: { owner: string; order: Record<string, string>; expiresInSeconds: number },
): Promise<void> {
  const last4 = (order.CreditCard ?? '').replace(/\D/g, '').slice(-4);
  const requestHash = requestFingerprint({
    customerOrder: order.CustomerOrder ?? '',
    customerName: order.CustomerName ?? '',
    address: order.Address ?? '',
    cardLast4: last4,
  });
  await stack.dynamoDb.send(
    new PutItemCommand({
      TableName: stack.tableName,
      Item: {
        CustomerOrder: { S: order.CustomerOrder ?? '' },
        CustomerName: { S: order.CustomerName ?? '' },
        Address: { S: order.Address ?? '' },
        owner: { S: owner },
        requestHash: { S: requestHash },
        cardLast4: { S: last4 },
        cardBrand: { S: 'visa' },
        status: { S: 'PENDING' },
        reservationId: { S: 'crashed-attempt' },
        expiresAt: { N: String(Math.floor(Date.now() / 1000) + expiresInSeconds) },
      },
    }),
  );
}

assertNoCardNumberLogged(t);
