import t from 'tap';
import { SimulatedPaymentProcessor } from '../src/adapters/simulated-payment-processor.js';
import { chargeReference } from '../src/domain/order-key.js';
import {
  assertNoCardNumberLogged,
  createOrderStack,
  holdsNoCardNumber,
  sampleOrder,
} from './helpers/order-stack.js';

t.test('POST /paybill charges the detokenized card and answers it masked', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  await stack.request('POST', '/order', { token: alice, body: sampleOrder() });

  const paid = await stack.request('POST', '/paybill', {
    token: alice,
    body: { CustomerOrder: '123456789' },
  });
  t.equal(paid.status, 200);
  t.same(paid.json(), {
    message: 'Payment Submitted Successfully',
    'CreditCard Charged': '************1111',
  });

  const [charge, ...others] = stack.payments.charges();
  t.equal(others.length, 0, 'one charge');
  t.match(charge, {
    orderId: chargeReference({ owner: 'alice-sub', customerOrder: '123456789' }),
    cardLast4: '1111',
    chargeId: /^sim_ch_/,
  });
  t.notOk(charge && 'amount' in charge, 'the sample has no amount: none is charged');

  const read = (await stack.request('GET', '/order/123456789', { token: alice })).json();
  t.match(read, { Status: 'PAID', PaidAt: String, ChargeId: charge?.chargeId });
  const [item] = await stack.orderItems();
  t.match(item, { status: { S: 'PAID' }, chargeId: { S: charge?.chargeId }, paidAt: { S: String } });
  t.ok(holdsNoCardNumber(JSON.stringify(item)), 'the paid order holds no card number');
});

t.test('masks keep the card length: 15-digit Amex, 16-digit Discover', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  for (const [CustomerOrder, CreditCard, masked] of [
    ['amex-1', '3782 822463 10005', '***********0005'],
    ['discover-1', '6011111111111117', '************1117'],
  ] as const) {
    await stack.request('POST', '/order', { token: alice, body: sampleOrder({ CustomerOrder, CreditCard }) });
    const paid = await stack.request('POST', '/paybill', { token: alice, body: { CustomerOrder } });
    t.equal(paid.json()['CreditCard Charged'], masked, CustomerOrder);
  }
});

t.test('paying twice answers 409 and charges once', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  await stack.request('POST', '/order', { token: alice, body: sampleOrder() });
  const first = await stack.request('POST', '/paybill', {
    token: alice,
    body: { CustomerOrder: '123456789' },
  });
  t.equal(first.status, 200);
  const second = await stack.request('POST', '/paybill', {
    token: alice,
    body: { CustomerOrder: '123456789' },
  });
  t.equal(second.status, 409);
  t.equal(second.json().type, 'urn:tokenization:problem:order-already-paid');
  t.equal(stack.payments.charges().length, 1, 'charged once');
});

t.test('two payments at once: one answers 200, the other 409, and the card is charged once', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  await stack.request('POST', '/order', { token: alice, body: sampleOrder() });
  const answers = await Promise.all(
    [1, 2, 3].map(() =>
      stack.request('POST', '/paybill', { token: alice, body: { CustomerOrder: '123456789' } }),
    ),
  );
  t.same(answers.map((answer) => answer.status).sort(), [200, 409, 409]);
  t.equal(stack.payments.charges().length, 1, 'the processor charged the order once');
});

t.test("only the owner pays: anyone else's paybill answers 404 and charges nothing", async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const mallory = stack.idProvider.idToken('mallory-sub');
  await stack.request('POST', '/order', { token: alice, body: sampleOrder() });
  const stolen = await stack.request('POST', '/paybill', {
    token: mallory,
    body: { CustomerOrder: '123456789' },
  });
  t.equal(stolen.status, 404);
  t.equal(stolen.json().type, 'urn:tokenization:problem:order-not-found');
  const missing = await stack.request('POST', '/paybill', {
    token: alice,
    body: { CustomerOrder: 'nothing' },
  });
  t.equal(missing.status, 404);
  const anonymous = await stack.request('POST', '/paybill', { body: { CustomerOrder: '123456789' } });
  t.equal(anonymous.status, 401);
  t.same(stack.payments.charges(), [], 'nothing was charged');
  t.match((await stack.orderItems())[0], { status: { S: 'CREATED' } }, 'the order is still unpaid');
});

t.test('a declined card answers 402 and leaves the order unpaid', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const body = sampleOrder({ CreditCard: '4000 0000 0000 0002' });
  await stack.request('POST', '/order', { token: alice, body });
  const declined = await stack.request('POST', '/paybill', {
    token: alice,
    body: { CustomerOrder: '123456789' },
  });
  t.equal(declined.status, 402);
  t.equal(declined.json().type, 'urn:tokenization:problem:payment-declined');
  t.ok(holdsNoCardNumber(declined.text));
  t.match((await stack.request('GET', '/order/123456789', { token: alice })).json(), { Status: 'CREATED' });
});

t.test('a card token the tokenizer no longer reveals: 500 that says nothing, the order unpaid', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const { CreditCardToken } = (
    await stack.request('POST', '/order', { token: alice, body: sampleOrder() })
  ).json();
  const deleted = await stack.tokenizer.inject({ method: 'DELETE', url: `/v1/tokens/${CreditCardToken}` });
  t.equal(deleted.statusCode, 204, 'the token was deleted behind the order service');
  const response = await stack.request('POST', '/paybill', {
    token: alice,
    body: { CustomerOrder: '123456789' },
  });
  t.equal(response.status, 500);
  t.same(response.json(), {
    type: 'urn:tokenization:problem:internal',
    title: 'Internal Server Error',
    status: 500,
    detail: 'An unexpected error occurred.',
    instance: '/paybill',
  });
  t.same(stack.payments.charges(), []);
});

t.test('paybill validates its body from the contract', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const cases: [unknown, string][] = [
    [{}, '/body/CustomerOrder'],
    [{ CustomerOrder: '123', CreditCard: '4111111111111111' }, '/body/CreditCard'],
    [{ CustomerOrder: 'a b' }, '/body/CustomerOrder'],
  ];
  for (const [body, field] of cases) {
    const response = await stack.request('POST', '/paybill', { token: alice, body });
    t.equal(response.status, 400);
    t.equal(response.json().errors?.[0]?.field, field);
    t.ok(holdsNoCardNumber(response.text));
  }
});

t.test('the simulated processor: idempotent per order, Luhn-checked, declines on request', async (t) => {
  const processor = new SimulatedPaymentProcessor({ declinedCardNumbers: ['5555555555554444'] });
  const first = await processor.charge({ orderId: 'o-1', card: { number: '4111111111111111' } });
  const again = await processor.charge({ orderId: 'o-1', card: { number: '4111111111111111' } });
  t.equal(again.chargeId, first.chargeId, 'a repeated order is not charged again');
  await t.rejects(processor.charge({ orderId: 'o-2', card: { number: '4111111111111112' } }), {
    name: 'PaymentDeclinedError',
    reason: 'invalid_number',
  });
  await t.rejects(processor.charge({ orderId: 'o-3', card: { number: '5555555555554444' } }), {
    name: 'PaymentDeclinedError',
    reason: 'card_declined',
  });
  await processor.charge({
    orderId: 'o-4',
    amount: { minorUnits: 1999, currency: 'USD' },
    card: { number: '4000000000000002' },
  });
  t.same(
    processor.charges().map((charge) => [charge.orderId, charge.amount]),
    [
      ['o-1', undefined],
      ['o-4', { minorUnits: 1999, currency: 'USD' }],
    ],
  );
  t.ok(holdsNoCardNumber(JSON.stringify(processor.charges())), 'charges keep no card number');
});

assertNoCardNumberLogged(t);
