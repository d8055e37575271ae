// Payment card numbers: normalisation, the Luhn check and the brand from the number's prefix.

export type CardBrand =
  | 'visa'
  | 'mastercard'
  | 'amex'
  | 'discover'
  | 'jcb'
  | 'diners'
  | 'unionpay'
  | 'unknown';

/** Removes the spaces and dashes people type; undefined unless 13 to 19 digits remain. */
export function normalizeCardNumber(input: string): string | undefined {
  const digits = input.replace(/[\s-]/g, '');
  return /^\d{13,19}$/.test(digits) ? digits : undefined;
}

/** The Luhn (mod 10) sum of a digit string, doubling every second digit from the right. */
function luhnSum(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum;
}

export function passesLuhn(digits: string): boolean {
  return luhnSum(digits) % 10 === 0;
}

// Prefix ranges, most specific first: Discover's 622126-622925 overlaps UnionPay's 62.
const brandRanges: [CardBrand, number, number, number][] = [
  // [brand, prefix length, from, to]
  ['discover', 6, 622126, 622925],
  ['amex', 2, 34, 34],
  ['amex', 2, 37, 37],
  ['diners', 3, 300, 305],
  ['diners', 2, 36, 36],
  ['diners', 2, 38, 39],
  ['jcb', 4, 3528, 3589],
  ['mastercard', 2, 51, 55],
  ['mastercard', 4, 2221, 2720],
  ['discover', 4, 6011, 6011],
  ['discover', 3, 644, 649],
  ['discover', 2, 65, 65],
  ['unionpay', 2, 62, 62],
  ['visa', 1, 4, 4],
];

export function cardBrand(digits: string): CardBrand {
  for (const [brand, length, from, to] of brandRanges) {
    const prefix = Number(digits.slice(0, length));
    if (prefix >= from && prefix <= to) return brand;
  }
  return 'unknown';
}
