// Runs fast-check properties inside tap: a failure reports fast-check's counterexample and seed.
import fc from 'fast-check';
import type { Test } from 'tap';

/** Runs per property; CONTRACT_PROPERTY_RUNS raises it for a longer hunt, FC_SEED replays a failure. */
export const propertyRuns = Number(process.env.CONTRACT_PROPERTY_RUNS ?? 50);

/**
 * Each run sends real requests, so a failure is reported as found, not shrunk (FC_SHRINK=1 shrinks it,
 * which can take minutes); FC_SEED replays a reported seed.
 */
export function propertyParameters<T>(): fc.Parameters<T> {
  const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
  return {
    numRuns: propertyRuns,
    ...(seed === undefined ? {} : { seed }),
    endOnFailure: process.env.FC_SHRINK !== '1',
  };
}

/** Checks an async property and asserts it held, with the counterexample, its error and the seed if not. */
export async function assertProperty<T>(
  t: Test,
  name: string,
  property: fc.IAsyncPropertyWithHooks<T>,
): Promise<void> {
  const details = await fc.check(property, propertyParameters<T>());
  if (!details.failed) {
    t.pass(name);
    return;
  }
  const error =
    details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  const report = `${fc.defaultReportMessage(details) ?? ''}\nError: ${error}`;
  t.fail(name, { diagnostic: true, report });
  t.comment(report);
}

/** Counts statuses per operation, for a comment after each property (what the inputs actually reached). */
export class StatusTally {
  readonly #counts = new Map<string, number>();

  add(operationId: string, status: number): void {
    const key = `${operationId} ${status}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  count(operationId: string, predicate: (status: number) => boolean): number {
    let total = 0;
    for (const [key, count] of this.#counts) {
      const [id, status] = key.split(' ');
      if (id === operationId && predicate(Number(status))) total += count;
    }
    return total;
  }

  summary(): string {
    return [...this.#counts.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, count]) => `${key} ×${count}`)
      .join(', ');
  }
}

/** A request body as sent: bytes (or text) and the Content-Type it is sent with. */
export interface RawBody {
  description: string;
  body: string | Buffer;
  contentType: string;
}

/** Legal ways to send the same JSON: a server must treat them all as the plain compact form. */
export function legalEncodings(value: unknown): fc.Arbitrary<RawBody> {
  const text = JSON.stringify(value);
  const asciiOnly = text.replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return fc.record({
    description: fc.constant('legal encoding'),
    body: fc.constantFrom(text, JSON.stringify(value, null, 2), asciiOnly, ` \n${text}\t\r\n`),
    contentType: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json;charset=UTF-8',
      'Application/JSON',
    ),
  });
}

const invalidUtf8Sequences = [
  [0xff],
  [0xc0, 0xaf], // an overlong "/"
  [0xed, 0xa0, 0x80], // a UTF-16 surrogate encoded in UTF-8
  [0xe2, 0x82], // a truncated 3-byte sequence
];

/**
 * Bodies that are not the JSON object of a valid request, however close, one of each kind: each must be
 * answered with a 4xx. `n` varies the details (where to cut, which bytes, which media type).
 */
export function badEncodings(value: unknown, n: number): RawBody[] {
  const json = 'application/json';
  const text = JSON.stringify(value);
  // Invalid UTF-8 inside one of the string values (picked by `n`): a lossy decoder would change the
  // value silently, and only a pattern, where the field has one, would notice.
  const starts = [...text.matchAll(/[:[]"/g)].map((match) => match.index + 2);
  const at = starts.length === 0 ? 1 : (starts[n % starts.length] as number);
  const bytes = invalidUtf8Sequences[n % invalidUtf8Sequences.length] as number[];
  return [
    { description: 'truncated JSON', body: text.slice(0, n % text.length), contentType: json },
    {
      description: `invalid UTF-8 ${bytes.map((b) => b.toString(16)).join(' ')}`,
      body: Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at))]),
      contentType: json,
    },
    { description: 'trailing garbage', body: `${text}}`, contentType: json },
    {
      description: '__proto__ key',
      body: text.replace(/^\{/, '{"__proto__":{"polluted":true},'),
      contentType: json,
    },
    {
      description: 'constructor.prototype key',
      body: text.replace(/^\{/, '{"constructor":{"prototype":{"polluted":true}},'),
      contentType: json,
    },
    {
      description: 'not an object',
      body: ['[]', '"text"', '1', 'null', 'true', '[{}]'][n % 6] as string,
      contentType: json,
    },
    { description: 'single-quoted JSON', body: text.replaceAll('"', "'"), contentType: json },
    { description: 'UTF-16 body', body: Buffer.from(`\ufeff${text}`, 'utf16le'), contentType: json },
    { description: 'empty body', body: '', contentType: json },
    {
      description: 'JSON sent as another media type',
      body: text,
      contentType: ['text/plain', 'application/xml', 'application/octet-stream', 'multipart/form-data'][
        n % 4
      ] as string,
    },
  ];
}
