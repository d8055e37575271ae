import fc from 'fast-check';
import t from 'tap';
import {
  cardBrand,
  containsCardNumber,
  lastFour,
  luhnCheckDigit,
  maskCardNumber,
  normalizeCardNumber,
  parseCardNumber,
  passesLuhn,
} from '../src/card.js';

// ---------------------------------------------------------------------------------------------------------
// Generators.

/** Luhn-valid numbers of every length from 13 to 19 (ASCII digits). */
/** ASCII digit strings of `min` to `max` digits. */
const digits = (min: number, max = min) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

/** Strings shaped like `pattern`: each `9` a digit, each `A` a capital letter, the rest as written. */
const shaped = (pattern: string) =>
  fc
    .tuple(
      ...Array.from(pattern, (char) => {
        if (char === '9') return fc.constantFrom(...'0123456789');
        if (char === 'A') return fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
        return fc.constant(char);
      }),
    )
    .map((chars) => chars.join(''));

/** Luhn-valid numbers of every length from 13 to 19 (ASCII digits). */
const cardNumbers = digits(12, 18).map((payload) => payload + luhnCheckDigit(payload));

/** The zero of every decimal digit block in Unicode (general category Nd): each is followed by 1-9. */
const digitZeros: number[] = (() => {
  const zeros: number[] = [];
  for (let codePoint = 0; codePoint <= 0x10ffff; codePoint++) {
    if (/\p{Nd}/u.test(String.fromCodePoint(codePoint))) {
      zeros.push(codePoint);
      codePoint += 9;
    }
  }
  return zeros;
})();

/** Scripts a generated number is written in: by the zero of the digits used, or per digit at random. */
const namedZeros = {
  ascii: 0x30,
  fullwidth: 0xff10,
  arabicIndic: 0x660,
  extendedArabicIndic: 0x6f0,
  devanagari: 0x966,
  bengali: 0x9e6,
  thai: 0xe50,
  mathematicalBold: 0x1d7ce,
  adlam: 0x1e950,
};
const scripts = fc.oneof(
  fc.constantFrom(...Object.values(namedZeros)).map((zero) => () => zero),
  fc.constantFrom(...digitZeros).map((zero) => () => zero),
  fc
    .array(fc.constantFrom(...Object.values(namedZeros)), { minLength: 19, maxLength: 19 })
    .map((zeros) => (i: number) => zeros[i] as number),
);

/** In one script (or a digit-by-digit mix): ASCII digits rewritten from the chosen zeros. */
function inScript(digits: string, zeroAt: (index: number) => number): string {
  return Array.from(digits, (digit, i) => String.fromCodePoint(zeroAt(i) + Number(digit))).join('');
}

/** Single separators of many kinds, and the double whitespace the rule also joins across. */
const joiningGaps = fc.constantFrom(
  ' ',
  '-',
  '.',
  '/',
  '_',
  ',',
  ':',
  '\u00a0', // no-break space
  '\u202f', // narrow no-break space
  '\u2009', // thin space
  '\u3000', // ideographic space
  '\u2013', // en dash
  '\u2212', // minus sign
  '\u30fb', // katakana middle dot
  '\uff0e', // fullwidth full stop
  '\t',
  '\n',
  '*',
  '  ',
  '\u00a0\u00a0',
  ' \u00a0',
  '\r\n',
);

/** Gaps that end a run: two separators that are not both whitespace, three or more, or a letter. */
const breakingGaps = fc.constantFrom('--', '..', '//', '__', '. ', ' - ', ', ', '   ', '-\u00a0', 'x', ' a ');

/** Invisible characters the rule skips (a digit with them is the digit). */
const invisibles = fc.constantFrom('', '', '', '\u200b', '\u00ad', '\u2060', '\ufeff', '\u0301', '\ufe0f');

/** Cuts digits into groups of 1 to 6 (a card may be grouped any way). */
function grouped(digits: string, sizes: readonly number[]): string[] {
  const chars = Array.from(digits); // by code point: a digit may lie outside the BMP
  const groups: string[] = [];
  let at = 0;
  for (let i = 0; at < chars.length; i++) {
    const size = sizes[i % sizes.length] as number;
    groups.push(chars.slice(at, at + size).join(''));
    at += size;
  }
  return groups;
}
const groupSizes = fc.oneof(
  fc.constant([4]),
  fc.constant([4, 6, 5]),
  fc.constant([100]),
  fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }),
);

/** A digit string written as a person or a tool might: any script, any grouping, joining gaps, invisibles. */
const rendered = (digits: string) =>
  fc
    .tuple(scripts, groupSizes, fc.array(joiningGaps, { minLength: 19, maxLength: 19 }), invisibles)
    .map(([zeroAt, sizes, gaps, invisible]) =>
      grouped(inScript(digits, zeroAt), sizes)
        .map((group, i) => (i === 0 ? group : `${gaps[i] as string}${group}`))
        .join(invisible),
    );

/** Text around a number: words (ending and starting with a letter), possibly with digits stuck to it. */
const before = fc.constantFrom('', 'Paid with ', 'PAN: ', 'card=', 'Deliver to ', 'n° ', '«', 'Ref 98');
const after = fc.constantFrom('', ' thanks', ', exp 12/29', ' (visa)', '!', '»', '765', '0 please');

// ---------------------------------------------------------------------------------------------------------
// A typed card number.

t.test('a typed card number: whitespace and dashes removed, 13 to 19 ASCII digits', async (t) => {
  t.equal(normalizeCardNumber('4111 1111-1111 1111'), '4111111111111111');
  t.equal(normalizeCardNumber('4111\u00a01111\t1111\u20131111'), '4111111111111111', 'NBSP, tab, en dash');
  t.equal(normalizeCardNumber(' 4111111111111111 '), '4111111111111111', 'pasted with spaces around');
  t.equal(normalizeCardNumber('4111-1111'), undefined, 'too short');
  t.equal(normalizeCardNumber('41111111111111111111'), undefined, 'too long');
  t.equal(normalizeCardNumber('4111x11111111111'), undefined, 'a letter');
  t.equal(normalizeCardNumber('4111.1111.1111.1111'), undefined, 'dots are not typed grouping');
  t.equal(
    normalizeCardNumber('４１１１１１１１１１１１１１１１'),
    undefined,
    'only ASCII digits in a card field',
  );
  t.same(parseCardNumber('4111-1111-1111-1111'), { digits: '4111111111111111', last4: '1111' });
  t.same(parseCardNumber('3782 822463 10005'), { digits: '378282246310005', last4: '0005' });
  t.same(parseCardNumber('0000-0000-0000-0000')?.last4, '0000', "the sample's placeholder is Luhn-valid");
  for (const invalid of [
    '4111111111111112',
    '411111111111',
    '41111111111111111111',
    '4111x111111111111',
    '',
  ]) {
    t.equal(parseCardNumber(invalid), undefined, `refused: "${invalid}"`);
  }
});

t.test('the Luhn check and check digit', async (t) => {
  t.ok(passesLuhn('4111111111111111'));
  t.ok(passesLuhn('378282246310005'));
  t.ok(passesLuhn('6011111111111117'));
  t.notOk(passesLuhn('4111111111111112'));
  t.notOk(passesLuhn(''), 'nothing is not a card');
  t.notOk(passesLuhn('4111 1111 1111 1111'), 'ASCII digits only: normalise first');
  t.equal(luhnCheckDigit('411111111111111'), '1');
  t.equal(luhnCheckDigit('37828224631000'), '5');
  t.throws(() => luhnCheckDigit('4111-1'), TypeError);
  fc.assert(
    fc.property(cardNumbers, fc.nat(18), fc.integer({ min: 1, max: 9 }), (card, at, change) => {
      const i = at % card.length;
      const altered = card.slice(0, i) + ((Number(card[i]) + change) % 10) + card.slice(i + 1);
      return passesLuhn(card) && !passesLuhn(altered);
    }),
  );
});

t.test('brands from the prefix', async (t) => {
  const cases: [string, string][] = [
    ['4111111111111111', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['2223003122003222', 'mastercard'],
    ['378282246310005', 'amex'],
    ['6011111111111117', 'discover'],
    ['6221260000000000', 'discover'],
    ['3530111333300000', 'jcb'],
    ['30569309025904', 'diners'],
    ['6200000000000005', 'unionpay'],
    ['9999999999999995', 'unknown'],
  ];
  for (const [number, brand] of cases) {
    t.equal(cardBrand(number), brand, `${number.slice(0, 6)}… is ${brand}`);
  }
});

t.test('last four and masks keep the length and only the last four digits', async (t) => {
  t.equal(lastFour('4111111111111111'), '1111');
  t.equal(maskCardNumber('4111111111111111'), '************1111');
  fc.assert(
    fc.property(cardNumbers, (digits) => {
      const masked = maskCardNumber(digits);
      return (
        masked.length === digits.length && masked.endsWith(lastFour(digits)) && /^\*+\d{4}$/.test(masked)
      );
    }),
  );
});

// ---------------------------------------------------------------------------------------------------------
// Card numbers where none belongs.

t.test("the issue's examples are found", async (t) => {
  const found = [
    '4111111111111111',
    '4111-1111-1111-1111',
    '4111 1111 1111 1111',
    '4111.1111.1111.1111',
    '4111/1111/1111/1111',
    '4111_1111_1111_1111',
    '4111  1111  1111  1111',
    '4111\u00a01111\u00a01111\u00a01111',
    '４１１１ １１１１ １１１１ １１１１',
    '٤١١١ ١١١١ ١١١١ ١١١١',
    '۴۱۱۱۱۱۱۱۱۱۱۱۱۱۱۱',
    '४१११११११११११११११',
    '𝟒𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏',
    '⁴¹¹¹ ¹¹¹¹ ¹¹¹¹ ¹¹¹¹', // superscripts: NFKC makes them digits
    '④①①①①①①①①①①①①①①①', // circled digits, likewise
    '41111111111111119876',
    '98764111111111111111',
    '4111\u200b1111\u00ad1111\ufeff1111',
    '4111\n1111\n1111\n1111',
    '378282246310005',
    '6200000000000000005',
  ];
  for (const text of found) {
    t.ok(containsCardNumber(`order note: ${text} ok`), `found: ${JSON.stringify(text)}`);
  }
});

t.test('every Unicode decimal digit block is read by its value', async (t) => {
  t.ok(digitZeros.length > 60, `${digitZeros.length} blocks`);
  // Valid cards using every digit 0-9, and invalid neighbours: a wrong value for any digit would turn one
  // of them around.
  const samples = [
    '4111111111111111',
    '5555555555554444',
    '6011000990139424',
    '30569309025904',
    '378282246310005',
  ];
  const numbers = samples.flatMap((card) => [card, `${card.slice(0, -1)}${(Number(card.at(-1)) + 5) % 10}`]);
  const misread: string[] = [];
  for (const zero of digitZeros) {
    const name = `U+${zero.toString(16).toUpperCase()}`;
    for (let digit = 0; digit <= 9; digit++) {
      if (!/\p{Nd}/u.test(String.fromCodePoint(zero + digit)))
        misread.push(`${name}: not ten digits in a row`);
    }
    for (const number of numbers) {
      if (containsCardNumber(inScript(number, () => zero)) !== containsCardNumber(number)) {
        misread.push(`${name}: ${number}`);
      }
    }
  }
  t.same(misread, [], 'each script reads as ASCII does');
  t.same(samples.map(containsCardNumber), [true, true, true, true, true]);
});

t.test(
  'generated card numbers in any script, grouping and separator, embedded in text, are found',
  async () => {
    fc.assert(
      fc.property(cardNumbers.chain(rendered), before, after, (number, prefix, suffix) => {
        return containsCardNumber(`${prefix}${number}${suffix}`);
      }),
      { numRuns: 3000 },
    );
  },
);

t.test('a run is found among other text; an order id is not a card', async (t) => {
  t.ok(containsCardNumber('PAN 4111 1111 1111 1111, exp 12/29'));
  t.ok(containsCardNumber('𝟒𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏!'));
  t.ok(containsCardNumber('/order/4111111111111111?x=1'));
  t.notOk(containsCardNumber('ref 4111111111111113'), 'a Luhn-invalid run');
  t.notOk(containsCardNumber('order 123456789'));
});

t.test('normalising the whole text first finds the same', async () => {
  const digitStrings = fc.oneof(cardNumbers, digits(13, 19));
  fc.assert(
    fc.property(digitStrings.chain(rendered), before, after, (number, prefix, suffix) => {
      const text = `${prefix}${number}${suffix}`;
      return containsCardNumber(text) === containsCardNumber(text.normalize('NFKC'));
    }),
    { numRuns: 1000 },
  );
});

// Near misses: what ordinary text holds and must not be taken for a card.

const phoneNumbers = fc.oneof(
  // North American, with the area code in parentheses: `(` and `) ` end a run.
  fc
    .tuple(
      shaped('999').filter((area) => area[0] !== '0' && area[0] !== '1'),
      digits(3),
      digits(4),
    )
    .chain(([area, exchange, line]) =>
      fc.constantFrom(
        `+1 (${area}) ${exchange}-${line}`,
        `(${area}) ${exchange}-${line}`,
        `${area}-${exchange}-${line}`,
        `+1 ${area} ${exchange} ${line}`,
      ),
    ),
  // International numbers of up to 12 digits, in groups of 2 to 4 with single separators.
  fc
    .tuple(
      digits(1, 3).filter((country) => country[0] !== '0'),
      fc.array(digits(2, 4), { maxLength: 4 }),
    )
    .filter(([country, groups]) => (country + groups.join('')).length <= 12)
    .chain(([country, groups]) =>
      fc.constantFrom(' ', '-', '.', '\u00a0').map((gap) => `+${[country, ...groups].join(gap)}`),
    ),
);

const dates = fc
  .tuple(
    fc.integer({ min: 1900, max: 2099 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 28 }),
  )
  .chain(([year, month, day]) => {
    const mm = String(month).padStart(2, '0');
    const dd = String(day).padStart(2, '0');
    return fc
      .tuple(
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 59 }),
      )
      .chain(([h, m, s]) => {
        const hh = String(h).padStart(2, '0');
        const mi = String(m).padStart(2, '0');
        const ss = String(s).padStart(2, '0');
        return fc.constantFrom(
          `${year}-${mm}-${dd}`,
          `${dd}/${mm}/${year}`,
          `${dd}.${mm}.${year}`,
          `${mm}/${dd}/${year} ${hh}:${mi}`,
          `${year}-${mm}-${dd}T${hh}:${mi}:${ss}.123Z`,
          `${day} March ${year}, ${hh}:${mi}`,
          `${year}年${month}月${day}日`,
        );
      });
  });

const postcodes = fc.oneof(
  shaped('99999'), // US ZIP
  shaped('99999-9999'), // US ZIP+4
  fc.constantFrom('A9 9AA', 'A99 9AA', 'AA9 9AA', 'AA99 9AA', 'AA9A 9AA').chain(shaped), // UK
  shaped('9999 AA'), // Netherlands
  shaped('999-9999'), // Japan
  shaped('99999-999'), // Brazil
  shaped('A9A 9A9'), // Canada
);

const addresses = fc
  .tuple(
    fc.integer({ min: 1, max: 99_999 }),
    fc.constantFrom('Main St', 'Avenue des Champs-Élysées', 'Hauptstraße', 'High Street', 'Calle Mayor'),
    fc.integer({ min: 1, max: 9_999 }),
    fc.constantFrom('Springfield', 'Las Vegas', 'Berlin', 'London', 'Paris'),
    postcodes,
  )
  .chain(([house, street, unit, city, postcode]) =>
    fc.constantFrom(
      `${house} ${street}, Apt ${unit}, ${city} ${postcode}`,
      `Flat ${unit}, ${house}-${house + 2} ${street}, ${city}, ${postcode}`,
      `${street} ${house}, ${postcode} ${city}`,
      `PO Box ${unit}, ${city}, ${postcode}`,
      'Reinvent2019, Las Vegas',
    ),
  );

const orderIds = fc.oneof(
  fc.constant('123456789'),
  digits(1, 12),
  fc.tuple(fc.constantFrom('order-', 'ORD_'), digits(1, 12)).map(([p, n]) => p + n),
);

/** Digit strings of 13-19 digits none of whose 13-19 digit windows passes Luhn. */
const luhnInvalidNumbers = digits(13, 19).filter((digits) => {
  for (let length = 13; length <= digits.length; length++) {
    for (let start = 0; start + length <= digits.length; start++) {
      if (passesLuhn(digits.slice(start, start + length))) return false;
    }
  }
  return true;
});

/** A valid card cut in two (each part under 13 digits) by a gap the rule does not join across. */
const brokenCards = fc.tuple(cardNumbers, fc.nat(), breakingGaps).map(([card, cut, gap]) => {
  const at = card.length - 12 + (cut % (25 - card.length)); // both parts at most 12 digits
  return `${card.slice(0, at)}${gap}${card.slice(at)}`;
});

t.test('near misses are not cards: phone numbers, dates, postcodes, addresses, order ids', async (t) => {
  for (const [name, texts] of [
    ['phone number', phoneNumbers],
    ['date', dates],
    ['postcode', postcodes],
    ['address', addresses],
    ['order id', orderIds],
    ['Luhn-invalid number', luhnInvalidNumbers.chain(rendered)],
    ['card broken by a double separator', brokenCards],
  ] as const) {
    const counterexample = fc.check(
      fc.property(texts, before, after, (text, prefix, suffix) => {
        // A prefix or suffix with digits would join the text's digits: keep those for the card tests.
        const around = (s: string) => (/[0-9]/.test(s) ? '' : s);
        return !containsCardNumber(`${around(prefix)}${text}${around(suffix)}`);
      }),
      { numRuns: 1000 },
    ).counterexample;
    t.same(counterexample, null, `no ${name} is taken for a card`);
  }
  const sampleAddress = 'Order 123456789 for Amazon Web Services, Reinvent2019, Las Vegas, NV 89109';
  t.notOk(containsCardNumber(sampleAddress), "the sample's order");
  t.notOk(containsCardNumber('4111   1111   1111   1111'), 'three spaces end a run');
  t.notOk(containsCardNumber('4111--1111--1111--1111'), 'two hyphens end a run');
  t.notOk(containsCardNumber('4111. 1111. 1111. 1111'), 'a dot and a space end a run');
  t.notOk(containsCardNumber('4111x1111x1111x1111'), 'letters end a run');
  t.notOk(containsCardNumber('Ⅳ111111111111111'), 'a Roman numeral is not a digit');
  t.notOk(containsCardNumber(''), 'nothing');
});
