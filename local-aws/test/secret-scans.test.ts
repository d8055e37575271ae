// The whole-run secrets scans (tap-after.ts): card numbers in any typed form are found in log lines and in
// response bodies, a detokenize answer's revealed values are the only text left out, and a leak fails the
// run naming the test file.
import { spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import type { RecordedResponse } from '../src/test-support/response-capture.js';
import { describeScan, scanLogDirectory } from '../src/test-support/scan-logs.js';
import {
  describeResponseScan,
  scannedText,
  scanResponseDirectory,
} from '../src/test-support/scan-responses.js';
import { cardNumbersIn, testCardNumbers } from '../src/test-support/test-cards.js';

const [visa, mastercard, amex] = testCardNumbers;
const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

t.test('card numbers are found in every form a client may type them', async (t) => {
  const forms: [string, string, string][] = [
    ['plain', `{"url":"/v1/tokens/${visa}"}`, visa],
    ['by fours with spaces', 'card 4111 1111 1111 1111.', visa],
    ['by fours with dashes', '5555-5555-5555-4444', mastercard],
    ['amex grouping 4-6-5', '3782 822463 10005', amex],
    ['amex grouping with dashes', '3782-822463-10005', amex],
    ['dots', '4111.1111.1111.1111', visa],
    ['slashes', '4111/1111/1111/1111', visa],
    ['underscores', '4111_1111_1111_1111', visa],
    ['double spaces', '4111  1111  1111  1111', visa],
    ['no-break spaces', '4111\u00a01111\u00a01111\u00a01111', visa],
    ['an en dash', '4111\u20131111\u20131111\u20131111', visa],
    ['every digit apart', [...visa].join(' '), visa],
    ['URL-encoded spaces', '/v1/tokens/4111%201111%201111%201111', visa],
    ['URL-encoded dashes', '4111%2D1111%2D1111%2D1111', visa],
    [
      'fullwidth digits',
      '\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11',
      visa,
    ],
    [
      'Arabic-Indic digits',
      '\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661',
      visa,
    ],
    ['followed by more digits', `ref ${visa}0042`, visa],
  ];
  for (const [name, text, card] of forms) t.same(cardNumbersIn(text), [card], name);
  const nearMisses = [
    '4111 1111 1111 111',
    '************1111',
    '{"time":"2026-11-29T12:00:00.000Z","pid":41111,"reqId":"4111-1111-1111-1111-abcd"}'.replace(
      '4111-1111-1111-1111',
      '4111-1111-1111',
    ),
    '4111,1111,1111,1111',
  ];
  for (const text of nearMisses) t.same(cardNumbersIn(text), [], `not a card: ${text}`);
});

const response = (overrides: Partial<RecordedResponse>): RecordedResponse => ({
  test: 'x/test/a.test.ts',
  source: 'tokenizer app',
  method: 'POST',
  status: 200,
  body: '{}',
  ...overrides,
});

t.test('a detokenize answer is scanned without its revealed values, and only those', async (t) => {
  const revealed = response({
    operation: 'detokenize',
    route: '/v1/detokenize',
    body: JSON.stringify({ results: [{ token: 'tok_AAAAAAAAAAAAAAAAAAAAAA', value: visa }] }),
  });
  t.same(cardNumbersIn(scannedText(revealed).text), [], 'a legitimate reveal is no leak');
  t.ok(scannedText(revealed).reveal);
  const echoed = response({
    operation: 'detokenize',
    body: JSON.stringify({ results: [{ token: visa, error: { code: 'not_found' } }] }),
  });
  t.same(cardNumbersIn(scannedText(echoed).text), [visa], 'a card number echoed as a token is a leak');
  const problem = response({
    operation: 'detokenize',
    status: 400,
    body: JSON.stringify({ errors: [{ field: `/body/tokens/${visa}` }] }),
  });
  t.same(cardNumbersIn(scannedText(problem).text), [visa], 'a detokenize problem is scanned whole');
  const metadata = response({
    operation: 'getTokenMetadata',
    body: JSON.stringify({ metadata: { [visa]: 'x' } }),
  });
  t.same(cardNumbersIn(scannedText(metadata).text), [visa], 'any other 200 is scanned whole');
});

/** A run directory of this test's own (as tap-after.ts of a child of this process finds it). */
async function runDirectory(t: Test): Promise<string> {
  const directory = join(repositoryRoot, `.tap/logs/run-${process.pid}`);
  await rm(directory, { recursive: true, force: true });
  await mkdir(join(directory, 'responses'), { recursive: true });
  t.teardown(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

t.test('the scans name the test file of a leak and never print the card number', async (t) => {
  const directory = await runDirectory(t);
  await writeFile(join(directory, '123.ndjson'), `{"msg":"ok"}\n{"url":"/v1/tokens/${amex}"}\n`);
  await writeFile(join(directory, '123.test-file'), 'tokenizer-service/test/leaky.test.ts');
  const logs = await scanLogDirectory(directory);
  t.match(logs, { files: 1, lines: 2, leaks: [{ line: 2, test: 'tokenizer-service/test/leaky.test.ts' }] });
  const logReport = describeScan(logs);
  t.match(
    logReport,
    /not ok - .*\n.*card number \*{11}0005 logged by tokenizer-service\/test\/leaky\.test\.ts/,
  );

  const records = [
    response({ operation: 'detokenize', body: JSON.stringify({ results: [{ token: 't', value: visa }] }) }),
    response({
      test: 'order-service/test/leaky.test.ts',
      source: 'order app',
      method: 'GET',
      route: '/order/:CustomerOrder',
      status: 404,
      body: JSON.stringify({ instance: '/order/4111-1111-1111-1111' }),
    }),
  ];
  await writeFile(
    join(directory, 'responses', '456.ndjson'),
    `${records.map((record) => JSON.stringify(record)).join('\n')}\n`,
  );
  const responses = await scanResponseDirectory(join(directory, 'responses'));
  t.match(responses, {
    files: 1,
    responses: 2,
    reveals: 1,
    leaks: [{ test: 'order-service/test/leaky.test.ts' }],
  });
  const responseReport = describeResponseScan(responses);
  t.match(
    responseReport,
    /not ok - .*\n.*\*{12}1111 in a response of the order app \(GET \/order\/:CustomerOrder → 404\) in order-service\/test\/leaky\.test\.ts/,
  );
  t.same(cardNumbersIn(logReport + responseReport), [], 'the reports hold no card number');
});

/** Runs tap-after.ts as tap does, as a child of this process (so it scans this process's run directory). */
function runAfterScript(): { status: number | null; output: string } {
  const script = join(repositoryRoot, 'local-aws/src/test-support/tap-after.ts');
  const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
    cwd: repositoryRoot,
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  return { status: child.status, output: `${child.stdout}${child.stderr}` };
}

t.test('the after script fails the run on a card number in a response body alone', async (t) => {
  const directory = await runDirectory(t);
  await writeFile(join(directory, '1.ndjson'), '{"msg":"clean"}\n');
  await writeFile(
    join(directory, 'responses', '1.ndjson'),
    `${JSON.stringify(response({ test: 'x/test/echo.test.ts', body: JSON.stringify({ instance: `/v1/tokens/${visa}` }) }))}\n`,
  );
  const leaky = runAfterScript();
  t.equal(leaky.status, 1, 'exits non-zero');
  t.match(leaky.output, /ok - no test card number in any log line/);
  t.match(leaky.output, /not ok - no test card number in any response body.*\n.*in x\/test\/echo\.test\.ts/);

  await writeFile(
    join(directory, 'responses', '1.ndjson'),
    `${JSON.stringify(response({ body: JSON.stringify({ instance: '/v1/tokens/:token' }) }))}\n`,
  );
  const clean = runAfterScript();
  t.equal(clean.status, 0, 'a clean run passes');
  t.match(clean.output, /# response scan: 1 response bodies/);
});
