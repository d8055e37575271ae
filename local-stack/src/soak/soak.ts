// `npm run soak`: the load-and-verify core (tokenizer-service/test/helpers/load-verify.ts, also run briefly by its tap
// tests) against a tokenizer of its own on loopback, for a bounded time, while faults are injected: KMS
// failing, KMS throttling, the vault store (DynamoDB Local, on disk) stopped and started again, the
// tokenizer process restarted, the payment processor failing and slow. Beside it, the order service pays
// orders through the tokenizer's forward operation to the payment processor stand-in (payments.ts). Under
// the load, the admin CLI rotates the load's tenant's branch key once and then re-encrypts the tenant
// (key-operations.ts), resuming from its checkpoint when a fault interrupts it; the load lasts until they
// are over. Then everything acknowledged is read back, every payment left unanswered is retried, the order
// table is reconciled with the processor's ledger, the log lines are searched for the submitted values, and
// a summary is printed, with the KMS calls per operation the stand-in counted. Exit code 1 when anything
// was lost, leaked, charged twice, answered with a defect, or a key operation did not finish.
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
import { startPaymentProcessor } from '@tokenization/local-aws/payment-processor';
import { readPaymentProcessorApiKey } from '@tokenization/local-aws/payment-processor-api-key';
import { keyStoreTableDefinition } from '@tokenization/tokenizer-service/adapters/key-store-table';
import {
  LoadAndVerify,
  type LoadReport,
  signedSender,
} from '@tokenization/tokenizer-service/test-support/load-verify';
import { vaultTableDefinition, vaultTtlAttribute } from '@tokenization/tokenizer-service/vault-table';
import { type AdminTarget, onboardTenants, vaultEnvironment } from '../stack/admin-cli.js';
import { KeyOperations, type KeyOperationsReport } from './key-operations.js';
import { type PaymentReport, PaymentSoak } from './payments.js';

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
/** The soak tokenizer's BRANCH_KEY_CACHE_TTL_SECONDS and TENANT_STATE_CACHE_SECONDS (the admin CLI's too). */
const branchKeyCacheSeconds = 5;
const tenantStateCacheSeconds = 5;
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
  const keyStoreTableName = 'SoakBranchKeyStore';
  await createTables(dynamo.endpoint, tableName, keyStoreTableName);

  // The vault key (the legacy format) and the key protecting the tenants' branch keys.
  const kms = await startLocalKms({
    host,
    port: 0,
    region,
    keys: 2,
    keyMaterialFile: join(dataDirectory, 'kms-keys.json'),
  });
  cleanups.push(() => kms.close());
  const adminTarget: AdminTarget = {
    Region: region,
    TokenVaultTableName: tableName,
    KmsKeyArn: kms.keyArn,
    KeyStoreTableName: keyStoreTableName,
    BranchKeyKmsKeyArn: (kms.keys[1] as { arn: string }).arn,
    DynamoDBEndpoint: dynamo.endpoint,
    KmsEndpoint: kms.endpoint,
  };
  // The admin CLI knows the tokenizer's cache times: it re-encrypts once every instance uses the new version.
  const adminEnv = {
    ...vaultEnvironment(adminTarget),
    BRANCH_KEY_CACHE_TTL_SECONDS: String(branchKeyCacheSeconds),
    TENANT_STATE_CACHE_SECONDS: String(tenantStateCacheSeconds),
  };
  // The policy's two tenants below, onboarded before the tokenizer starts (it caches an absence).
  const loadTenant = 'soak';
  await onboardTenants([loadTenant, 'soak-orders'], adminEnv);

  // A principal of the soak's own, with fresh keys: nothing of the local stack's configuration is used.
  const principalArn = 'arn:aws:iam::000000000000:role/soak';
  const credentials = {
    accessKeyId: `AKIASOAK${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  // The soak's order service, granted what the local policy grants the order service: no detokenize.
  const orderPrincipalArn = 'arn:aws:iam::000000000000:role/soak-order-service';
  const orderCredentials = {
    accessKeyId: `AKIASOAKORDERS${randomBytes(5).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  const credentialsFile = join(dataDirectory, 'sigv4-credentials.json');
  await writeFile(
    credentialsFile,
    JSON.stringify([
      { ...credentials, principalArn },
      { ...orderCredentials, principalArn: orderPrincipalArn },
    ]),
    { mode: 0o600 },
  );

  // The payment processor stand-in, in this process: its ledger is what the payments are reconciled with.
  const processorLines: string[] = [];
  const processor = await startPaymentProcessor({
    host,
    apiKey: await readPaymentProcessorApiKey(),
    log: (entry) => processorLines.push(JSON.stringify(entry)),
  });
  cleanups.push(() => processor.close());
  const tokenizerPort = await freePort(host);
  const tokenizerEnvironment = {
    ...vaultEnvironment(adminTarget),
    // Branch keys are read again every few seconds: KMS faults are felt under load, and new values are
    // sealed under the rotated version soon after the rotation (the default 5 minutes would outlast it).
    BRANCH_KEY_CACHE_TTL_SECONDS: String(branchKeyCacheSeconds),
    TENANT_STATE_CACHE_SECONDS: String(tenantStateCacheSeconds),
    AUTHORIZATION_POLICY: JSON.stringify({
      principals: [
        {
          arn: principalArn,
          tenant: loadTenant,
          permissions: ['tokenize', 'tokenize:deterministic', 'detokenize', 'metadata:read', 'delete'],
        },
        {
          arn: orderPrincipalArn,
          tenant: 'soak-orders',
          permissions: ['tokenize', 'verify', 'forward:payments', 'delete'],
        },
      ],
    }),
    // The local stack's connections: `payments` sent to the stand-in above, on loopback.
    CONNECTIONS_FILE: join(repositoryRoot, 'local-aws/config/connections.json'),
    CONNECTION_PAYMENTS_BASE_URL: processor.url,
    ALLOW_LOOPBACK_DESTINATIONS: 'true',
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

  const orderLines: string[] = [];
  const payments = await PaymentSoak.start({
    repositoryRoot,
    host,
    region,
    dynamoDbEndpoint: dynamo.endpoint,
    tokenizerUrl: `http://${host}:${tokenizerPort}`,
    orderCredentials,
    dataDirectory,
    processor,
    onLine: (line) => orderLines.push(line),
  });
  cleanups.push(() => payments.stop());

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
  // Failing: answers 503 and charges nothing. Slow: charges, and answers after the tokenizer's connection
  // timeout (5 s) and the order service's tokenizer timeout (3 s): the charge is made, its answer lost.
  const processorFault = (mode: 'fail' | 'slow') => async () => {
    processor.setFault(mode === 'slow' ? { mode, delayMs: 6_000 } : { mode });
    await sleep(1_500);
    processor.setFault({ mode: 'none' });
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
    ['payment processor failing', processorFault('fail')],
    ['payment processor slow', processorFault('slow')],
  ];

  const load = new LoadAndVerify({ send, requestTimeoutMs: 10_000 });
  const started = Date.now();
  const deadline = started + durationSeconds * 1000;
  // A third into the load: the rotation; once the tokenizer's caches have let go of the old version, the
  // re-encryption of the tenant (the CLI refuses it earlier), while the load and the faults go on.
  const keyOperations = new KeyOperations({
    tenant: loadTenant,
    env: adminEnv,
    checkpointFile: join(dataDirectory, `reencrypt-${loadTenant}.json`),
    log: (line) => console.log(`  ${line}`),
  });
  const runKeyOperations = async () => {
    await sleep(Math.max(1_000, (deadline - Date.now()) / 3));
    await keyOperations.rotate();
    await sleep((branchKeyCacheSeconds + tenantStateCacheSeconds + 1) * 1000);
    await keyOperations.reencrypt();
  };
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
    payments.run({ concurrency: Math.max(1, Math.ceil(concurrency / 4)), signal: stopLoad.signal }),
    // The load goes on until the faults and the key operations are over, so both run under load.
    Promise.all([injectFaults(), runKeyOperations()]).finally(() => stopLoad.abort()),
  ]);
  clearInterval(progress);
  const loadSeconds = (Date.now() - started) / 1000;

  console.log('  verifying everything acknowledged…');
  await load.verify({ patienceMs: 60_000 });
  console.log('  retrying unanswered payments, then reconciling orders with the processor ledger…');
  await payments.settle(60_000);
  const paymentReport = await payments.reconcile();
  const report = load.report();
  const allLines = [...logLines, ...orderLines, ...processorLines];
  const cards = payments.cards();
  const leakedLines =
    load.linesHoldingValues(allLines).length +
    allLines.filter((line) => cards.some((card) => line.includes(card))).length;
  const keyReport = keyOperations.report();
  const defects = { ...load.defects(), ...paymentDefects(paymentReport), ...keyReport.defects };
  printSummary(report, {
    loadSeconds,
    faults: Object.values(faults),
    logLines: allLines.length,
    leakedLines,
    defects,
    payments: paymentReport,
    keys: keyReport,
    kmsCalls: kms.stats(),
  });
  return Object.keys(defects).length === 0 && leakedLines === 0 ? 0 : 1;
}

/** The vault table (with its TTL) and the branch key store table. */
async function createTables(endpoint: string, tableName: string, keyStoreTableName: string): Promise<void> {
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
    await client.send(new CreateTableCommand(keyStoreTableDefinition(keyStoreTableName)));
  } finally {
    client.destroy();
  }
}

/** What the payment reconciliation counts as a defect, by name. */
function paymentDefects(report: PaymentReport): Record<string, number> {
  const counts: Record<string, number> = {
    'payments: double charges': report.doubleCharges,
    'payments: paid without their one charge': report.paidWithoutCharge,
    'payments: charges of unpaid orders': report.chargesOfUnpaidOrders,
    'payments: charges of no order': report.strayCharges,
    'payments: never answered': report.unsettled,
    ...Object.fromEntries(Object.entries(report.payments.other).map(([what, n]) => [`payments: ${what}`, n])),
  };
  return compact(counts);
}

/** The stand-in's counters per KMS operation (faulted calls included), and per 1,000 token operations. */
function kmsSummary(calls: Record<string, number>, operations: number): string {
  const total = Object.values(calls).reduce((sum, count) => sum + count, 0);
  const perOperation = Object.entries(calls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
  const rate = operations > 0 ? ((total / operations) * 1000).toFixed(1) : '–';
  return `${total} (${perOperation || 'none'}) = ${rate} per 1,000 token operations, faults, restarts and the branch key cache of ${branchKeyCacheSeconds} s included`;
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
    payments: PaymentReport;
    keys: KeyOperationsReport;
    kmsCalls: Record<string, number>;
  },
): void {
  const paid = run.payments;
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
    `  payments           orders ${paid.orders}; paid ${paid.payments.paid}, declined ${paid.payments.declined}, 503 or no answer ${paid.payments.unavailable} (settled by a retry ${paid.settledByRetry}, never answered ${paid.unsettled})`,
    `  processor ledger   ${paid.ledger} charges; double charges ${paid.doubleCharges}, charges lost (paid orders without their one charge ${paid.paidWithoutCharge}, charges of unpaid orders ${paid.chargesOfUnpaidOrders}, of no order ${paid.strayCharges})`,
    ...run.keys.lines.map(
      (line, index) => `  ${index === 0 ? 'key operations    ' : '                  '} ${line}`,
    ),
    `  KMS calls          ${kmsSummary(run.kmsCalls, report.totalOperations)}`,
    `  log lines scanned  ${run.logLines}, holding a submitted value: ${run.leakedLines}`,
    `  verdict            ${Object.keys(run.defects).length === 0 && run.leakedLines === 0 ? 'PASS' : `FAIL ${JSON.stringify(run.defects)}`}`,
  ];
  for (const detail of report.details) lines.push(`    ${detail}`);
  console.log(lines.join('\n'));
}
