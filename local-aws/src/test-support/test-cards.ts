// The card numbers the test suites submit, in one list: the log scans of every test file and of the whole
// run (tap-after.ts) look for these, in every form a client may type them.

/** Test card numbers (digits only). Tests index into this list: append, never reorder. */
export const testCardNumbers = [
  '4111111111111111',
  '5555555555554444',
  '378282246310005',
  '6011111111111117',
  '3530111333300000',
  '4012888888881881',
  // The simulated payment processor declines this one.
  '4000000000000002',
] as const;

/** Forms a test may send a card number in: digits, and grouped by fours with hyphens or spaces. */
export function cardForms(digits: string): string[] {
  const grouped = digits.match(/.{1,4}/g) ?? [digits];
  return [digits, grouped.join('-'), grouped.join(' ')];
}

// Between two digits of a number: up to three separators, each a space of any kind, a dash of any kind,
// `.`, `/`, `_`, `+`, or a URL-encoded space, dash or no-break space (`%20`, `%2D`, `%C2%A0`).
const separator = String.raw`(?:[\s\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d._/+]|%20|%2[dD]|%[cC]2%[aA]0)`;
// Runs of 13 digits or more: the shortest test card has 15.
const digitRun = new RegExp(`[0-9](?:${separator}{0,3}[0-9]){12,}`, 'g');
const separators = new RegExp(separator, 'g');

/**
 * The test card numbers a text holds, in any form a client may type them: plain, grouped by any
 * separators (`4111 1111 1111 1111`, `3782-822463-10005`, `4111.1111…`, double or no-break spaces,
 * URL-encoded), in fullwidth or other scripts' digits, or inside a longer run of digits.
 */
export function cardNumbersIn(text: string): string[] {
  const digitRuns = (asciiDigits(text).match(digitRun) ?? []).map((run) => run.replace(separators, ''));
  return testCardNumbers.filter((card) => digitRuns.some((run) => run.includes(card)));
}

/** NFKC (fullwidth digits become ASCII), then every other decimal digit (Arabic-Indic, …) as ASCII. */
function asciiDigits(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range, to skip the work for plain text
  if (/^[\u0000-\u007f]*$/.test(text)) return text;
  return text.normalize('NFKC').replace(/(?![0-9])\p{Nd}/gu, (digit) => String(digitValue(digit)));
}

/** Unicode puts each script's digits 0-9 in a row: a digit's value is its distance from its row's zero. */
function digitValue(digit: string): number {
  const code = digit.codePointAt(0) as number;
  let zero = code;
  while (zero > 0 && /\p{Nd}/u.test(String.fromCodePoint(zero - 1))) zero--;
  return (code - zero) % 10;
}

/** Text holds no test card number in any of its forms. */
export function holdsNoCardNumber(text: string): boolean {
  return cardNumbersIn(text).length === 0;
}

/** A card number as a report may show it: the last four only. */
export function maskedCard(card: string): string {
  return `${'*'.repeat(card.length - 4)}${card.slice(-4)}`;
}
