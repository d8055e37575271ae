// `npm run soak`: the load-and-verify core (tokenizer-service/test/helpers/load-verify.ts, also run briefly by its tap
// tests) against a tokenizer of its own on loopback, for a bounded time, while faults are injected: KMS
// failing, KMS throttling, the vault store (DynamoDB Local, on disk) stopped and started again, the
// tokenizer process restarted. Then everything acknowledged is read back, the tokenizer's log lines are
// searched for the submitted values, and a summary is printed. Exit code 1 when anything was lost, leaked
// or answered with a defect.
//
// Options: --duration SECONDS (default 90, at most 3600), --concurrency N (default 8, at most 64).
// Loopback only: every part listens on 127.0.0.1 on free ports, none of the `npm start` defaults.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { type ChildService, startChildService, waitUntil } from '@tokenization/local-aws/child-service';
import { type DynamoDbLocal, freePort, startDynamoDbLocal } from '@tokenization/local-aws/dynamodb-local';
import { startLocalKms } from '@tokenization/local-aws/local-kms';
import {
  LoadAndVerify,
  type LoadReport,
  signedSender,
} from '@tokenization/tokenizer-service/test-support/load-verify';
import { vaultTableDefinition, vaultTtlAttribute } from '@tokenization/tokenizer-service/vault-table';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const host = '127.0.0.1';
const region = 'us-east-1';

const { values: options } = parseArgs({
  args: process.argv.slice(2),
  options: {
    duration: { type: 'string', default: '90' },
    concurrency: { type: 'string', default: '8' },
  },
  strict: true,
});
const durationSeconds = boundedInteger('--duration', options.duration, 10, 3_600);
const concurrency = boundedInteger('--concurrency', options.concurrency, 1, 64);

function boundedInteger(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

interface Fault {
  name: string;
  count: number;
  /** Total time the dependency was unavailable, in ms. */
  downMs: number;
}

const cleanups: (() => Promise<unknown>)[] = [];
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups.length = 0;
}
process.once('SIGINT', () => {
  console.error('\nSIGINT: stopping the soak');
  void cleanUp().then(() => process.exit(130));
});

const dataDirectory = await mkdtemp(join(tmpdir(), 'tokenization-soak-'));
cleanups.push(() => rm(dataDirectory, { recursive: true, force: true }));

try {
  const exitCode = await soak();
  await cleanUp();
  process.exit(exitCode);
} catch (error) {
  console.error(`The soak did not run to its end: ${(error as Error).stack ?? error}`);
  await cleanUp();
  process.exit(1);
}

async function soak(): Promise<number> {
  console.log(`Soak: ${durationSeconds} s, ${concurrency} clients, data in ${dataDirectory}`);
  // The vault store, on disk so that it can be stopped and started again without losing anything.
  const dynamoPort = await freePort(host);
  const dbPath = join(dataDirectory, 'dynamodb');
  await mkdir(dbPath, { recursive: true });
  let dynamo: DynamoDbLocal = await startDynamoDbLocal({
    host,
    port: dynamoPort,
    dbPath,
    readyTimeoutMs: 60_000,
  });
  cleanups.push(() => dynamo.stop());
  const tableName = 'SoakTokenVault';
  await createVaultTable(dynamo.endpoint, tableName);

  const kms = await startLocalKms({
    host,
    port: 0,
    region,
    keyMaterialFile: join(dataDirectory, 'kms-keys.json'),
  });
  cleanups.push(() => kms.close());

  // A principal of the soak's own, with fresh keys: nothing of the local stack's configuration is used.
  const principalArn = 'arn:aws:iam::000000000000:role/soak';
  const credentials = {
    accessKeyId: `AKIASOAK${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  const credentialsFile = join(dataDirectory, 'sigv4-credentials.json');
  await writeFile(credentialsFile, JSON.stringify([{ ...credentials, principalArn }]), { mode: 0o600 });
  const tokenizerPort = await freePort(host);
  const tokenizerEnvironment = {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    TOKEN_VAULT_TABLE_NAME: tableName,
    KMS_KEY_ARN: kms.keyArn,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    KMS_ENDPOINT: kms.endpoint,
    AUTHORIZATION_POLICY: JSON.stringify({
      principals: [
        {
          arn: principalArn,
          tenant: 'soak',
          permissions: ['tokenize', 'tokenize:deterministic', 'detokenize', 'metadata:read', 'delete'],
        },
      ],
    }),
    LOCAL_SIGV4_CREDENTIALS_FILE: credentialsFile,
    // Data keys live two seconds, so the KMS faults are felt under load (a warm 5-minute cache hides them).
    DATA_KEY_CACHE_MAX_AGE_SECONDS: '2',
    DEPENDENCY_TIMEOUT_MS: '1000',
    // The soak races deterministic tokenizations under load; the per-principal limit has its own tests.
    DETERMINISTIC_TOKENIZATIONS_PER_MINUTE: '1000000',
    LOG_LEVEL: 'info',
    TOKENIZER_HOST: host,
    TOKENIZER_PORT: String(tokenizerPort),
  };
  const logLines: string[] = [];
  const otherLines: string[] = [];
  const startTokenizer = async (): Promise<ChildService> => {
    const child = startChildService({
      name: 'tokenizer',
      command: process.execPath,
      args: ['--import', 'tsx', join(repositoryRoot, 'tokenizer-service/src/server.ts')],
      cwd: repositoryRoot,
      env: tokenizerEnvironment,
      onLine: (_name, line) => (line.startsWith('{') ? logLines : otherLines).push(line),
    });
    await waitUntil('the tokenizer', async () => (await health()) === 200, { exited: child.exited });
    return child;
  };
  const send = signedSender({ baseUrl: `http://${host}:${tokenizerPort}`, credentials, region });
  const health = async () =>
    (await send({ method: 'GET', path: '/health/ready' }, AbortSignal.timeout(5_000))).status;
  let tokenizer = await startTokenizer();
  cleanups.push(() => tokenizer.stop());

  const faults: Record<string, Fault> = {};
  const fault = async (name: string, inject: () => Promise<void>) => {
    const started = Date.now();
    await inject();
    faults[name] ??= { name, count: 0, downMs: 0 };
    const entry = faults[name];
    entry.count++;
    entry.downMs += Date.now() - started;
    console.log(`  fault: ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  };
  const kmsFault = (mode: 'fail' | 'throttle') => async () => {
    kms.setFault({ mode });
    await sleep(1_500);
    kms.setFault({ mode: 'none' });
  };
  const plan: [string, () => Promise<void>][] = [
    ['KMS failing', kmsFault('fail')],
    ['KMS throttling', kmsFault('throttle')],
    [
      'vault store stopped and started again',
      async () => {
        await dynamo.stop();
        await sleep(1_500);
        dynamo = await startDynamoDbLocal({ host, port: dynamoPort, dbPath, readyTimeoutMs: 60_000 });
      },
    ],
    [
      'tokenizer process restarted',
      async () => {
        await tokenizer.stop();
        tokenizer = await startTokenizer();
      },
    ],
  ];

  const load = new LoadAndVerify({ send, requestTimeoutMs: 10_000 });
  const started = Date.now();
  const deadline = started + durationSeconds * 1000;
  const stopLoad = new AbortController();
  // The plan once per minute (at least once), its faults spread evenly; the load runs at least until the
  // last fault is over, so that recovery is under load too.
  const cycles = Math.max(1, Math.floor(durationSeconds / 60));
  const gapMs = (durationSeconds * 1000) / (cycles * plan.length + 1);
  const injectFaults = async () => {
    for (let cycle = 0; cycle < cycles; cycle++) {
      for (const [name, inject] of plan) {
        await sleep(Math.max(500, Math.min(gapMs, deadline - Date.now() - 1_000)));
        await fault(name, inject);
      }
    }
    await sleep(Math.max(1_000, deadline - Date.now()));
    stopLoad.abort();
  };
  const progress = setInterval(() => {
    const report = load.report();
    const elapsed = Math.round((Date.now() - started) / 1000);
    console.log(
      `  ${elapsed} s: ${report.totalOperations} operations, ${JSON.stringify(compact(report.outcomes))}`,
    );
  }, 10_000);
  await Promise.all([
    load.run({ durationMs: 3_600_000, concurrency, signal: stopLoad.signal }),
    injectFaults(),
  ]);
  clearInterval(progress);
  const loadSeconds = (Date.now() - started) / 1000;

  console.log('  verifying everything acknowledged…');
  await load.verify({ patienceMs: 60_000 });
  const report = load.report();
  const leakedLines = load.linesHoldingValues(logLines);
  const defects = load.defects();
  printSummary(report, {
    loadSeconds,
    faults: Object.values(faults),
    logLines: logLines.length,
    leakedLines: leakedLines.length,
    defects,
  });
  return Object.keys(defects).length === 0 && leakedLines.length === 0 ? 0 : 1;
}

async function createVaultTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await client.send(new CreateTableCommand(vaultTableDefinition(tableName)));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: vaultTtlAttribute, Enabled: true },
      }),
    );
  } finally {
    client.destroy();
  }
}

function compact(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

function printSummary(
  report: LoadReport,
  run: {
    loadSeconds: number;
    faults: Fault[];
    logLines: number;
    leakedLines: number;
    defects: Record<string, number>;
  },
): void {
  const { outcomes, violations } = report;
  const lines = [
    '',
    `Soak summary: ${run.loadSeconds.toFixed(0)} s of load, ${concurrency} clients`,
    `  operations         ${report.totalOperations} (${Object.entries(report.operations)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')})`,
    `  answers            ok ${outcomes.ok}, 503 with Retry-After ${outcomes.unavailable}, no answer (restarts) ${outcomes.connection}; slowest ${report.maxLatencyMs} ms`,
    `  errors by class    5xx other than 503: ${outcomes['server-error']}, 503 without Retry-After: ${outcomes['unavailable-without-retry-after']}, unexpected 4xx: ${outcomes['unexpected-client-error']}, hangs (timeouts): ${outcomes.timeout}, values or internals in answers: ${violations.leakedInResponse}`,
    `  faults injected    ${run.faults.map((f) => `${f.name} ×${f.count} (${(f.downMs / 1000).toFixed(1)} s)`).join('; ')}`,
    `  acknowledged       random ${report.acknowledged.random}, deterministic values ${report.acknowledged.deterministic}, one-time ${report.acknowledged.oneTime}, deleted ${report.acknowledged.deleted}`,
    `  values verified    ${report.verification.verified} (answer lost, either state accepted: ${report.verification.uncertain}; one-time tokens spent without a seen reveal: ${report.verification.spentWithoutReveal})`,
    `  values lost        ${violations.lost} (wrong values ${violations.wrongValue}, revealed twice ${violations.revealedTwice}, deterministic conflicts ${violations.deterministicConflict}, deleted but revealed ${violations.resurrected})`,
    `  log lines scanned  ${run.logLines}, holding a submitted value: ${run.leakedLines}`,
    `  verdict            ${Object.keys(run.defects).length === 0 && run.leakedLines === 0 ? 'PASS' : `FAIL ${JSON.stringify(run.defects)}`}`,
  ];
  for (const detail of report.details) lines.push(`    ${detail}`);
  console.log(lines.join('\n'));
}
