import { randomBytes } from 'node:crypto';

export const randomTokenPrefix = 'tok_';

/**
 * A random token: `tok_` and 16 random bytes in base64url (128 bits, above the 122 of a UUIDv4).
 * The prefix and the letters make it impossible to confuse with a card number.
 */
export function randomToken(): string {
  return randomTokenPrefix + randomBytes(16).toString('base64url');
}
