// Orders belong to the user who placed them: the order key is (owner, CustomerOrder), the owner being the
// `sub` of the verified ID token. Two users may both have order `123456789`; neither can read, pay, probe or
// squat the other's; replays of one user keep the idempotency protocol.
import t from 'tap';
import { chargeReference } from '../src/domain/order-key.js';
import {
  assertNoCardNumberLogged,
  createOrderStack,
  type OrderStack,
  sampleOrder,
} from './helpers/order-stack.js';

type Item = Record<string, { S?: string }>;

const post = (stack: OrderStack, token: string, body: unknown) =>
  stack.request('POST', '/order', { token, body });

/** The table's items by `owner/CustomerOrder`. */
async function itemsByKey(stack: OrderStack): Promise<Map<string, Item>> {
  const items = (await stack.orderItems()) as Item[];
  return new Map(items.map((item) => [`${item.owner?.S}/${item.CustomerOrder?.S}`, item]));
}

t.test('two users may both place order 123456789: both 200, two independent orders', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const bob = stack.idProvider.idToken('bob-sub');
  // The same body: what a user probing or squatting another's order id would send.
  const byAlice = await post(stack, alice, sampleOrder());
  const byBob = await post(stack, bob, sampleOrder());
  t.equal(byAlice.status, 200);
  t.equal(byBob.status, 200, "another user's CustomerOrder is no conflict");
  t.same(Object.keys(byBob.json()).sort(), ['CreditCardToken', 'message'], "the sample's answer, unchanged");
  t.not(byBob.json().CreditCardToken, byAlice.json().CreditCardToken, 'each order has its own token');

  const items = await itemsByKey(stack);
  t.same([...items.keys()].sort(), ['alice-sub/123456789', 'bob-sub/123456789'], 'two items');
  t.equal(items.get('alice-sub/123456789')?.CreditCardToken?.S, byAlice.json().CreditCardToken);
  t.equal(items.get('bob-sub/123456789')?.CreditCardToken?.S, byBob.json().CreditCardToken);
  t.equal(await stack.vaultTokenCount(), 2);

  for (const [token, created] of [
    [alice, byAlice],
    [bob, byBob],
  ] as const) {
    const read = await stack.request('GET', '/order/123456789', { token });
    t.equal(read.status, 200);
    t.match(read.json(), { CustomerOrder: '123456789', CreditCardToken: created.json().CreditCardToken });
  }
});

t.test("a user can neither read nor pay another's order: 404, as for one that does not exist", async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const bob = stack.idProvider.idToken('bob-sub');
  t.equal((await post(stack, alice, sampleOrder({ CustomerOrder: 'alice-only' }))).status, 200);
  const before = await stack.orderItems();

  const problemOf = (response: Awaited<ReturnType<OrderStack['request']>>) => {
    const { instance: _instance, ...problem } = response.json() as Record<string, unknown>;
    return { status: response.status, type: response.headers.get('content-type'), problem };
  };
  const read = await stack.request('GET', '/order/alice-only', { token: bob });
  const readNothing = await stack.request('GET', '/order/never-placed', { token: bob });
  t.equal(read.status, 404, 'not 403: no existence oracle');
  t.same(problemOf(read), problemOf(readNothing), 'the same answer as an order nobody has');

  const pay = await stack.request('POST', '/paybill', { token: bob, body: { CustomerOrder: 'alice-only' } });
  const payNothing = await stack.request('POST', '/paybill', {
    token: bob,
    body: { CustomerOrder: 'never-placed' },
  });
  t.equal(pay.status, 404);
  t.same(problemOf(pay), problemOf(payNothing), 'the same answer as an order nobody has');
  t.same(stack.processor.ledger(), [], 'nothing was charged');
  t.same(await stack.orderItems(), before, "alice's order is untouched");

  // Placing the same id gives nothing away either: it is bob's own order.
  t.equal((await post(stack, bob, sampleOrder({ CustomerOrder: 'alice-only' }))).status, 200);
  const alicesRead = await stack.request('GET', '/order/alice-only', { token: alice });
  t.match(alicesRead.json(), {
    Status: 'CREATED',
    CreditCardToken: (before[0] as Item).CreditCardToken?.S,
  });
});

t.test('both owners of order 123456789 pay: two charges, each order paid with its own', async (t) => {
  const stack = await createOrderStack(t);
  const owners = [
    { sub: 'alice-sub', card: '4111 1111 1111 1111', masked: '************1111', last4: '1111' },
    { sub: 'bob-sub', card: '5555 5555 5555 4444', masked: '************4444', last4: '4444' },
  ];
  for (const { sub, card } of owners) {
    const created = await post(stack, stack.idProvider.idToken(sub), sampleOrder({ CreditCard: card }));
    t.equal(created.status, 200, `${sub} placed 123456789`);
  }
  for (const { sub, masked } of owners) {
    const paid = await stack.request('POST', '/paybill', {
      token: stack.idProvider.idToken(sub),
      body: { CustomerOrder: '123456789' },
    });
    t.equal(paid.status, 200, `${sub} paid`);
    t.equal(paid.json()['CreditCard Charged'], masked, `${sub}'s own card was charged`);
  }
  const charges = stack.processor.ledger();
  t.equal(charges.length, 2, 'two charges: the processor saw two orders');
  for (const { sub, last4 } of owners) {
    const reference = chargeReference({ owner: sub, customerOrder: '123456789' });
    const charge = charges.find((candidate) => candidate.idempotencyKey === reference);
    t.equal(charge?.card.last4, last4, `${sub}'s order is charged under its own reference`);
    const read = await stack.request('GET', '/order/123456789', { token: stack.idProvider.idToken(sub) });
    t.match(read.json(), { Status: 'PAID', ChargeId: charge?.id ?? 'missing' }, `${sub}'s order paid`);
  }
  t.notOk(
    charges.some(
      (charge) => charge.idempotencyKey.includes('123456789') || charge.idempotencyKey.includes('-sub'),
    ),
    "the processor's reference names neither the CustomerOrder nor the owner",
  );
});

t.test('replays stay per user: same request, same order; another body, 409', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const bob = stack.idProvider.idToken('bob-sub');
  const alicesOrder = sampleOrder();
  const bobsOrder = sampleOrder({ CustomerName: 'Bob', CreditCard: '5555555555554444' });
  const first = { alice: await post(stack, alice, alicesOrder), bob: await post(stack, bob, bobsOrder) };

  t.same((await post(stack, alice, alicesOrder)).json(), first.alice.json(), 'alice replays her order');
  t.same((await post(stack, bob, bobsOrder)).json(), first.bob.json(), 'bob replays his');
  for (const [name, token, body] of [
    ["alice with bob's body", alice, bobsOrder],
    ["bob with alice's body", bob, alicesOrder],
    ['alice with another address', alice, sampleOrder({ Address: 'Elsewhere' })],
  ] as const) {
    const response = await post(stack, token, body);
    t.equal(response.status, 409, `${name}: 409`);
    t.equal(response.json().type, 'urn:tokenization:problem:order-conflict', name);
  }
  const items = await itemsByKey(stack);
  t.equal(items.size, 2);
  t.equal(items.get('alice-sub/123456789')?.CustomerName?.S, 'Amazon Web Services', "alice's unchanged");
  t.equal(items.get('bob-sub/123456789')?.CustomerName?.S, 'Bob', "bob's unchanged");
  t.equal(await stack.vaultTokenCount(), 2, 'no replay or conflict left a token');

  // Identical requests of both users at once: each user's requests answer one order of theirs.
  const race = (token: string, body: Record<string, string>) =>
    Promise.all([1, 2, 3].map(() => post(stack, token, body)));
  const [alices, bobs] = await Promise.all([
    race(alice, sampleOrder({ CustomerOrder: 'race-1' })),
    race(bob, sampleOrder({ CustomerOrder: 'race-1' })),
  ]);
  t.same(
    [...alices, ...bobs].map((answer) => answer.status),
    [200, 200, 200, 200, 200, 200],
  );
  const tokensOf = (answers: typeof alices) =>
    new Set(answers.map((answer) => answer.json().CreditCardToken));
  t.equal(tokensOf(alices).size, 1, "alice's answers name one token");
  t.equal(tokensOf(bobs).size, 1, "bob's answers name one token");
  t.not([...tokensOf(alices)][0], [...tokensOf(bobs)][0], 'two orders');
  t.equal(await stack.vaultTokenCount(), 4, 'tokens of the losing attempts were deleted');
});

assertNoCardNumberLogged(t);
