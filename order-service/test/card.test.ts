import fc from 'fast-check';
import t from 'tap';
import {
  containsCardNumber,
  maskCardNumber,
  parseCardNumber,
  passesLuhn,
  redactCardNumbers,
} from '../src/domain/card.js';
import { requestFingerprint } from '../src/domain/order.js';

/** Appends the Luhn check digit to a digit string. */
function withCheckDigit(body: string): string {
  for (let digit = 0; digit <= 9; digit++) {
    if (passesLuhn(`${body}${digit}`)) return `${body}${digit}`;
  }
  throw new Error('unreachable');
}

const cardNumbers = fc
  .stringMatching(/^[1-9]\d{11,17}$/)
  .map(withCheckDigit)
  .filter((digits) => digits.length >= 13);

t.test('card numbers: digits with optional single spaces or hyphens, 13 to 19, Luhn-valid', async (t) => {
  t.same(parseCardNumber('4111-1111-1111-1111'), { digits: '4111111111111111', last4: '1111' });
  t.same(parseCardNumber('3782 822463 10005'), { digits: '378282246310005', last4: '0005' });
  t.same(parseCardNumber('0000-0000-0000-0000')?.last4, '0000', "the sample's placeholder is Luhn-valid");
  for (const invalid of [
    '4111111111111112',
    '411111111111',
    '41111111111111111111',
    '4111x111111111111',
    '',
  ]) {
    t.equal(parseCardNumber(invalid), undefined, `refused: "${invalid}"`);
  }
});

t.test('masks keep the length and only the last four digits', async (t) => {
  t.equal(maskCardNumber('4111111111111111'), '************1111');
  fc.assert(
    fc.property(cardNumbers, (digits) => {
      const masked = maskCardNumber(digits);
      return (
        masked.length === digits.length && masked.endsWith(digits.slice(-4)) && /^\*+\d{4}$/.test(masked)
      );
    }),
  );
});

t.test('every Luhn-valid number is found in free text and redacted, grouped or not', async (t) => {
  fc.assert(
    fc.property(cardNumbers, fc.constantFrom('', ' ', '-'), (digits, separator) => {
      const grouped = (digits.match(/.{1,4}/g) ?? []).join(separator);
      const text = `order for ${grouped}, thanks`;
      return (
        containsCardNumber(text) &&
        !redactCardNumbers(text).includes(grouped) &&
        parseCardNumber(grouped) !== undefined
      );
    }),
  );
  t.equal(redactCardNumbers('/order/4111111111111111?x=1'), '/order/[card]?x=1');
  t.notOk(containsCardNumber('order 123456789, 12 Main Street'), 'short numbers are not cards');
  t.notOk(containsCardNumber('4111111111111112'), 'a Luhn-invalid run is not a card');
  t.equal(redactCardNumbers('ref 4111111111111112'), 'ref 4111111111111112', 'and stays');
});

t.test('the request fingerprint covers every field but the card, of which only the last four', async (t) => {
  const base = { customerOrder: '1', customerName: 'n', address: 'a', cardLast4: '1111' };
  const fingerprint = requestFingerprint(base);
  t.match(fingerprint, /^[A-Za-z0-9_-]{43}$/);
  t.equal(requestFingerprint({ ...base }), fingerprint, 'stable');
  for (const field of Object.keys(base) as (keyof typeof base)[]) {
    t.not(requestFingerprint({ ...base, [field]: `${base[field]}x` }), fingerprint, `${field} changes it`);
  }
  t.not(
    requestFingerprint({ ...base, customerName: 'n","a' }),
    requestFingerprint({ ...base, customerName: 'n', address: '","a' }),
    'fields cannot run into each other',
  );
});
