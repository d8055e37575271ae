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

/** The forms a card number may take in text: digits, and grouped by fours with hyphens or spaces. */
export function cardForms(digits: string): string[] {
  const grouped = digits.match(/.{1,4}/g) ?? [digits];
  return [digits, grouped.join('-'), grouped.join(' ')];
}

const allForms = testCardNumbers.flatMap((card) => cardForms(card).map((form) => ({ card, form })));

/** The test card numbers a text holds, in any of their forms. */
export function cardNumbersIn(text: string): string[] {
  return [...new Set(allForms.filter(({ form }) => text.includes(form)).map(({ card }) => card))];
}

/** Text holds no test card number in any of its forms. */
export function holdsNoCardNumber(text: string): boolean {
  return cardNumbersIn(text).length === 0;
}

/** A card number as a report may show it: the last four only. */
export function maskedCard(card: string): string {
  return `${'*'.repeat(card.length - 4)}${card.slice(-4)}`;
}
