import { randomInt } from 'node:crypto';
import { passesLuhn } from '@tokenization/service-kit/card';

export type PreservedDigits = 'last4' | 'first6_last4';

/** Digits a format-preserving token of a card keeps in place. */
const keptDigits: Record<PreservedDigits, { head: number; tail: number }> = {
  last4: { head: 0, tail: 4 },
  first6_last4: { head: 6, tail: 4 },
};

/** Fewer random digits than this would make tokens guessable and collide early. */
export const minimumRandomDigits = 6;

/** How many digits of a token for a card of `length` digits are random. */
export function randomDigitCount(length: number, preserve: PreservedDigits): number {
  const { head, tail } = keptDigits[preserve];
  return length - head - tail;
}

/**
 * A token with the card's length and kept digits, random elsewhere, that always FAILS the Luhn check: a
 * token can never be mistaken for (or charged as) a card number, and never equals the card it stands for.
 * Precondition: `digits` is a normalised card number with at least `minimumRandomDigits` random digits.
 */
export function formatPreservingToken(digits: string, preserve: PreservedDigits): string {
  const { head, tail } = keptDigits[preserve];
  const middle = Array.from({ length: digits.length - head - tail }, () => randomInt(10));
  const assemble = () => digits.slice(0, head) + middle.join('') + digits.slice(digits.length - tail);
  let token = assemble();
  if (passesLuhn(token)) {
    // Changing one digit always changes the Luhn sum mod 10 (doubling maps digits one-to-one).
    middle[middle.length - 1] = ((middle.at(-1) ?? 0) + 1 + randomInt(9)) % 10;
    token = assemble();
  }
  return token;
}
