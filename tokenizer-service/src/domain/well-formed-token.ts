// What a token of this service looks like, so that nothing else a caller sends where a token belongs (a
// card number, first of all) is ever looked up, logged, audited or echoed.
import { passesLuhn } from '@tokenization/service-kit/card';
import { randomTokenPattern } from './token-id.js';

/** Said instead of text that is not a well-formed token. It fits the contract's `Token` schema. */
export const notATokenPlaceholder = 'not-a-token';

const digitsOnly = /^\d{13,19}$/;

/**
 * A token this service could have issued: a random token (`tok_` and 22 base64url characters, see
 * token-id.ts) or a format-preserving card token (13 to 19 digits that FAIL the Luhn check, see
 * format-preserving-token.ts). A card number passes the Luhn check, so it is never a well-formed token,
 * grouped or not.
 */
export function isWellFormedToken(text: string): boolean {
  if (randomTokenPattern.test(text)) return true;
  return digitsOnly.test(text) && !passesLuhn(text);
}

/** `text` when it is a well-formed token, else the placeholder: what logs, audit events and answers show. */
export function tokenOrPlaceholder(text: string): string {
  return isWellFormedToken(text) ? text : notATokenPlaceholder;
}
