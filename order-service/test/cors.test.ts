// CORS on the service's own answers: with a Lambda proxy integration API Gateway answers only the
// preflight, so a browser reads an order (or a 401) only if the service sends Access-Control-Allow-Origin.
import pino from 'pino';
import t from 'tap';
import { buildApp } from '../src/app.js';
import { corsAllowedOrigins, loadConfig } from '../src/config.js';
import { FakeCardTokenizer } from './helpers/fake-card-tokenizer.js';
import { FakeOrderStore } from './helpers/fake-order-store.js';
import { FakePaymentProcessor } from './helpers/fake-payment-processor.js';
import { createOrderStack, sampleOrder } from './helpers/order-stack.js';

const shop = 'https://shop.example.com';
const admin = 'https://admin.example.com:8443';

t.test('CORS on real answers: listed origins only, none configured means no header at all', async (t) => {
  const stack = await createOrderStack(t, { env: { CORS_ALLOWED_ORIGINS: `${shop},${admin}` } });
  const alice = stack.idProvider.idToken('alice-sub');

  const created = await stack.request('POST', '/order', {
    token: alice,
    body: sampleOrder({ CustomerOrder: 'cors-1' }),
    headers: { origin: shop },
  });
  t.equal(created.status, 200);
  t.equal(created.headers.get('access-control-allow-origin'), shop, 'a listed origin is echoed');
  t.match(created.headers.get('vary'), /\borigin\b/i, 'caches keep answers per origin');

  const read = await stack.request('GET', '/order/cors-1', { token: alice, headers: { origin: admin } });
  t.equal(read.status, 200);
  t.equal(read.headers.get('access-control-allow-origin'), admin, 'each listed origin, port included');

  const unauthenticated = await stack.request('GET', '/order/cors-1', { headers: { origin: shop } });
  t.equal(unauthenticated.status, 401);
  t.equal(
    unauthenticated.headers.get('access-control-allow-origin'),
    shop,
    'a browser client can read the 401 too',
  );

  for (const origin of ['https://evil.example.com', 'https://shop.example.com.evil.example', 'null']) {
    const other = await stack.request('GET', '/order/cors-1', { token: alice, headers: { origin } });
    t.equal(other.status, 200);
    t.equal(other.headers.get('access-control-allow-origin'), null, `${origin} gets no CORS header`);
  }

  const uncors = await createOrderStack(t, { shareWith: stack });
  t.equal(uncors.config.CORS_ALLOWED_ORIGINS, undefined, 'none by default');
  for (const origin of [shop, 'https://evil.example.com']) {
    const answer = await uncors.request('GET', '/order/cors-1', { token: alice, headers: { origin } });
    t.equal(answer.status, 200);
    const cors = [...answer.headers.keys()].filter((name) => name.startsWith('access-control-'));
    t.same(cors, [], `no CORS header for ${origin}`);
    t.notMatch(answer.headers.get('vary') ?? '', /origin/i);
  }
});

t.test('"*" or a malformed origin is refused at start', async (t) => {
  const required = {
    AWS_REGION: 'eu-west-1',
    ORDER_TABLE_NAME: 'orders',
    TOKENIZER_API_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
    COGNITO_USER_POOL_ID: 'eu-west-1_AbCdEf123',
    COGNITO_CLIENT_ID: '4vfvnp24jvjy0xqs8nst7w5sh',
  };
  t.same(corsAllowedOrigins(loadConfig(required)), []);
  t.same(corsAllowedOrigins(loadConfig({ ...required, CORS_ALLOWED_ORIGINS: '' })), []);
  t.same(corsAllowedOrigins(loadConfig({ ...required, CORS_ALLOWED_ORIGINS: `${shop},${admin}` })), [
    shop,
    admin,
  ]);
  for (const value of ['*', `${shop},*`, 'https://*.example.com', `${shop}/app`, `${shop}, ${admin}`]) {
    t.throws(() => loadConfig({ ...required, CORS_ALLOWED_ORIGINS: value }), /CORS_ALLOWED_ORIGINS/, value);
  }
  // The app factory refuses it too, whoever builds it.
  t.throws(
    () =>
      buildApp({
        // Fakes: the app refuses before any of them is used.
        store: new FakeOrderStore(),
        tokenizer: new FakeCardTokenizer(),
        payments: new FakePaymentProcessor(() => undefined),
        authenticate: () => {
          throw new Error('not called');
        },
        clock: () => new Date(),
        logger: pino({ level: 'silent' }),
        corsAllowedOrigins: ['*'],
      }),
    /never "\*"/,
  );
});
