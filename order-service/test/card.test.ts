// Card numbers where none belongs in an order: the free-text fields (CustomerOrder, the order's key, and
// CustomerName, Address) are checked with the service kit's detector, so every way of writing a card number
// that the earlier check let through (issue 13, finding 4) is now refused before anything is stored.
// The card rules themselves (normalisation, Luhn, the detector) are tested in service-kit/test/card.test.ts.
import { containsCardNumber } from '@tokenization/service-kit/card';
import t from 'tap';
import {
  assertNoCardNumberLogged,
  createOrderStack,
  holdsNoCardNumber,
  orderLogLines,
  sampleOrder,
  testCardNumbers,
} from './helpers/order-stack.js';

const [visa, mastercard, amex] = testCardNumbers as unknown as [string, string, string];

const fours = (digits: string, gap: string) => (digits.match(/.{1,4}/g) ?? []).join(gap);
const inScript = (digits: string, zero: number) =>
  digits.replace(/[0-9]/g, (digit) => String.fromCodePoint(zero + Number(digit)));

/** Each passed the earlier check (a regular expression over ASCII digits, single spaces or hyphens). */
const refused: { field: 'CustomerOrder' | 'CustomerName' | 'Address'; text: string; what: string }[] = [
  { field: 'CustomerOrder', text: fours(visa, '_'), what: 'underscores, as the order key' },
  { field: 'CustomerOrder', text: `${visa}9876`, what: 'followed by more digits, as the order key' },
  { field: 'CustomerOrder', text: `order-98${mastercard}`, what: 'after more digits, in the order key' },
  { field: 'CustomerName', text: fours(visa, '.'), what: 'dots' },
  { field: 'Address', text: `PAN ${fours(mastercard, '/')}`, what: 'slashes' },
  { field: 'Address', text: fours(visa, '_'), what: 'underscores' },
  { field: 'CustomerName', text: fours(visa, '  '), what: 'double spaces' },
  { field: 'Address', text: `card ${fours(mastercard, '\u00a0')}`, what: 'no-break spaces' },
  { field: 'CustomerName', text: inScript(visa, 0xff10), what: 'fullwidth digits' },
  { field: 'Address', text: `${inScript(fours(mastercard, ' '), 0x660)} Cairo`, what: 'Arabic-Indic digits' },
  { field: 'Address', text: `Ref ${amex}9999, Las Vegas`, what: 'followed by more digits' },
];

/** What must never appear anywhere for a refused text: the text itself, as JSON writes it, and its digits. */
function forms(text: string): string[] {
  const digits = text.replace(/[^0-9]/g, '');
  return [text, JSON.stringify(text).slice(1, -1), ...(digits.length >= 13 ? [digits] : [])];
}

t.test('a card number in any free-text field, however written: 400 naming the field', async (t) => {
  const stack = await createOrderStack(t);
  const token = stack.idProvider.idToken('alice-sub');
  for (const [i, { field, text, what }] of refused.entries()) {
    const response = await stack.request('POST', '/order', {
      token,
      body: sampleOrder({ CustomerOrder: `order-${i}`, [field]: text }),
    });
    t.equal(response.status, 400, `${field}, ${what}: 400`);
    t.same(
      response.json().errors,
      [{ field: `/body/${field}`, message: 'must not contain a card number' }],
      `${field}, ${what}: names the field`,
    );
    t.notOk(
      forms(text).some((form) => response.text.includes(form)) ||
        containsCardNumber(response.text) ||
        !holdsNoCardNumber(response.text),
      `${field}, ${what}: not echoed`,
    );
  }
  t.same(await stack.orderItems(), [], 'nothing reached the order table, as a key or otherwise');
  t.equal(await stack.vaultTokenCount(), 0, 'nothing was tokenized');
  const logs = orderLogLines.join('\n');
  t.same(
    refused.filter(({ text }) => forms(text).some((form) => logs.includes(form))).map(({ what }) => what),
    [],
    'no log line holds any of them',
  );
});

t.test('ordinary orders with numbers in their text are still taken', async (t) => {
  const stack = await createOrderStack(t);
  const token = stack.idProvider.idToken('alice-sub');
  const orders = [
    sampleOrder(),
    sampleOrder({
      CustomerOrder: 'order_2026_01_15_0001',
      CustomerName: 'ACME Corp. (+1 (555) 123-4567)',
      Address: '1600 Amphitheatre Parkway, Mountain View, CA 94043-1351, delivered 15/01/2026 10:30',
    }),
  ];
  for (const order of orders) {
    const response = await stack.request('POST', '/order', { token, body: order });
    t.equal(response.status, 200, `${order.CustomerOrder}: taken`);
  }
});

assertNoCardNumberLogged(t);
