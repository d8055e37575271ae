// Paying through the real path: the order service forwards the charge with the card token to the real
// tokenizer, which puts the card number in its place and relays it to the payment processor stand-in.
import t from 'tap';
import { chargeReference } from '../src/domain/order-key.js';
import {
  assertNoCardNumberLogged,
  createOrderStack,
  holdsNoCardNumber,
  orderServiceGrant,
  sampleOrder,
} from './helpers/order-stack.js';

t.test('POST /paybill charges the card through forward, once, and answers it masked', async (t) => {
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

  const [charge, ...others] = stack.processor.ledger();
  t.equal(others.length, 0, 'one charge');
  t.match(charge, {
    idempotencyKey: chargeReference({ owner: 'alice-sub', customerOrder: '123456789' }),
    card: { brand: 'visa', last4: '1111' },
    status: 'captured',
    amount: { value: 1000, currency: 'USD' },
    id: /^ch_/,
  });

  const read = (await stack.request('GET', '/order/123456789', { token: alice })).json();
  t.match(read, { Status: 'PAID', PaidAt: String, ChargeId: charge?.id });
  const [item] = await stack.orderItems();
  t.match(item, { status: { S: 'PAID' }, chargeId: { S: charge?.id }, paidAt: { S: String } });
  t.ok(holdsNoCardNumber(JSON.stringify(item)), 'the paid order holds no card number');
  t.ok(holdsNoCardNumber(JSON.stringify(stack.processor.ledger())), 'nor does the ledger');
  t.match(
    stack.tokenizer.auditEvents.filter((event) => event.operation === 'forward'),
    [{ operation: 'forward' }],
    'the tokenizer audited the forward',
  );
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
  t.equal(stack.processor.ledger().length, 1, 'charged once');
});

t.test('a charge id the forward would mask is never issued: the payment succeeds', async (t) => {
  // The processor's first draw for a charge id is hex holding a Luhn-valid run (4111…1111): an id the
  // tokenizer's forward masks in its answer, which would leave a captured charge the order cannot record.
  const draws = [Buffer.from('4111111111111111abcdefabcdefabcd', 'hex')];
  const stack = await createOrderStack(t, {
    processorRandomBytes: (size) => draws.shift() ?? Buffer.alloc(size, 0xab),
  });
  const alice = stack.idProvider.idToken('alice-sub');
  await stack.request('POST', '/order', { token: alice, body: sampleOrder() });
  const paid = await stack.request('POST', '/paybill', {
    token: alice,
    body: { CustomerOrder: '123456789' },
  });
  t.equal(paid.status, 200);
  const [charge, ...others] = stack.processor.ledger();
  t.equal(others.length, 0, 'one charge');
  t.equal(charge?.id, `ch_${'ab'.repeat(16)}`);
  const read = (await stack.request('GET', '/order/123456789', { token: alice })).json();
  t.match(read, { Status: 'PAID', ChargeId: charge?.id });
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
  t.equal(stack.processor.ledger().length, 1, 'the processor charged the order once');
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
  t.same(stack.processor.ledger(), [], 'nothing was charged');
  t.match((await stack.orderItems())[0], { status: { S: 'CREATED' } }, 'the order is still unpaid');
});

t.test('a card the processor declines answers 402 and leaves the order unpaid', async (t) => {
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
  t.same(stack.processor.ledger(), [], 'nothing was charged');
  t.match(stack.processorLog, [{ event: 'charge.declined', status: 402, card: { last4: '0002' } }]);
});

t.test(
  'the processor down: 503 with Retry-After, the order unpaid; a retry pays it with one charge',
  async (t) => {
    const stack = await createOrderStack(t);
    const alice = stack.idProvider.idToken('alice-sub');
    await stack.request('POST', '/order', { token: alice, body: sampleOrder() });
    const pay = () =>
      stack.request('POST', '/paybill', { token: alice, body: { CustomerOrder: '123456789' } });

    // Every attempt fails, the retries of the tokenizer client included.
    stack.processor.setFault({ mode: 'fail' });
    const down = await pay();
    t.equal(down.status, 503);
    t.match(down.json(), {
      type: 'urn:tokenization:problem:dependency-unavailable',
      detail: /payment processor/,
    });
    t.match(down.headers.get('retry-after'), /^[1-9]\d*$/, 'Retry-After says when to come back');
    t.match((await stack.request('GET', '/order/123456789', { token: alice })).json(), { Status: 'CREATED' });
    t.same(stack.processor.ledger(), [], 'nothing was charged');

    // The processor charges, but its answer never arrives: the order service cannot know it was charged.
    stack.processor.setFault({ mode: 'drop' });
    const lost = await pay();
    t.equal(lost.status, 503, 'an unknown outcome is a 503 as well');
    t.match((await stack.request('GET', '/order/123456789', { token: alice })).json(), { Status: 'CREATED' });
    t.equal(stack.processor.ledger().length, 1, 'the processor had charged');

    stack.processor.setFault({ mode: 'none' });
    const retried = await pay();
    t.equal(retried.status, 200, 'the retry pays');
    const [charge, ...others] = stack.processor.ledger();
    t.equal(others.length, 0, 'with the one charge: the same idempotency key was sent every time');
    t.match((await stack.request('GET', '/order/123456789', { token: alice })).json(), {
      Status: 'PAID',
      ChargeId: charge?.id,
    });
  },
);

t.test('a card token the tokenizer can no longer use: 500 that says nothing, the order unpaid', async (t) => {
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
  t.same(stack.processor.ledger(), []);
});

t.test("the order service's principal is refused every reveal of its own tokens (403)", async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const { CreditCardToken } = (
    await stack.request('POST', '/order', { token: alice, body: sampleOrder() })
  ).json();
  for (const reveal of ['full', 'masked']) {
    // Signed with the order service's credentials, granted what the local policy grants it.
    const response = await stack.tokenizer.inject({
      method: 'POST',
      url: '/v1/detokenize',
      payload: { tokens: [CreditCardToken], reveal },
    });
    t.equal(response.statusCode, 403, `detokenize (${reveal}): 403`);
    t.ok(holdsNoCardNumber(response.body));
  }
  t.notOk(
    orderServiceGrant.permissions.some((permission) => permission.startsWith('detokenize')),
    'the local policy grants the order service no detokenize of any kind',
  );
  t.same(
    [...orderServiceGrant.permissions].sort(),
    ['delete', 'forward:payments', 'tokenize', 'verify'],
    'it pays through forward and checks replays with verify',
  );
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

assertNoCardNumberLogged(t);
