// The secrets scan of a whole test run: every log line every test process recorded (log-capture.ts) is
// searched for the test card numbers, in every form (test-cards.ts: grouped by any separators, other
// scripts' digits, URL-encoded).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cardNumbersIn, maskedCard } from './test-cards.js';

export interface LogLeak {
  /** The process's log file, and the line number in it. */
  file: string;
  line: number;
  /** The test file that process ran (log-capture.ts writes it beside the lines). */
  test: string;
  /** The card numbers found, masked to their last four. */
  cards: string[];
}

export interface LogScan {
  files: number;
  lines: number;
  leaks: LogLeak[];
}

export async function scanLogDirectory(directory: string): Promise<LogScan> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => name.endsWith('.ndjson')).sort();
  } catch {
    return { files: 0, lines: 0, leaks: [] };
  }
  const scan: LogScan = { files: names.length, lines: 0, leaks: [] };
  for (const name of names) {
    const test = await readFile(join(directory, name.replace(/\.ndjson$/, '.test-file')), 'utf8').catch(
      () => 'an unknown test file',
    );
    const lines = (await readFile(join(directory, name), 'utf8')).split('\n');
    lines.forEach((text, index) => {
      if (text === '') return;
      scan.lines++;
      const cards = cardNumbersIn(text);
      if (cards.length > 0)
        scan.leaks.push({ file: name, line: index + 1, test, cards: cards.map(maskedCard) });
    });
  }
  return scan;
}

/** The scan as TAP-like lines for the end of a run; never a card number, only where one was found. */
export function describeScan(scan: LogScan): string {
  const verdict = scan.leaks.length === 0 ? 'ok' : 'not ok';
  const lines = [
    `# log scan: ${scan.lines} log lines from ${scan.files} test processes searched for test card numbers`,
    `${verdict} - no test card number in any log line of the run`,
  ];
  for (const leak of scan.leaks.slice(0, 20)) {
    lines.push(
      `#   card number ${leak.cards.join(', ')} logged by ${leak.test} at .tap/logs/…/${leak.file}:${leak.line}`,
    );
  }
  if (scan.leaks.length > 20) lines.push(`#   … and ${scan.leaks.length - 20} more lines`);
  lines.push(
    `# log scan: ${scan.leaks.length === 0 ? 1 : 0} passed, ${scan.leaks.length === 0 ? 0 : 1} failed`,
  );
  return lines.join('\n');
}
