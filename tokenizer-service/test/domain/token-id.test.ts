import t from 'tap';
import { randomToken } from '../../src/domain/token-id.js';

t.test('random tokens: prefixed, 128 random bits, never a digit string', async (t) => {
  const tokens = Array.from({ length: 10_000 }, randomToken);
  t.equal(new Set(tokens).size, tokens.length, 'no repeats in 10,000');
  for (const token of tokens.slice(0, 100)) {
    t.match(token, /^tok_[A-Za-z0-9_-]{22}$/);
    t.equal(Buffer.from(token.slice(4), 'base64url').length, 16, '16 random bytes');
  }
  t.notOk(
    tokens.some((token) => /^\d{12,19}$/.test(token)),
    'no token can be mistaken for a card number',
  );
});
