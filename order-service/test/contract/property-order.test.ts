// Property-based contract tests of the order service (over HTTP, with the real tokenizer): requests
// generated from the contract's request schemas (and legal variations of their encoding) must get a
// documented answer, and a success where nothing outside the schema forbids it; invalid variations (one
// broken rule each) and bad encodings a documented 4xx. Every answer must conform to the contract, and
// none may be a 5xx.

import { orderDocument } from '@tokenization/contracts/order-document';
import { type ActualResponse, ContractValidator } from '@tokenization/contracts/testing/contract-validator';
import {
  assertProperty,
  badEncodings,
  legalEncodings,
  type RawBody,
  StatusTally,
} from '@tokenization/contracts/testing/property-runner';
import {
  arbitraryFor,
  invalidArbitrary,
  mutationsOf,
} from '@tokenization/contracts/testing/schema-arbitrary';
import fc from 'fast-check';
import t from 'tap';
import { createOrderStack, type OrderStack, sampleOrder } from '../helpers/order-stack.js';

const validator = new ContractValidator('order', orderDocument);
const tally = new StatusTally();

function judge(operationId: string, response: ActualResponse, expected: (status: number) => boolean): void {
  const problems = validator.responseProblems(operationId, response);
  if (response.status >= 500) problems.push(`a ${response.status}`);
  if (!expected(response.status)) problems.push(`unexpected status ${response.status}`);
  tally.add(operationId, response.status);
  if (problems.length > 0) throw new Error(`${problems.join('; ')}\n${response.body.slice(0, 500)}`);
}

const isClientError = (status: number) => status >= 400 && status < 500;

async function send(stack: OrderStack, method: string, path: string, token: string, raw?: RawBody) {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { authorization: token, ...(raw ? { 'content-type': raw.contentType } : {}) },
    ...(raw ? { body: raw.body } : {}),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

function schemaOf(operationId: string) {
  const schema = validator.requestSchema(operationId);
  if (!schema) throw new Error(`${operationId} takes no body`);
  return schema;
}

const isValidFor = (schema: Record<string, unknown>) => (value: unknown) =>
  validator.schemaProblems(schema, value).length === 0;

/** Cards the order service and its simulated processor accept, written as clients write them. */
const goodCards = ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117'];

t.test('order operations', async (t) => {
  const stack = await createOrderStack(t);
  const alice = stack.idProvider.idToken('alice-sub');
  const existing: string[] = [];
  for (const [index, card] of [...goodCards, '4000000000000002'].entries()) {
    const order = sampleOrder({ CustomerOrder: `existing-${index}`, CreditCard: card });
    const created = await send(stack, 'POST', '/order', alice, {
      description: 'setup',
      body: JSON.stringify(order),
      contentType: 'application/json',
    });
    t.equal(created.status, 200, `order ${order.CustomerOrder} created`);
    existing.push(order.CustomerOrder as string);
  }

  const createSchema = schemaOf('createOrder');
  const anyCreate = arbitraryFor(createSchema).filter(isValidFor(createSchema));
  let counter = 0;
  // Consistent: a card that passes Luhn, written with or without separators, and a key of its own.
  const consistentCreate = fc
    .tuple(anyCreate, fc.constantFrom(...goodCards), fc.constantFrom('', ' ', '-'))
    .map(([body, card, separator]) => ({
      ...(body as Record<string, string>),
      CustomerOrder: `${(body as { CustomerOrder: string }).CustomerOrder.slice(0, 50)}-${counter++}`,
      CreditCard: card.match(/.{1,4}/g)?.join(separator) ?? card,
    }));

  await t.test('createOrder: valid requests get a documented answer, never a 5xx', async (t) => {
    await assertProperty(
      t,
      'createOrder valid',
      fc.asyncProperty(
        anyCreate.chain((value) => legalEncodings(value)),
        async (raw) => {
          // 400: a card number failing Luhn or written into a name; 409: a key another run already took.
          judge('createOrder', await send(stack, 'POST', '/order', alice, raw), (status) =>
            [200, 400, 409].includes(status),
          );
        },
      ),
    );
  });

  await t.test('createOrder: valid and consistent requests succeed', async (t) => {
    await assertProperty(
      t,
      'createOrder consistent',
      fc.asyncProperty(
        consistentCreate.chain((value) => legalEncodings(value)),
        async (raw) => {
          judge('createOrder', await send(stack, 'POST', '/order', alice, raw), (status) => status === 200);
        },
      ),
    );
  });

  const paySchema = schemaOf('payBill');
  const anyPay = fc.oneof(
    fc.constantFrom(...existing).map((CustomerOrder) => ({ CustomerOrder })),
    arbitraryFor(paySchema).filter(isValidFor(paySchema)),
  );
  await t.test('payBill: valid requests get a documented answer, never a 5xx', async (t) => {
    await assertProperty(
      t,
      'payBill valid',
      fc.asyncProperty(
        anyPay.chain((value) => legalEncodings(value)),
        async (raw) => {
          // 402: the declined test card; 404: no such order; 409: paid already.
          judge('payBill', await send(stack, 'POST', '/paybill', alice, raw), (status) =>
            [200, 402, 404, 409].includes(status),
          );
        },
      ),
    );
    t.ok(tally.count('payBill', (status) => status === 200) > 0, 'some payments succeeded');
  });

  for (const [operationId, path, schema, valid] of [
    ['createOrder', '/order', createSchema, anyCreate],
    ['payBill', '/paybill', paySchema, anyPay],
  ] as const) {
    await t.test(`${operationId}: requests breaking one schema rule get a documented 400`, async (t) => {
      await assertProperty(
        t,
        `${operationId} invalid`,
        fc.asyncProperty(invalidArbitrary(schema, valid, isValidFor(schema)), async (mutation) => {
          const raw = {
            description: mutation.description,
            body: JSON.stringify(mutation.value),
            contentType: 'application/json',
          };
          judge(operationId, await send(stack, 'POST', path, alice, raw), (status) => status === 400);
        }),
      );
    });

    await t.test(`${operationId}: badly encoded bodies get a documented 4xx`, async (t) => {
      await assertProperty(
        t,
        `${operationId} bad encodings`,
        fc.asyncProperty(valid, fc.nat(), async (value, n) => {
          for (const raw of badEncodings(value, n)) {
            try {
              judge(operationId, await send(stack, 'POST', path, alice, raw), isClientError);
            } catch (error) {
              throw new Error(`${raw.description}: ${(error as Error).message}`);
            }
          }
        }),
      );
    });
  }

  const params = validator.route('getOrder').schema.params?.properties;
  const keySchema = (params as Record<string, Record<string, unknown>>).CustomerOrder ?? {};
  const isValidKey = isValidFor(keySchema);
  const anyKey = fc.oneof(
    fc.constantFrom(...existing),
    arbitraryFor(keySchema).filter(isValidKey),
  ) as fc.Arbitrary<string>;
  await t.test('getOrder: valid keys get 200 or 404', async (t) => {
    await assertProperty(
      t,
      'getOrder valid',
      fc.asyncProperty(anyKey, async (key) => {
        const response = await send(stack, 'GET', `/order/${encodeURIComponent(key)}`, alice);
        judge('getOrder', response, (status) => status === 200 || status === 404);
      }),
    );
    t.ok(tally.count('getOrder', (status) => status === 200) > 0, 'some orders were found');
  });

  await t.test('getOrder: keys breaking the schema get a documented 400', async (t) => {
    // A path is text: only string variations apply.
    const invalidKey = fc
      .tuple(anyKey, fc.nat())
      .map(([key, pick]) => {
        const strings = mutationsOf(keySchema, key).filter(
          (mutation) =>
            typeof mutation.value === 'string' && mutation.value !== '' && !isValidKey(mutation.value),
        );
        return strings[pick % Math.max(strings.length, 1)];
      })
      .filter((mutation) => mutation !== undefined);
    await assertProperty(
      t,
      'getOrder invalid',
      fc.asyncProperty(invalidKey, async (mutation) => {
        const response = await send(
          stack,
          'GET',
          `/order/${encodeURIComponent(String(mutation?.value))}`,
          alice,
        );
        judge('getOrder', response, (status) => status === 400);
      }),
    );
  });
  t.comment(tally.summary());
});
