// tap `after` script: stops the DynamoDB Local started by tap-before.ts, then scans every log line and every
// response body of the run for test card numbers. A leak exits non-zero, which tap's runner passes on as
// its own exit code (@tapjs/run's after.js, through foreground-child): `npm test` fails.
import { readFile, rm } from 'node:fs/promises';
import { killProcess } from '../dynamodb/dynamodb-local.js';
import { dynamoDbStateFile, runLogDirectory, runResponseDirectory } from './paths.js';
import { describeScan, scanLogDirectory } from './scan-logs.js';
import { describeResponseScan, scanResponseDirectory } from './scan-responses.js';

try {
  const { pid } = JSON.parse(await readFile(dynamoDbStateFile, 'utf8')) as { pid: number };
  killProcess(pid);
  await rm(dynamoDbStateFile, { force: true });
} catch {
  // nothing was started (DYNAMODB_ENDPOINT was given)
}

const scan = await scanLogDirectory(runLogDirectory);
console.log(describeScan(scan));
const responseScan = await scanResponseDirectory(runResponseDirectory);
console.log(describeResponseScan(responseScan));
if (scan.leaks.length > 0 || responseScan.leaks.length > 0) {
  // The files stay for inspection (.tap/ is ignored by git).
  process.exitCode = 1;
} else {
  await rm(runLogDirectory, { recursive: true, force: true });
}
