// The order idempotency protocol (reserve → tokenize → complete) and payment, on fakes of the ports (fast
// tier). The DynamoDB adapter's conditions are tested on DynamoDB Local in idempotency.test.ts.
import t from 'tap';
import {
  DependencyUnavailableError,
  InvalidOrderFieldError,
  OrderAlreadyPaidError,
  OrderConflictError,
  OrderNotFoundError,
  PaymentDeclinedError,
  TokenizerRejectedError,
} from '../../src/domain/errors.js';
import type { OrderRequest } from '../../src/domain/order.js';
import { type OrderLog, Orders } from '../../src/domain/orders.js';
import { FakeCardTokenizer } from '../helpers/fake-card-tokenizer.js';
import { FakeOrderStore } from '../helpers/fake-order-store.js';
import { FakePaymentProcessor } from '../helpers/fake-payment-processor.js';

const visa = '4111111111111111';
/** Same last four as `visa`, other middle digits: the request fingerprint cannot tell them apart. */
const visaSameLast4 = '4111111111031111';
const owner = 'user-1';

function setup(leaseSeconds = 60) {
  const store = new FakeOrderStore();
  const tokenizer = new FakeCardTokenizer();
  const payments = new FakePaymentProcessor((token) => tokenizer.vault.get(token));
  let now = Date.parse('2026-01-31T12:00:00.000Z');
  const orders = new Orders({
    store,
    tokenizer,
    payments,
    clock: () => new Date(now),
    reservationLeaseSeconds: leaseSeconds,
  });
  const lines: string[] = [];
  const log: OrderLog = {
    info: (context, message) => lines.push(JSON.stringify({ ...context, message })),
    warn: (context, message) => lines.push(JSON.stringify({ ...context, message })),
  };
  return {
    store,
    tokenizer,
    payments,
    orders,
    log,
    lines,
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
  };
}

const request = (overrides: Partial<OrderRequest> = {}): OrderRequest => ({
  CustomerOrder: 'order-1',
  CustomerName: 'Ada',
  CreditCard: visa,
  Address: '1 Main St',
  ...overrides,
});

t.test('create: reserve, tokenize, complete, in that order; only then the order exists', async (t) => {
  const { orders, store, tokenizer, log, lines } = setup();
  const created = await orders.create(owner, request({ CreditCard: '4111 1111 1111 1111' }), log);
  t.equal(created.replayed, false);
  t.same(store.calls, ['reserve', 'complete']);
  t.equal(tokenizer.vault.get(created.cardToken), visa, 'the normalised number was tokenized');
  const order = await orders.get(owner, 'order-1');
  t.match(order, { status: 'CREATED', cardToken: created.cardToken, cardLast4: '1111', cardBrand: 'visa' });
  t.notOk(JSON.stringify(order).includes(visa), 'the order holds no card number');
  t.notOk(lines.join('\n').includes(visa), 'no card number logged');
});

t.test('replay: the same request answers the same order and tokenizes nothing more', async (t) => {
  const { orders, tokenizer, log } = setup();
  const first = await orders.create(owner, request(), log);
  const replay = await orders.create(owner, request(), log);
  t.same(replay, { cardToken: first.cardToken, replayed: true });
  t.equal(tokenizer.tokenizeCalls, 1);
});

t.test(
  'conflict: another body, or another card with the same last four, for an existing order',
  async (t) => {
    const { orders, tokenizer, log } = setup();
    await orders.create(owner, request(), log);
    await t.rejects(orders.create(owner, request({ CustomerName: 'Bob' }), log), OrderConflictError);
    await t.rejects(
      orders.create(owner, request({ CreditCard: visaSameLast4 }), log),
      OrderConflictError,
      'the stored card is compared through the tokenizer',
    );
    t.equal(tokenizer.tokenizeCalls, 1, 'a conflict tokenizes nothing');
    const someoneElse = await orders.create('user-2', request({ CustomerName: 'Bob' }), log);
    t.equal(someoneElse.replayed, false, "another user's CustomerOrder is their own order");
  },
);

t.test('a tokenizer failure releases the reservation, and a retry creates the order', async (t) => {
  const { orders, store, tokenizer, log } = setup();
  tokenizer.failNextTokenize = new DependencyUnavailableError('tokenizer');
  await t.rejects(orders.create(owner, request(), log), DependencyUnavailableError);
  t.equal(store.items.size, 0, 'no reservation left behind');
  await t.rejects(orders.get(owner, 'order-1'), OrderNotFoundError);
  const retried = await orders.create(owner, request({ CustomerName: 'Ada B.' }), log);
  t.equal(retried.replayed, false, 'the CustomerOrder is free for any request of its owner');
});

t.test('a tokenizer answer without card facts stores nothing and deletes the token', async (t) => {
  const { orders, store, tokenizer, log } = setup();
  tokenizer.omitCardFacts = true;
  await t.rejects(orders.create(owner, request(), log), TokenizerRejectedError);
  t.equal(store.items.size, 0);
  t.equal(tokenizer.vault.size, 0, 'the unused token was deleted');
});

t.test('a crash before complete leaves a reservation that the same request resumes', async (t) => {
  const { orders, store, tokenizer, log } = setup();
  store.failNext.set('complete', new DependencyUnavailableError('order-store'));
  await t.rejects(orders.create(owner, request(), log), DependencyUnavailableError);
  t.equal(tokenizer.vault.size, 0, 'the token of the failed attempt was deleted');
  t.match([...store.items.values()], [{ status: 'PENDING' }], 'the reservation remains');
  await t.rejects(orders.get(owner, 'order-1'), OrderNotFoundError, 'a reservation is not an order');
  await t.rejects(orders.pay(owner, 'order-1', log), OrderNotFoundError, 'nor can it be paid');
  await t.rejects(
    orders.create(owner, request({ CustomerName: 'Bob' }), log),
    OrderConflictError,
    'another body waits',
  );

  const resumed = await orders.create(owner, request(), log);
  t.equal(resumed.replayed, false);
  t.match(await orders.get(owner, 'order-1'), { status: 'CREATED', cardToken: resumed.cardToken });
});

t.test('a lapsed reservation is taken over by any request of its owner, not before', async (t) => {
  const { orders, store, log, advance } = setup(60);
  store.failNext.set('complete', new DependencyUnavailableError('order-store'));
  await t.rejects(orders.create(owner, request(), log), DependencyUnavailableError);
  advance(60);
  await t.rejects(
    orders.create(owner, request({ CustomerName: 'Bob' }), log),
    OrderConflictError,
    'at the lease end',
  );
  advance(1);
  const takenOver = await orders.create(owner, request({ CustomerName: 'Bob' }), log);
  t.equal(takenOver.replayed, false);
  t.match(await orders.get(owner, 'order-1'), { customerName: 'Bob', status: 'CREATED' });
});

t.test('identical requests racing make one order and keep one token', async (t) => {
  const { orders, store, tokenizer, log } = setup();
  // Both requests reserve before either completes: the second finds the first's reservation.
  let waiting: (() => void) | undefined;
  const bothTokenized = new Promise<void>((resolve) => {
    waiting = resolve;
  });
  let completes = 0;
  store.before = async (call) => {
    if (call !== 'complete') return;
    completes++;
    if (completes === 1) await bothTokenized;
    else waiting?.();
  };
  const results = await Promise.all([
    orders.create(owner, request(), log),
    orders.create(owner, request(), log),
  ]);
  t.equal(results[0].cardToken, results[1].cardToken, 'one order');
  t.same(results.map((result) => result.replayed).sort(), [false, true]);
  t.equal(tokenizer.tokenizeCalls, 2);
  t.same([...tokenizer.vault.keys()], [results[0].cardToken], 'the losing token was deleted');
});

t.test('a card number in another field is refused, naming the field, and nothing is stored', async (t) => {
  const { orders, store, tokenizer, log } = setup();
  const cases = [
    ['CustomerOrder', `x ${visa}`],
    ['CustomerName', `x ${visa}`],
    ['Address', `x ${visa}`],
    ['CreditCard', '4111111111111112'],
  ] as const;
  for (const [field, text] of cases) {
    const error = await orders.create(owner, request({ [field]: text }), log).catch((e: unknown) => e);
    t.ok(error instanceof InvalidOrderFieldError);
    t.match(error, { field });
    t.notOk(String((error as Error).message).includes(visa));
  }
  t.same([store.items.size, tokenizer.tokenizeCalls], [0, 0]);
});

t.test(
  'payment: charged exactly once, even when retried after a lost write or paid twice at once',
  async (t) => {
    const { orders, store, payments, log } = setup();
    await orders.create(owner, request(), log);
    store.failNext.set('markPaid', new DependencyUnavailableError('order-store'));
    await t.rejects(orders.pay(owner, 'order-1', log), DependencyUnavailableError);
    const paid = await orders.pay(owner, 'order-1', log);
    t.same(paid.maskedCard, '************1111');
    t.equal(payments.charges.size, 1, 'the retry reached the processor, which charged once');
    t.equal([...payments.charges.values()][0]?.chargeId, paid.chargeId);
    await t.rejects(orders.pay(owner, 'order-1', log), OrderAlreadyPaidError);
    t.match(await orders.get(owner, 'order-1'), { status: 'PAID', chargeId: paid.chargeId });

    await orders.create(owner, request({ CustomerOrder: 'order-2' }), log);
    const both = await Promise.allSettled([
      orders.pay(owner, 'order-2', log),
      orders.pay(owner, 'order-2', log),
    ]);
    t.same(both.map((result) => result.status).sort(), ['fulfilled', 'rejected']);
    t.match(
      both.find((result) => result.status === 'rejected'),
      { reason: OrderAlreadyPaidError },
    );
    t.equal(payments.charges.size, 2, 'one charge per order');

    await orders.create('user-2', request(), log);
    await orders.pay('user-2', 'order-1', log);
    t.equal(payments.charges.size, 3, "another owner's order of the same CustomerOrder is another charge");
  },
);

t.test(
  'a payment whose answer is lost leaves the order unpaid; its retry pays it with the one charge',
  async (t) => {
    const { orders, payments, log } = setup();
    await orders.create(owner, request(), log);
    payments.loseNextAnswer = true;
    await t.rejects(orders.pay(owner, 'order-1', log), DependencyUnavailableError);
    t.match(await orders.get(owner, 'order-1'), { status: 'CREATED' }, 'not marked paid');
    t.equal(payments.charges.size, 1, 'the processor had charged');
    const paid = await orders.pay(owner, 'order-1', log);
    t.equal(payments.charges.size, 1, 'the retry charged nothing more');
    t.equal(paid.chargeId, [...payments.charges.values()][0]?.chargeId, 'and answered the first charge');
  },
);

t.test('a declined payment leaves the order unpaid', async (t) => {
  const { orders, payments, log } = setup();
  await orders.create(owner, request(), log);
  payments.declined.add(visa);
  await t.rejects(orders.pay(owner, 'order-1', log), PaymentDeclinedError);
  t.match(await orders.get(owner, 'order-1'), { status: 'CREATED' });
  payments.declined.clear();
  t.ok((await orders.pay(owner, 'order-1', log)).chargeId);
});
