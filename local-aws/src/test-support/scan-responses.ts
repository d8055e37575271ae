// The response scan of a whole test run: every response body every test process recorded
// (response-capture.ts) is searched for the test card numbers, in every form (test-cards.ts).
//
// One legitimate exception: a 200 answer of the tokenizer's `detokenize` reveals values, card numbers
// included, in `results[].value`. Only those values are left out; the rest of such a body (the echoed
// `token` of each result, error codes) is scanned like any other, since a card number sent where a token
// belongs must not come back there.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordedResponse } from './response-capture.js';
import { cardNumbersIn, maskedCard } from './test-cards.js';

export interface ResponseLeak {
  /** The test file, the answering side, and what was asked (method, route pattern, status). */
  test: string;
  source: string;
  request: string;
  /** The card numbers found, masked to their last four. */
  cards: string[];
}

export interface ResponseScan {
  files: number;
  responses: number;
  /** Detokenize answers whose revealed values were left out of the scan. */
  reveals: number;
  leaks: ResponseLeak[];
}

/** The text of a response the scan searches: the body, less the values a detokenize answer reveals. */
export function scannedText(response: Pick<RecordedResponse, 'operation' | 'status' | 'body'>): {
  text: string;
  reveal: boolean;
} {
  if (response.operation !== 'detokenize' || response.status !== 200) {
    return { text: response.body, reveal: false };
  }
  let answer: unknown;
  try {
    answer = JSON.parse(response.body);
  } catch {
    return { text: response.body, reveal: false };
  }
  const results = (answer as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return { text: response.body, reveal: false };
  const withoutValues = results.map((result) => {
    if (result === null || typeof result !== 'object') return result;
    const { value: _revealed, ...rest } = result as Record<string, unknown>;
    return rest;
  });
  return { text: JSON.stringify({ ...(answer as object), results: withoutValues }), reveal: true };
}

export async function scanResponseDirectory(directory: string): Promise<ResponseScan> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => name.endsWith('.ndjson')).sort();
  } catch {
    return { files: 0, responses: 0, reveals: 0, leaks: [] };
  }
  const scan: ResponseScan = { files: names.length, responses: 0, reveals: 0, leaks: [] };
  for (const name of names) {
    for (const line of (await readFile(join(directory, name), 'utf8')).split('\n')) {
      if (line === '') continue;
      const response = parsedRecord(line);
      scan.responses++;
      const { text, reveal } = scannedText(response);
      if (reveal) scan.reveals++;
      const cards = cardNumbersIn(text);
      if (cards.length === 0) continue;
      scan.leaks.push({
        test: response.test,
        source: response.source,
        request: `${response.method} ${response.route ?? '(no route)'} → ${response.status}`,
        cards: cards.map(maskedCard),
      });
    }
  }
  return scan;
}

/** A recorded line; one that does not parse (a process killed mid-write) is scanned as it is. */
function parsedRecord(line: string): RecordedResponse {
  try {
    return JSON.parse(line) as RecordedResponse;
  } catch {
    return { test: '(unreadable record)', source: 'unknown', method: '?', status: 0, body: line };
  }
}

/** The scan as TAP-like lines for the end of a run; never a card number, only where one was found. */
export function describeResponseScan(scan: ResponseScan): string {
  const verdict = scan.leaks.length === 0 ? 'ok' : 'not ok';
  const lines = [
    `# response scan: ${scan.responses} response bodies from ${scan.files} test processes searched for test card numbers (${scan.reveals} detokenize answers without their revealed values)`,
    `${verdict} - no test card number in any response body or problem of the run`,
  ];
  for (const leak of scan.leaks.slice(0, 20)) {
    lines.push(
      `#   card number ${leak.cards.join(', ')} in a response of the ${leak.source} (${leak.request}) in ${leak.test}`,
    );
  }
  if (scan.leaks.length > 20) lines.push(`#   … and ${scan.leaks.length - 20} more responses`);
  lines.push(
    `# response scan: ${scan.leaks.length === 0 ? 1 : 0} passed, ${scan.leaks.length === 0 ? 0 : 1} failed`,
  );
  return lines.join('\n');
}
