// Payment card numbers, the one implementation both services use: reading a number typed into a card field,
// the Luhn check, the brand and last four, and finding card numbers where none belongs (free text, metadata).
// Nothing here returns, logs or throws the digits it finds: callers get a boolean or positions.

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

/** A validated card number, ASCII digits only. Keep it in memory only, never in a log, an error or a store. */
export interface CardNumber {
  readonly digits: string;
  readonly last4: string;
}

// ---------------------------------------------------------------------------------------------------------
// A number typed into a card field.
//
// Rule: remove every whitespace character (Unicode White_Space: space, tab, no-break space...) and every
// dash (Unicode Dash_Punctuation: hyphen-minus, hyphen, en dash...), the grouping people type or paste;
// what remains must be 13 to 19 ASCII digits. Other digits (fullwidth, Arabic-Indic) are not accepted in a
// card field: a payment network takes ASCII digits, and such a number is refused, never stored.

const typedGrouping = /[\s\p{Pd}]/gu;

/** The digits of a typed card number, grouping removed; undefined unless 13 to 19 ASCII digits remain. */
export function normalizeCardNumber(input: string): string | undefined {
  const digits = input.replace(typedGrouping, '');
  return /^[0-9]{13,19}$/.test(digits) ? digits : undefined;
}

/** A typed card number that normalises (see above) and passes the Luhn check; else undefined. */
export function parseCardNumber(input: string): CardNumber | undefined {
  const digits = normalizeCardNumber(input);
  if (!digits || !passesLuhn(digits)) return undefined;
  return { digits, last4: lastFour(digits) };
}

// ---------------------------------------------------------------------------------------------------------
// Luhn, brand, last four.

/** The Luhn (mod 10) sum of digit values, every second digit from the right doubled. */
function luhnSum(values: ArrayLike<number>, start: number, end: number): number {
  let sum = 0;
  for (let i = end - 1, doubled = false; i >= start; i--, doubled = !doubled) {
    let digit = values[i] as number;
    if (doubled) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum;
}

function asciiDigitValues(digits: string): number[] | undefined {
  if (!/^[0-9]+$/.test(digits)) return undefined;
  return Array.from(digits, (digit) => digit.charCodeAt(0) - 48);
}

/** The Luhn check of a string of ASCII digits (false for anything else, the empty string included). */
export function passesLuhn(digits: string): boolean {
  const values = asciiDigitValues(digits);
  return values !== undefined && luhnSum(values, 0, values.length) % 10 === 0;
}

/** The digit that, appended to `payload` (ASCII digits), makes it pass the Luhn check. */
export function luhnCheckDigit(payload: string): string {
  const values = asciiDigitValues(payload);
  if (!values) throw new TypeError('a Luhn payload must be ASCII digits');
  // Appending a digit shifts every payload digit one place left: sum as if the check digit were 0.
  return String((10 - (luhnSum([...values, 0], 0, values.length + 1) % 10)) % 10);
}

// Prefix ranges, most specific first: Discover's 622126-622925 overlaps UnionPay's 62.
const brandRanges: readonly (readonly [CardBrand, prefixLength: number, from: number, to: number])[] = [
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

/** The brand of a normalised card number, from its prefix. */
export function cardBrand(digits: string): CardBrand {
  for (const [brand, length, from, to] of brandRanges) {
    const prefix = Number(digits.slice(0, length));
    if (prefix >= from && prefix <= to) return brand;
  }
  return 'unknown';
}

/** The last four digits of a normalised card number: all an application may keep of it. */
export function lastFour(digits: string): string {
  return digits.slice(-4);
}

/** All but the last four digits as `*`, as long as the number: `************1111`. */
export function maskCardNumber(digits: string): string {
  return '*'.repeat(Math.max(0, digits.length - 4)) + lastFour(digits);
}

// ---------------------------------------------------------------------------------------------------------
// Card numbers where none belongs.
//
// THE RULE. A text holds a card number when, after Unicode NFKC normalisation, it holds a run of decimal
// digits in which some 13 to 19 consecutive digits pass the Luhn check. In detail:
// - Digits: any character of general category Nd (decimal digit) of any script, read by its value. NFKC
//   already turns fullwidth, mathematical, superscript and circled digits into ASCII ones; Arabic-Indic,
//   Devanagari and the other scripts keep their own, and Unicode assigns each script's digits 0-9 as ten
//   consecutive code points, so a digit's value is its distance from the zero of its block.
// - Invisible characters are skipped as if absent: combining marks (Mn, Mc, Me) and default-ignorable code
//   points (zero-width space and joiners, soft hyphen, byte order mark, variation selectors...).
// - Between two digits of a run there may be nothing, ONE separator of any kind (a character that is not a
//   letter or a number: space, no-break space, dot, slash, underscore, hyphen, comma, newline...), or TWO
//   whitespace characters (`4111  1111  1111  1111`: double spaces come from typing, justified text and
//   PDF copies; an assessor would refuse them too). Anything else ends the run: a letter, a non-decimal
//   number such as a Roman numeral, two separators that are not both whitespace (`12, 34`), three or more.
// - Every window of 13 to 19 consecutive digits of a run is checked, so a card number with more digits
//   before or after it is still found.
// The cost: any 13-19 digit number written with those separators that passes Luhn (one in ten do) is taken
// for a card: a 13-15 digit phone number, a millisecond timestamp, `2026-01-15 10:30:45` (14 digits); long
// digit runs (about 25 digits and more) nearly always hold a Luhn-valid window. Runs of at most 12 digits
// never match: ordinary dates (with hours and minutes), postcodes, street addresses, order ids, phone
// numbers written `+1 (555) 123-4567` (a parenthesis next to a space ends a run).
//
// Each character is normalised on its own: for digits and separators that is what normalising the whole
// text gives (no composition involves them).

const minCardDigits = 13;
const maxCardDigits = 19;

const decimalDigit = /^\p{Nd}$/u;
const invisible = /^[\p{M}\p{Default_Ignorable_Code_Point}]$/u;
const whitespace = /^\s$/u;
const runBreaker = /^[\p{L}\p{N}]$/u;

type CharClass = { kind: 'digit'; value: number } | { kind: 'space' | 'separator' | 'breaker' | 'invisible' };

const digitValues = new Map<number, number>();

/** The value of an Nd code point: how far it lies from the start of its block of consecutive Nd points. */
function digitValue(codePoint: number): number {
  let value = digitValues.get(codePoint);
  if (value === undefined) {
    let distance = 0;
    while (codePoint - distance > 0 && decimalDigit.test(String.fromCodePoint(codePoint - distance - 1))) {
      distance++;
    }
    value = distance % 10;
    digitValues.set(codePoint, value);
  }
  return value;
}

function classify(char: string): CharClass {
  const codePoint = char.codePointAt(0) as number;
  if (codePoint >= 0x30 && codePoint <= 0x39) return { kind: 'digit', value: codePoint - 0x30 };
  if (invisible.test(char)) return { kind: 'invisible' };
  if (decimalDigit.test(char)) return { kind: 'digit', value: digitValue(codePoint) };
  if (whitespace.test(char)) return { kind: 'space' };
  if (runBreaker.test(char)) return { kind: 'breaker' };
  return { kind: 'separator' };
}

/** The NFKC form of one code point, as classified characters (`⒈` is a digit and a dot). */
function classesOf(char: string): CharClass[] {
  if (char.length === 1 && char.charCodeAt(0) < 0x80) return [classify(char)];
  return Array.from(char.normalize('NFKC'), classify);
}

/** The digit runs of a text, by the rule above: each run as its digits' values. */
function* digitRuns(text: string): Generator<number[]> {
  let run: number[] | undefined;
  let spaces = 0;
  let separators = 0;
  for (const char of text) {
    for (const charClass of classesOf(char)) {
      switch (charClass.kind) {
        case 'invisible':
          break;
        case 'space':
          spaces++;
          break;
        case 'separator':
          separators++;
          break;
        case 'breaker':
          if (run) yield run;
          run = undefined;
          break;
        case 'digit': {
          const gap = spaces + separators;
          const joins = gap <= 1 || (gap === 2 && separators === 0);
          if (run && joins) {
            run.push(charClass.value);
          } else {
            if (run) yield run;
            run = [charClass.value];
          }
          spaces = 0;
          separators = 0;
          break;
        }
      }
    }
  }
  if (run) yield run;
}

/** Some window of 13 to 19 consecutive digits of the run passes the Luhn check. */
function holdsCardNumber(values: readonly number[]): boolean {
  for (let length = minCardDigits; length <= Math.min(maxCardDigits, values.length); length++) {
    for (let start = 0; start + length <= values.length; start++) {
      if (luhnSum(values, start, start + length) % 10 === 0) return true;
    }
  }
  return false;
}

/** True when `text` holds a card-number-like run (the rule above). */
export function containsCardNumber(text: string): boolean {
  for (const run of digitRuns(text)) {
    if (holdsCardNumber(run)) return true;
  }
  return false;
}
