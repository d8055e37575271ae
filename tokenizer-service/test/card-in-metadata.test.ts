// Metadata is stored in clear and shown to callers without reveal rights (`metadata:read`): a card number
// must never be kept there, whichever way it is written, and the refusal must not repeat it.
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { containsCardNumber } from '@tokenization/service-kit/card';
import t from 'tap';
import {
  assertNoCardNumberLogged,
  capturedLogLines,
  createTestStack,
  type TestStack,
  testCardNumbers,
} from './helpers/test-stack.js';

const [visa, mastercard, amex] = testCardNumbers as unknown as [string, string, string];

const fullwidth = (digits: string) =>
  digits.replace(/[0-9]/g, (d) => String.fromCodePoint(0xff10 + Number(d)));
const arabicIndic = (digits: string) =>
  digits.replace(/[0-9]/g, (d) => String.fromCodePoint(0x660 + Number(d)));
const fours = (digits: string, gap: string) => (digits.match(/.{1,4}/g) ?? []).join(gap);

/** Metadata keys the contract's key pattern (`[A-Za-z0-9_.-]`) lets through, each holding a card number. */
const cardKeys = [
  visa,
  fours(visa, '.'),
  fours(visa, '_'),
  fours(mastercard, '-'),
  `pan.${amex}.x`,
  `order-${visa}999`,
];

/** Metadata values holding a card number, in the forms the issue lists. */
const cardValues = [
  fours(visa, ' '),
  fours(visa, '  '),
  fours(visa, '\u00a0'),
  fours(mastercard, '/'),
  `card ${fullwidth(visa)}`,
  `card ${arabicIndic(mastercard)}`,
  `ref ${amex}9999`,
];

/** What a response, a log line or a stored item must never hold for a refused card form. */
function forms(text: string): string[] {
  const digits = text.replace(/\D/g, '');
  return [text, JSON.stringify(text).slice(1, -1), ...(digits.length >= 13 ? [digits] : [])];
}

async function storedItems(stack: TestStack): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await stack.dynamoDb.send(new ScanCommand({ TableName: stack.tableName }));
  return Items;
}

const cases = [
  ...cardKeys.map((key) => ({ metadata: { [key]: 'v' }, text: key, holder: 'key' })),
  ...cardValues.map((value) => ({ metadata: { note: value }, text: value, holder: 'value' })),
];

t.test('a card number in a metadata key or value: 400 naming the field, never echoing it', async (t) => {
  const stack = await createTestStack(t);
  const itemsBefore = (await storedItems(stack)).length;
  for (const { metadata, text, holder } of cases) {
    const name = `${holder} ${JSON.stringify(text)}`;
    const response = await stack.inject({
      method: 'POST',
      url: '/v1/tokens',
      payload: { value: 'Jane Q. Public', metadata },
    });
    t.equal(response.statusCode, 400, `${name}: 400`);
    t.same(
      response.json().errors,
      [{ field: '/body/metadata', message: `A metadata ${holder} holds a card number.` }],
      `${name}: names the field, not the key`,
    );
    t.notOk(
      forms(text).some((form) => response.body.includes(form)) || containsCardNumber(response.body),
      `${name}: not echoed`,
    );
  }
  t.equal((await storedItems(stack)).length, itemsBefore, 'nothing was stored');
  const logs = capturedLogLines.join('\n');
  t.same(
    cases.filter(({ text }) => forms(text).some((form) => logs.includes(form))).map(({ text }) => text),
    [],
    'no log line holds any of them',
  );
});

t.test('in a batch, the item holding one fails with invalid_options; the others are tokenized', async (t) => {
  const stack = await createTestStack(t);
  const itemsBefore = (await storedItems(stack)).length;
  const items = cases.flatMap(({ metadata }) => [
    { value: 'refused', metadata },
    { value: 'kept', metadata: { note: 'fine' } },
  ]);
  const response = await stack.inject({ method: 'POST', url: '/v1/tokens/batch', payload: { items } });
  t.equal(response.statusCode, 200);
  const results = response.json().results as { token?: string; error?: { code: string; message: string } }[];
  t.same(
    results.filter((_, i) => i % 2 === 0).map((result) => result.error?.code),
    cases.map(() => 'invalid_options'),
    'every item with a card number in its metadata failed',
  );
  t.ok(
    results.filter((_, i) => i % 2 === 1).every((result) => typeof result.token === 'string'),
    'every other item got a token',
  );
  t.notOk(
    cases.some(({ text }) => forms(text).some((form) => response.body.includes(form))),
    'no card form is echoed',
  );
  const storedAfter = await storedItems(stack);
  t.equal(
    storedAfter.length - itemsBefore,
    cases.length,
    'one item per random token kept, none for the rest',
  );
  const stored = JSON.stringify(storedAfter);
  t.notOk(
    cases.some(({ text }) => forms(text).some((form) => stored.includes(form))),
    'no card form is stored',
  );
});

t.test('ordinary metadata is kept: order ids, dates, phone numbers, postcodes', async (t) => {
  const { inject } = await createTestStack(t);
  const metadata = {
    orderId: '123456789',
    placedOn: '2026-01-15T10:30:45.123Z',
    phone: '+1 (555) 123-4567',
    postcode: '90210-1234',
    address: '1600 Amphitheatre Parkway, Mountain View, CA 94043',
    'customer.id': 'c-42',
  };
  const created = await inject({ method: 'POST', url: '/v1/tokens', payload: { value: 'v', metadata } });
  t.equal(created.statusCode, 201);
  const read = await inject({ method: 'GET', url: `/v1/tokens/${created.json().token}` });
  t.same(read.json().metadata, metadata);
});

assertNoCardNumberLogged(t);
