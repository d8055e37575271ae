// Consumer side of the tokenizer contract: the order service's tokenizer client, and the order service
// itself, against a server made from contracts/tokenizer.openapi.yaml alone (no real tokenizer answers).
// Every request they send must conform to the contract and be signed with SigV4; every documented answer
// (synthesised from the contract's schemas) must be understood as the contract means it.
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { orderDocument } from '@tokenization/contracts/order-document';
import { fromFetch } from '@tokenization/contracts/testing/contract-assertions';
import { ContractValidator } from '@tokenization/contracts/testing/contract-validator';
import { assertProperty } from '@tokenization/contracts/testing/property-runner';
import { arbitraryFor } from '@tokenization/contracts/testing/schema-arbitrary';
import { type SpecStub, type StubRequest, startSpecStub } from '@tokenization/contracts/testing/spec-stub';
import { tokenizerDocument } from '@tokenization/contracts/tokenizer-document';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { ForwardedPaymentProcessor } from '../../src/adapters/forwarded-payment-processor.js';
import {
  createTokenizerSdk,
  type TokenizerClientOptions,
  TokenizerHttpClient,
} from '../../src/adapters/tokenizer-client.js';
import {
  CardTokenUnusableError,
  DependencyUnavailableError,
  PaymentDeclinedError,
  PaymentRejectedError,
  TokenizerRejectedError,
} from '../../src/domain/errors.js';
import type { ChargeRequest } from '../../src/domain/ports.js';
import { createOrderStack, sampleOrder, tokenizerTestCredentials } from '../helpers/order-stack.js';

const tokenizer = new ContractValidator('tokenizer', tokenizerDocument);
const order = new ContractValidator('order', orderDocument);
const region = 'eu-west-1';
const credentials = { accessKeyId: 'AKIDCONSUMERTEST', secretAccessKey: 'consumer-test-secret' };
const sampleToken = 'tok_3q2-7wEjRk6Yb1cM9xPz0A';

function clientFor(stub: SpecStub, options: Partial<TokenizerClientOptions> = {}) {
  const sleeps: number[] = [];
  const sdk = createTokenizerSdk({
    baseUrl: stub.url,
    region,
    credentials,
    timeoutMs: 2_000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  const client = new TokenizerHttpClient(sdk);
  const payments = new ForwardedPaymentProcessor({ client: sdk, connection: 'payments' });
  return { client, payments, sleeps };
}

const charge = (cardToken: string): ChargeRequest => ({
  idempotencyKey: 'charge-reference-1',
  cardToken,
  amount: { minorUnits: 1000, currency: 'USD' },
});

/**
 * A documented problem of the tokenizer's own kind. Written out: the Problem schema's `destination.body`
 * is any JSON, which the schema arbitrary cannot synthesise.
 */
const problemBody = (status: number) => ({ type: 'urn:tokenization:problem:test', title: 'Test', status });

/** The order domain's errors a charge may end in: anything else is a misreading of the contract. */
const chargeErrors = [
  PaymentDeclinedError,
  PaymentRejectedError,
  CardTokenUnusableError,
  TokenizerRejectedError,
  DependencyUnavailableError,
];

/** The SigV4 signature of a recorded request, computed again from what was received: they must match. */
async function expectedAuthorization(request: StubRequest, signing = { region, credentials }) {
  const authorization = String(request.headers.authorization ?? '');
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const date = String(request.headers['x-amz-date'] ?? '');
  const signingDate = new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  const host = String(request.headers.host);
  const [hostname = '', port] = host.split(':');
  const headers = Object.fromEntries(
    signedHeaders.map((name) => [name, String(request.headers[name] ?? '')]),
  );
  const signer = new SignatureV4({
    service: 'execute-api',
    region: signing.region,
    credentials: signing.credentials,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname,
      ...(port ? { port: Number(port) } : {}),
      path: request.url.split('?')[0] ?? '',
      headers,
      ...(request.body ? { body: request.body } : {}),
    }),
    { signingDate },
  );
  return { signedHeaders, authorization: signed.headers.authorization };
}

/** Every request the stub received conforms to the contract and carries a valid SigV4 signature. */
async function assertRequestsConform(
  t: Test,
  stub: SpecStub,
  signing?: Parameters<typeof expectedAuthorization>[1],
) {
  t.ok(stub.requests.length > 0, 'requests were sent');
  for (const request of stub.requests) {
    const what = `${request.method} ${request.url}`;
    t.same(request.problems, [], `${what} conforms to the tokenizer contract`);
    t.match(
      String(request.headers.authorization),
      /^AWS4-HMAC-SHA256 Credential=\S+\/execute-api\/aws4_request, /,
    );
    t.ok(request.headers['x-amz-date'], `${what}: X-Amz-Date sent`);
    const expected = await expectedAuthorization(request, signing);
    t.ok(
      ['host', 'x-amz-date'].every((name) => expected.signedHeaders.includes(name)),
      `${what}: host and x-amz-date are signed`,
    );
    t.equal(request.headers.authorization, expected.authorization, `${what}: the signature verifies`);
  }
  t.same(stub.refusals, [], 'the stub sent only documented answers');
}

const cardNumber = fc
  .tuple(
    fc.integer({ min: 13, max: 19 }),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 19, maxLength: 19 }),
  )
  .map(([length, digits]) => digits.slice(0, length).join(''));
const tokenSchema = tokenizer.route('getTokenMetadata').schema.params?.properties as Record<
  string,
  Record<string, unknown>
>;
const anyToken = arbitraryFor(tokenSchema.token ?? {}).filter(
  (token) => tokenizer.schemaProblems(tokenSchema.token ?? {}, token).length === 0,
) as fc.Arbitrary<string>;

t.test('every request the client sends conforms to the contract and is signed', async (t) => {
  const stub = await startSpecStub(t, tokenizer, { basePath: '/prod' });
  const { client, payments } = clientFor(stub);
  const forwardAnswer = {
    status: 200,
    body: { status: 201, headers: {}, body: { id: 'ch_1', status: 'captured' } },
  };
  await assertProperty(
    t,
    'tokenize, verify, a charge (forward) and delete send documented, signed requests',
    fc.asyncProperty(cardNumber, anyToken, async (card, token) => {
      stub.reset();
      stub.answer('forward', forwardAnswer);
      await client.tokenize(card);
      await client.verify(token, card);
      // A synthesised forward answer is seldom a captured charge: the request is what is checked here.
      await payments.charge(charge(token)).catch((error: unknown) => {
        if (!(error instanceof PaymentRejectedError)) throw error;
      });
      await client.deleteToken(token);
      const problems = stub.requests.flatMap((request) => request.problems);
      if (problems.length > 0) throw new Error(problems.join('; '));
      const operations = stub.requests.map((request) => request.operationId);
      if (operations.join() !== 'tokenize,verify,forward,deleteToken')
        throw new Error(`sent ${operations.join()}`);
    }),
  );
  await assertRequestsConform(t, stub);
});

t.test('the client reads every documented success answer as the contract means it', async (t) => {
  const stub = await startSpecStub(t, tokenizer);
  const { client, payments } = clientFor(stub);
  const tokenized = arbitraryFor(tokenizer.responseSchema('tokenize', '201')) as fc.Arbitrary<{
    token: string;
    card?: { last4: string; brand: string };
  }>;
  await assertProperty(
    t,
    'tokenize: the token, and the card facts when sent',
    fc.asyncProperty(tokenized, async (body) => {
      stub.answer('tokenize', { status: 201, body });
      const result = await client.tokenize('4111111111111111');
      const expected = body.card ? { token: body.token, card: body.card } : { token: body.token };
      if (JSON.stringify(result) !== JSON.stringify(expected)) {
        throw new Error(`read ${JSON.stringify(result)} from ${JSON.stringify(body)}`);
      }
    }),
  );
  const verified = arbitraryFor(tokenizer.responseSchema('verify', '200')) as fc.Arbitrary<{
    match: boolean;
  }>;
  await assertProperty(
    t,
    'verify: match or no match',
    fc.asyncProperty(verified, async (body) => {
      stub.answer('verify', { status: 200, body });
      if ((await client.verify(sampleToken, '4111111111111111')) !== body.match) {
        throw new Error(`misread ${JSON.stringify(body)}`);
      }
    }),
  );
  // ForwardResult's `body` is the destination's JSON (an object here, or none): the schema arbitrary cannot
  // synthesise an open schema.
  const forwarded = fc.record(
    {
      status: fc.integer({ min: 200, max: 299 }),
      headers: fc.constant({}),
      body: fc.dictionary(fc.string(), fc.jsonValue()),
    },
    { requiredKeys: ['status', 'headers'] },
  );
  const captured = fc.record({
    status: fc.integer({ min: 200, max: 299 }),
    headers: fc.constant({}),
    body: fc.record({ id: fc.stringMatching(/^ch_[A-Za-z0-9]{1,40}$/), status: fc.constant('captured') }),
  });
  await assertProperty(
    t,
    "forward: a captured charge's id, and anything else refused as no charge",
    fc.asyncProperty(fc.oneof(forwarded, captured), async (body) => {
      stub.answer('forward', { status: 200, body });
      const outcome = await payments.charge(charge(sampleToken)).then(
        (result) => result,
        (error: unknown) => error,
      );
      const answered = body.body as { id?: unknown; status?: unknown } | undefined;
      const isCharge =
        typeof answered?.id === 'string' &&
        /^[A-Za-z0-9_-]{1,128}$/.test(answered.id) &&
        answered.status === 'captured';
      const ok = isCharge
        ? JSON.stringify(outcome) === JSON.stringify({ chargeId: answered?.id })
        : outcome instanceof PaymentRejectedError;
      if (!ok) throw new Error(`read ${JSON.stringify(body)} as ${String(outcome)}`);
    }),
  );
  stub.answer('deleteToken', { status: 204 });
  await client.deleteToken(sampleToken);
  t.same(stub.refusals, [], 'the stub sent only documented answers');
});

t.test('documented client errors are final: no retry, and the status is kept', async (t) => {
  const stub = await startSpecStub(t, tokenizer);
  const { client, payments } = clientFor(stub);
  const calls: Record<string, () => Promise<unknown>> = {
    tokenize: () => client.tokenize('4111111111111111'),
    verify: () => client.verify(sampleToken, '4111111111111111'),
    forward: () => payments.charge(charge(sampleToken)),
    deleteToken: () => client.deleteToken(sampleToken),
  };
  for (const [operationId, call] of Object.entries(calls)) {
    // 429 is throttling, not a client error: the next test holds it to "retried, then unavailable".
    const clientErrors = tokenizer
      .route(operationId)
      .statusCodes.filter((code) => /^4\d\d$/.test(code) && code !== '429');
    for (const status of clientErrors) {
      stub.reset();
      stub.answer(operationId, { status: Number(status), body: problemBody(Number(status)) });
      const outcome = await call().then(
        () => 'resolved',
        (error: unknown) => error,
      );
      if (operationId === 'deleteToken' && status === '404') {
        t.equal(outcome, 'resolved', 'delete: 404 means already gone');
      } else if (operationId === 'verify' && ['404', '410'].includes(status)) {
        t.ok(outcome instanceof CardTokenUnusableError, `verify ${status}: the token cannot be used`);
      } else if (operationId === 'verify' && status === '423') {
        t.equal(outcome, 'resolved', 'verify 423: locked, answered as no match (a conflict)');
      } else if (operationId === 'forward') {
        // What a forward's 4xx means depends on its problem type (the destination's refusal, or the
        // tokenizer's): always one of the domain's errors, never retried.
        t.ok(
          chargeErrors.some((type) => outcome instanceof type),
          `forward ${status}: ${(outcome as Error).name}`,
        );
      } else {
        t.ok(outcome instanceof TokenizerRejectedError, `${operationId} ${status}: rejected`);
        t.equal((outcome as TokenizerRejectedError).status, Number(status));
      }
      t.equal(stub.requests.length, 1, `${operationId} ${status}: sent once`);
    }
  }
  t.same(stub.refusals, [], 'the stub sent only documented answers');
});

t.test('503 with Retry-After, and 429 throttling: retried when idempotent, then unavailable', async (t) => {
  const stub = await startSpecStub(t, tokenizer);
  const { client, payments, sleeps } = clientFor(stub);

  stub.answer('tokenize', { status: 503, headers: { 'retry-after': '1' }, body: problemBody(503) });
  const notRetried = await client.tokenize('4111111111111111').catch((error: unknown) => error);
  t.ok(notRetried instanceof DependencyUnavailableError, 'tokenize: unavailable');
  t.equal(
    (notRetried as DependencyUnavailableError).retryAfterSeconds,
    1,
    "the tokenizer's Retry-After is kept",
  );
  t.equal(stub.requests.length, 1, 'tokenize is sent once (a lost answer would leave a second token)');

  stub.reset();
  stub.answer('verify', { status: 503, headers: { 'retry-after': '1' }, body: problemBody(503) });
  const verifyOnce = await client.verify(sampleToken, '4111111111111111').catch((error: unknown) => error);
  t.ok(verifyOnce instanceof DependencyUnavailableError, 'verify: unavailable');
  t.equal(stub.requests.length, 1, 'verify is sent once (a mismatch must never count twice)');

  for (const [operationId, call] of [
    ['forward', () => payments.charge(charge(sampleToken))],
    ['deleteToken', () => client.deleteToken(sampleToken)],
  ] as const) {
    stub.reset();
    sleeps.length = 0;
    const success =
      operationId === 'forward'
        ? { status: 200, body: { status: 201, headers: {}, body: { id: 'ch_1', status: 'captured' } } }
        : { status: 204 };
    stub.answer(
      operationId,
      { status: 503, headers: { 'retry-after': '1' }, body: problemBody(503) },
      { status: 503, headers: { 'retry-after': '2' }, body: problemBody(503) },
      success,
    );
    await call();
    t.equal(stub.requests.length, 3, `${operationId}: retried after two 503s, then succeeded`);
    t.same(sleeps, [1000, 2000], `${operationId}: waited as Retry-After said`);

    stub.reset();
    sleeps.length = 0;
    stub.answer(operationId, { status: 429, undocumented: true, body: { message: 'Too Many Requests' } });
    const throttled = await call().catch((error: unknown) => error);
    t.ok(throttled instanceof DependencyUnavailableError, `${operationId}: throttled, then unavailable`);
    t.equal(stub.requests.length, 3, `${operationId}: 3 attempts`);
    t.equal(sleeps.length, 2, `${operationId}: backed off between attempts`);
  }
  await assertRequestsConform(t, stub);
});

t.test(
  'the order service, against the stub: orders, payments and outages as both contracts say',
  async (t) => {
    const stub = await startSpecStub(t, tokenizer, { basePath: '/prod', seed: 7 });
    const stack = await createOrderStack(t, {
      env: { TOKENIZER_API_URL: stub.url, RETRY_AFTER_SECONDS: '1' },
    });
    const alice = stack.idProvider.idToken('alice-sub');
    const conforms = (
      operationId: string,
      response: Awaited<ReturnType<typeof stack.request>>,
      status: number,
    ) => {
      t.equal(response.status, status, `${operationId}: ${status}`);
      t.same(
        order.responseProblems(operationId, fromFetch(response)),
        [],
        `${operationId} ${status} conforms`,
      );
    };

    // A synthesised result of the type asked for (with card facts, for a card number): the order keeps
    // exactly the token the tokenizer answered.
    stub.answer('tokenize', (request, synthesise) => ({
      status: 201,
      body: synthesise(201, (body) => (body as { type?: string }).type === JSON.parse(request.body).type),
    }));
    const created = await stack.request('POST', '/order', { token: alice, body: sampleOrder() });
    conforms('createOrder', created, 200);
    const tokenizeAnswer = stub.requests.find((request) => request.operationId === 'tokenize');
    t.ok(tokenizeAnswer, 'the card was tokenized through the stub');
    const { CreditCardToken } = created.json() as { CreditCardToken: string };
    const stored = await stack.request('GET', '/order/123456789', { token: alice });
    conforms('getOrder', stored, 200);
    t.equal(stored.json().CreditCardToken, CreditCardToken);

    // A replay is checked with verify: the stub answers a match.
    stub.answer('verify', { status: 200, body: { match: true } });
    conforms(
      'createOrder',
      await stack.request('POST', '/order', { token: alice, body: sampleOrder() }),
      200,
    );

    // Paying forwards the charge with the card token: the stub answers the processor's charge.
    stub.answer('forward', (request) => {
      const sent = JSON.parse(request.body) as { body: { card: { number: string } } };
      return {
        status: 200,
        body: {
          status: sent.body.card.number === CreditCardToken ? 201 : 299,
          headers: {},
          body: { id: 'ch_stub', status: sent.body.card.number === CreditCardToken ? 'captured' : 'wrong' },
        },
      };
    });
    conforms(
      'payBill',
      await stack.request('POST', '/paybill', { token: alice, body: { CustomerOrder: '123456789' } }),
      200,
    );

    // The processor declines: the tokenizer relays its 402 as destination-refused.
    await stack.request('POST', '/order', {
      token: alice,
      body: sampleOrder({ CustomerOrder: 'o-402', CreditCard: '4000000000000002' }),
    });
    stub.answer('forward', {
      status: 402,
      body: {
        type: 'urn:tokenization:problem:destination-refused',
        title: 'Destination Refused',
        status: 402,
        destination: { status: 402, body: { error: { type: 'card_error', code: 'card_declined' } } },
      },
    });
    conforms(
      'payBill',
      await stack.request('POST', '/paybill', { token: alice, body: { CustomerOrder: 'o-402' } }),
      402,
    );

    // The processor down: destination-failed, 503 with the tokenizer's Retry-After.
    stub.answer('forward', {
      status: 503,
      headers: { 'retry-after': '3' },
      body: {
        type: 'urn:tokenization:problem:destination-failed',
        title: 'Service Unavailable',
        status: 503,
      },
    });
    const failed = await stack.request('POST', '/paybill', {
      token: alice,
      body: { CustomerOrder: 'o-402' },
    });
    conforms('payBill', failed, 503);
    t.equal(failed.headers.get('retry-after'), '3', "the tokenizer's Retry-After is passed on");

    stub.answer('tokenize', { status: 503, headers: { 'retry-after': '4' }, body: problemBody(503) });
    const unavailable = await stack.request('POST', '/order', {
      token: alice,
      body: sampleOrder({ CustomerOrder: 'o-503' }),
    });
    conforms('createOrder', unavailable, 503);
    t.equal(unavailable.headers.get('retry-after'), '4', "the tokenizer's longer Retry-After is passed on");
    stub.answer('tokenize', { status: 429, undocumented: true, body: { message: 'Too Many Requests' } });
    const throttled = await stack.request('POST', '/order', {
      token: alice,
      body: sampleOrder({ CustomerOrder: 'o-429' }),
    });
    conforms('createOrder', throttled, 503);

    await assertRequestsConform(t, stub, { region: 'us-east-1', credentials: tokenizerTestCredentials });
    t.equal(await stack.vaultTokenCount(), 0, 'the real tokenizer the helper starts was never called');
  },
);
