// The card rules the tokenizer adds to the card module (@tokenization/service-kit/card, tested there):
// format-preserving tokens and masked reveals.

import { passesLuhn } from '@tokenization/service-kit/card';
import t from 'tap';
import { formatPreservingToken, randomDigitCount } from '../../src/domain/format-preserving-token.js';
import { maskValue } from '../../src/domain/masking.js';

t.test('format-preserving tokens keep length and kept digits, and always fail Luhn', async (t) => {
  for (const card of [
    '4111111111111111',
    '378282246310005',
    '6011111111111117',
    '4222222222222',
    '6200000000000000005',
  ]) {
    for (let i = 0; i < 500; i++) {
      const token = formatPreservingToken(card, 'last4');
      if (token.length !== card.length || token.slice(-4) !== card.slice(-4) || passesLuhn(token)) {
        t.fail(`bad token ${token} for a ${card.length}-digit card`);
        return;
      }
    }
  }
  const first6 = formatPreservingToken('4111111111111111', 'first6_last4');
  t.equal(first6.slice(0, 6), '411111');
  t.equal(first6.slice(-4), '1111');
  t.notOk(passesLuhn(first6));
  t.equal(randomDigitCount(16, 'last4'), 12);
  t.equal(randomDigitCount(16, 'first6_last4'), 6);
  t.equal(randomDigitCount(19, 'first6_last4'), 9);
});

t.test('masking keeps at most the last four (and the first six of long card numbers)', async (t) => {
  t.equal(maskValue('4111111111111111', { isCardNumber: true, showFirst6: false }), '************1111');
  t.equal(maskValue('4111111111111111', { isCardNumber: true, showFirst6: true }), '411111******1111');
  t.equal(
    maskValue('378282246310005', { isCardNumber: true, showFirst6: true }),
    '***********0005',
    '15 digits: last four only',
  );
  t.equal(maskValue('secret-name', { isCardNumber: false, showFirst6: true }), '*******name');
  t.equal(
    maskValue('abc', { isCardNumber: false, showFirst6: false }),
    '***',
    'short values are masked whole',
  );
  t.equal(maskValue('abcdef', { isCardNumber: false, showFirst6: false }), '****ef', 'never more than half');
});
