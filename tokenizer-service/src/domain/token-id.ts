import { randomBytes } from 'node:crypto';

export const randomTokenPrefix = 'tok_';

/**
 * The shape of every random token: the prefix, 22 base64url characters, and no run of 13 digits (a run
 * that long could be a card number; well-formed-token.ts shows anything outside this shape as a
 * placeholder, so a caller cannot smuggle a card number into logs inside a token-shaped string).
 */
export const randomTokenPattern = /^tok_(?![A-Za-z0-9_-]*\d{13})[A-Za-z0-9_-]{22}$/;

/**
 * A random token: `tok_` and 16 random bytes in base64url (128 bits, above the 122 of a UUIDv4).
 * The prefix and the letters make it impossible to confuse with a card number.
 */
export function randomToken(): string {
  for (;;) {
    const token = randomTokenPrefix + randomBytes(16).toString('base64url');
    // About one token in 3·10^9 holds 13 digits in a row: drawn again, so it always fits the pattern.
    if (randomTokenPattern.test(token)) return token;
  }
}
