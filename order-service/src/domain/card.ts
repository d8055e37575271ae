// Payment card numbers: normalisation, the Luhn check, last four and masking. The order service checks a
// number itself (it answers 400 before calling anyone); the brand comes from the tokenizer's card facts.

/** The brand codes of the tokenizer's card facts (`CardFacts.brand` of its contract). */
export type CardBrand =
  | 'visa'
  | 'mastercard'
  | 'amex'
  | 'discover'
  | 'jcb'
  | 'diners'
  | 'unionpay'
  | 'unknown';

export const cardBrands: readonly CardBrand[] = [
  'visa',
  'mastercard',
  'amex',
  'discover',
  'jcb',
  'diners',
  'unionpay',
  'unknown',
];

/** A validated card number, digits only. Keep it in memory only, never in a log, an error or a store. */
export interface CardNumber {
  readonly digits: string;
  readonly last4: string;
}

/** Digits only, 13 to 19 of them, once the spaces and hyphens people type are removed; else undefined. */
export function parseCardNumber(input: string): CardNumber | undefined {
  const digits = input.replace(/[ -]/g, '');
  if (!/^\d{13,19}$/.test(digits) || !passesLuhn(digits)) return undefined;
  return { digits, last4: digits.slice(-4) };
}

/** The Luhn (mod 10) check: every second digit from the right doubled, the sum a multiple of ten. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** All but the last four digits as `*`, as long as the number: `************1111`. */
export function maskCardNumber(digits: string): string {
  return '*'.repeat(Math.max(0, digits.length - 4)) + digits.slice(-4);
}

// 13 to 19 digits, possibly grouped by single spaces or hyphens, not inside a longer digit run.
const digitRun = /(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])/g;

/** True when free text holds something that looks like a card number (a Luhn-valid run of 13-19 digits). */
export function containsCardNumber(text: string): boolean {
  return (text.match(digitRun) ?? []).some(looksLikeCard);
}

/** Replaces every card-number-like run in free text (a URL, a log message) by `[card]`. */
export function redactCardNumbers(text: string): string {
  return text.replace(digitRun, (run) => (looksLikeCard(run) ? '[card]' : run));
}

function looksLikeCard(run: string): boolean {
  return passesLuhn(run.replace(/[ -]/g, ''));
}
