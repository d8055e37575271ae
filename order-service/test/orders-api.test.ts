import t from 'tap';
import { TokenizerHttpClient } from '../src/adapters/tokenizer-client.js';
import type { AppDependencies } from '../src/app.js';
import type { TokenizedCard } from '../src/domain/ports.js';
import {
  assertNoCardNumberLogged,
  createOrderStack,
  holdsNoCardNumber,
  sampleOrder,
} from './helpers/order-stack.js';

t.test(
  'POST /order tokenizes the card and answers as the sample did; the table keeps only the token',
  async (t) => {
    const stack = await createOrderStack(t);
    const alice = stack.idProvider.idToken('alice-sub');
    const created = await stack.request('POST', '/order', { token: alice, body: sampleOrder() });
    t.equal(created.status, 200, 'the sample answered 200');
    const { message, CreditCardToken } = created.json();
    t.equal(message, 'Order Created Successfully');
    t.match(CreditCardToken, /^tok_[A-Za-z0-9_-]{22}$/);
    t.same(Object.keys(created.json()).sort(), ['CreditCardToken', 'message']);
    t.ok(holdsNoCardNumber(created.text), 'the answer holds no card number');

    const [item, ...others] = await stack.orderItems();
    t.equal(others.length, 0, 'one item');
    t.match(item, {
      CustomerOrder: { S: '123456789' },
      CustomerName: { S: 'Amazon Web Services' },
      Address: { S: 'Reinvent2019, Las Vegas' },
      CreditCardToken: { S: CreditCardToken },
      cardLast4: { S: '1111' },
      cardBrand: { S: 'visa' },
      owner: { S: 'alice-sub' },
      status: { S: 'CREATED' },
    });
    t.ok(Date.parse(String((item?.createdAt as { S?: string } | undefined)?.S)) > 0, 'creation time');
    t.notOk(item && 'expiresAt' in item, 'an order carries no reservation expiry');
    t.ok(holdsNoCardNumber(JSON.stringify(item)), 'no attribute holds the card number');
  },
);

t.test('GET /order/{CustomerOrder} shows the owner token, last four, brand and status', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const order = sampleOrder({ CustomerOrder: 'order-1', CreditCard: '5555 5555 5555 4444' });
  const { CreditCardToken } = (await stack.request('POST', '/order', { token: alice, body: order })).json();

  const read = await stack.request('GET', '/order/order-1', { token: alice });
  t.equal(read.status, 200);
  t.match(read.json(), {
    CustomerOrder: 'order-1',
    CustomerName: 'Amazon Web Services',
    Address: 'Reinvent2019, Las Vegas',
    CreditCardToken,
    CardLast4: '4444',
    CardBrand: 'mastercard',
    Status: 'CREATED',
    CreatedAt: String,
  });
  t.notOk('PaidAt' in read.json());
  t.ok(holdsNoCardNumber(read.text), 'never the number');

  const bob = stack.idProvider.idToken('bob-sub');
  const foreign = await stack.request('GET', '/order/order-1', { token: bob });
  t.equal(foreign.status, 404, "another user's order does not exist for them");
  t.equal(foreign.json().type, 'urn:tokenization:problem:order-not-found');
  const missing = await stack.request('GET', '/order/nothing', { token: alice });
  t.equal(missing.status, 404);
  t.same(foreign.json().detail, missing.json().detail, 'absent and foreign orders look the same');
});

t.test('orders need a valid Cognito ID token', async (t) => {
  const stack = await createOrderStack(t);
  const { idProvider } = stack;
  const cases: [string, string | undefined][] = [
    ['no Authorization header', undefined],
    ['not a JWT', 'hello'],
    ['expired', idProvider.idToken('alice-sub', { exp: Math.floor(Date.now() / 1000) - 60 })],
    ['an access token', idProvider.idToken('alice-sub', { token_use: 'access' })],
    ['another app client', idProvider.idToken('alice-sub', { aud: 'someoneelse' })],
    ['another user pool', idProvider.idToken('alice-sub', { iss: `${idProvider.endpoint}/local_other` })],
  ];
  for (const [name, token] of cases) {
    const response = await stack.request('POST', '/order', {
      ...(token === undefined ? {} : { token }),
      body: sampleOrder({ CreditCard: 'not even a card' }),
    });
    t.equal(response.status, 401, `${name}: 401`);
    t.equal(response.headers.get('www-authenticate'), 'Bearer', `${name}: says which scheme`);
    t.equal(response.json().type, 'urn:tokenization:problem:unauthenticated', `${name}: before validation`);
  }
  const bearer = await stack.request('GET', '/order/none', {
    token: `Bearer ${idProvider.idToken('alice-sub')}`,
  });
  t.equal(bearer.status, 404, 'a Bearer-prefixed token works as the raw one does');
  t.equal((await stack.request('GET', '/health/live')).status, 200, 'probes need no token');
  t.same((await stack.request('GET', '/health/ready')).json(), { status: 'ok', checks: { store: 'ok' } });
  t.same(await stack.orderItems(), [], 'nothing was written');
});

t.test('invalid orders get a problem naming the field; nothing is tokenized or written', async (t) => {
  const stack = await createOrderStack(t);
  const token = stack.idProvider.idToken('alice-sub');
  const cases: [string, unknown, string][] = [
    ['a card failing Luhn', sampleOrder({ CreditCard: '4111111111111112' }), '/body/CreditCard'],
    ['a card too short', sampleOrder({ CreditCard: '411111111111' }), '/body/CreditCard'],
    ['letters in the card', sampleOrder({ CreditCard: '4111-1111-1111-111x' }), '/body/CreditCard'],
    ['a card as a number', { ...sampleOrder(), CreditCard: 4111111111111111 }, '/body/CreditCard'],
    ['no name', { ...sampleOrder(), CustomerName: undefined }, '/body/CustomerName'],
    ['an address too long', sampleOrder({ Address: 'x'.repeat(501) }), '/body/Address'],
    ['a card number in the address', sampleOrder({ Address: 'PAN 4111 1111 1111 1111' }), '/body/Address'],
    [
      'a card number as the order id',
      sampleOrder({ CustomerOrder: '4111111111111111' }),
      '/body/CustomerOrder',
    ],
    ['a path in the order id', sampleOrder({ CustomerOrder: '../x' }), '/body/CustomerOrder'],
    ['an unknown field', { ...sampleOrder(), Amount: 5 }, '/body/Amount'],
  ];
  for (const [name, body, field] of cases) {
    const response = await stack.request('POST', '/order', { token, body });
    t.equal(response.status, 400, `${name}: 400`);
    t.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    t.equal(response.json().errors?.[0]?.field, field, `${name}: names ${field}`);
    t.ok(holdsNoCardNumber(response.text), `${name}: the card is not echoed`);
  }
  t.same(await stack.orderItems(), [], 'no rejected order was written');
  t.equal(await stack.vaultTokenCount(), 0, 'no rejected card was tokenized');

  const badJson = await stack.request('POST', '/order', { token, body: '{"CreditCard":"4111111111111111"' });
  t.equal(badJson.status, 400);
  t.ok(holdsNoCardNumber(badJson.text), 'the JSON parser message is not passed on');
  const text = await stack.request('POST', '/order', {
    token,
    body: '4111111111111111',
    headers: { 'content-type': 'text/plain' },
  });
  t.equal(text.status, 415);
  const large = await stack.request('POST', '/order', {
    token,
    body: sampleOrder({ Address: 'x'.repeat(20_000) }),
  });
  t.equal(large.status, 413, 'bodies above 16 KiB are refused before parsing');
  const noRoute = await stack.request('GET', '/orders', { token });
  t.equal(noRoute.status, 404);
  t.equal(noRoute.json().detail, 'No such route.');
  const cardInPath = await stack.request('GET', '/order/4111111111111111', { token });
  t.equal(cardInPath.status, 404);
  t.ok(holdsNoCardNumber(cardInPath.text), 'a card number in the path is not echoed as the instance');
});

/** The real tokenizer client, with its tokenize answers rewritten. */
function rewriteTokenized(rewrite: (answer: TokenizedCard) => TokenizedCard) {
  return (deps: AppDependencies): AppDependencies => {
    const tokenizer = deps.tokenizer;
    return {
      ...deps,
      tokenizer: {
        tokenize: async (cardNumber) => rewrite(await tokenizer.tokenize(cardNumber)),
        verify: (token, cardNumber) => tokenizer.verify(token, cardNumber),
        deleteToken: (token) => tokenizer.deleteToken(token),
      },
    };
  };
}

t.test("the order keeps the tokenizer's last four and brand, not its own reading of the card", async (t) => {
  const stack = await createOrderStack(t, {
    adapt: rewriteTokenized((answer) => ({ ...answer, card: { last4: '1111', brand: 'unionpay' } })),
  });
  const alice = stack.idProvider.idToken('alice-sub');
  await stack.request('POST', '/order', { token: alice, body: sampleOrder() });
  const read = await stack.request('GET', '/order/123456789', { token: alice });
  t.match(read.json(), { CardLast4: '1111', CardBrand: 'unionpay' });
});

t.test('a tokenizer answer without card facts: 500, its token deleted, nothing written', async (t) => {
  const stack = await createOrderStack(t, {
    adapt: rewriteTokenized(({ token }) => ({ token })),
  });
  const response = await stack.request('POST', '/order', {
    token: stack.idProvider.idToken('alice-sub'),
    body: sampleOrder(),
  });
  t.equal(response.status, 500);
  t.equal(response.json().detail, 'An unexpected error occurred.');
  t.same(await stack.orderItems(), [], 'the reservation was released');
  t.equal(await stack.vaultTokenCount(), 0, 'the token no order holds was deleted');
});

t.test('a tokenizer that refuses our signature: 500 that says nothing, nothing written', async (t) => {
  const stack = await createOrderStack(t, {
    adapt: (deps, config) => ({
      ...deps,
      tokenizer: new TokenizerHttpClient({
        baseUrl: config.TOKENIZER_API_URL,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'not-the-secret' },
        timeoutMs: 1000,
      }),
    }),
  });
  const response = await stack.request('POST', '/order', {
    token: stack.idProvider.idToken('alice-sub'),
    body: sampleOrder(),
  });
  t.equal(response.status, 500, 'a misconfigured caller is not a client error');
  t.equal(response.json().detail, 'An unexpected error occurred.');
  t.same(await stack.orderItems(), [], 'the reservation was released');
  t.equal(await stack.vaultTokenCount(), 0);
});

assertNoCardNumberLogged(t);
