// Every log line a test process's apps write is appended to the run's log directory, so that one scan at
// the end of the run (tap-after.ts) covers every test file, failed and crashed ones included.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLogDirectory } from './paths.js';

// Only under tap (it sets TAP=1 for its test processes): a file run on its own has no run to report to.
export const recordingTestRun = process.env.TAP === '1';
const file = join(runLogDirectory, `${process.pid}.ndjson`);
let directoryMade = false;

/** The test file this process runs (tap starts one process per file), as the scans name it. */
export const thisTestFile = relative(
  fileURLToPath(new URL('../../../', import.meta.url)),
  process.argv[1] ?? 'unknown',
);

/** Appends log lines (one JSON object each) to this process's file of the run; synchronous, so none is lost. */
export function recordLogLines(lines: readonly string[]): void {
  if (!recordingTestRun || lines.length === 0) return;
  if (!directoryMade) {
    mkdirSync(runLogDirectory, { recursive: true });
    // Beside the lines, which test file wrote them: the scan names it.
    appendFileSync(join(runLogDirectory, `${process.pid}.test-file`), thisTestFile);
    directoryMade = true;
  }
  appendFileSync(file, `${lines.join('\n')}\n`);
}
