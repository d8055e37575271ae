// `npm run bench`: throughput, latency, KMS calls, CPU and cold start of the services on the local stack,
// side by side with the raw floor (DynamoDB Local, node:crypto) and the original sample's design.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { waitUntil } from '../stack/child-service.js';
import { signUpAndSignIn } from '../stack/cognito-client.js';
import {
  authorizationPolicyFile,
  type LocalStack,
  type LocalStackOutputs,
  localCredentials,
  outputsFile,
  repositoryRoot,
  startLocalStack,
  startService,
  tokenizerEntry,
  tokenizerEnvironment,
} from '../stack/local-stack.js';
import { signedFetcher } from '../stack/signed-fetch.js';
import { type ColdStartReport, measureColdStarts } from './cold-start.js';
import { cipherFloor, StoreFloor } from './floor.js';
import { BenchUsageError, type FloorName, parseBenchOptions, type ScenarioName, usage } from './options.js';
import { CpuMeter, type ProcessRef } from './process-cpu.js';
import {
  type BenchReport,
  coldStartTable,
  consoleTable,
  formatRate,
  rowLabel,
  type ScenarioRun,
  tableRows,
  throughputChart,
  type Variant,
} from './report.js';
import { writeResults } from './results.js';
import { type Operation, runClosedLoop } from './runner.js';
import { summarize } from './stats.js';
import { evaluateTargets, targetLines } from './targets.js';
import { batchSize, OrderWorkload, TokenizerWorkload } from './workload.js';

type TokenizerScenario = Exclude<ScenarioName, 'order' | 'paybill'>;
const sampleScenarios: ScenarioName[] = ['tokenize', 'tokenize-batch', 'detokenize', 'detokenize-batch'];
const itemsPerRequest = (scenario: ScenarioName | FloorName) => (scenario.endsWith('-batch') ? batchSize : 1);
const verbose = process.env.LOCAL_STACK_VERBOSE === '1';

let options: ReturnType<typeof parseBenchOptions>;
try {
  options = parseBenchOptions(process.argv.slice(2), {
    cwd: process.env.INIT_CWD ?? process.cwd(),
    defaultOut: join(repositoryRoot, 'bench-results'),
  });
} catch (error) {
  if (!(error instanceof BenchUsageError)) throw error;
  console.error(`${error.message}\n\n${usage}`);
  process.exit(2);
}
if (options.help) {
  console.log(usage);
  process.exit(0);
}

const startedAt = new Date();
// The services' own lines: JSON logs are dropped, other lines (warnings, crashes) are counted for the
// report and the last ones kept to show if the bench fails. LOCAL_STACK_VERBOSE=1 prints everything.
const serviceMessages = new Map<string, number>();
const recentLines: string[] = [];
const relay = (name: string, line: string) => {
  if (verbose) console.error(`[${name}] ${line}`);
  if (line.startsWith('{') || line.trim() === '') return;
  const message = `[${name}] ${line.slice(0, 160)}`;
  serviceMessages.set(message, (serviceMessages.get(message) ?? 0) + 1);
  recentLines.push(message);
  if (recentLines.length > 30) recentLines.shift();
};
const tokenizerScenarios = options.scenarios.filter(
  (scenario): scenario is TokenizerScenario => scenario !== 'order' && scenario !== 'paybill',
);
const withSample =
  options.baselines.includes('sample') && tokenizerScenarios.some((s) => sampleScenarios.includes(s));
const withFloor = options.baselines.includes('floor');

console.error(
  `Benchmark: ${options.durationSeconds} s per run after ${options.warmupSeconds} s warm-up, concurrency ${options.concurrency.join(', ')}`,
);
const environment = await prepareStack();
const stoppers: (() => Promise<void>)[] = [environment.stop];
process.once('SIGINT', () => {
  console.error('\nInterrupted: stopping…');
  void stopAll().then(() => process.exit(130));
});

try {
  const report = await measure(environment);
  const rows = tableRows(report.runs);
  const targets = evaluateTargets(report);
  const files = await writeResults(options.out, report, targets, throughputChart(report));
  console.log(`\n${consoleTable(rows)}`);
  if (report.coldStart) console.log(`\n${coldStartTable(report.coldStart)}`);
  console.log(`\n${targetLines(targets).join('\n')}`);
  console.log(`\nWritten: ${files.join(', ')}`);
} catch (error) {
  if (recentLines.length > 0) console.error(`The services' last lines:\n${recentLines.join('\n')}`);
  throw error;
} finally {
  await stopAll();
}

async function stopAll(): Promise<void> {
  for (const stop of stoppers.splice(0).reverse()) await stop().catch(() => {});
}

interface BenchEnvironment {
  outputs: LocalStackOutputs;
  host: string;
  kmsStats(): Promise<Record<string, number>>;
  kmsReset(): Promise<void>;
  pids: Record<string, ProcessRef>;
  stop(): Promise<void>;
}

/** The bench's own stack on free ports (beside any `npm start`), or the running one with --use-running. */
async function prepareStack(): Promise<BenchEnvironment> {
  if (options.useRunning) {
    const outputs = JSON.parse(await readFile(outputsFile, 'utf8').catch(() => '{}')) as LocalStackOutputs;
    if (!outputs.TokenizerApiUrl)
      throw new Error(`--use-running: no ${outputsFile}; is \`npm start\` running?`);
    const kms = outputs.KmsEndpoint;
    console.error(`Using the running stack (${outputsFile}); CPU times of its processes are not measured.`);
    return {
      outputs,
      host: new URL(outputs.TokenizerApiUrl).hostname,
      kmsStats: async () => (await (await fetch(`${kms}/_local/stats`)).json()) as Record<string, number>,
      kmsReset: async () => void (await fetch(`${kms}/_local/stats/reset`, { method: 'POST' })),
      pids: { bench: 'self' },
      stop: async () => {},
    };
  }
  const host = '127.0.0.1';
  console.error('Starting a local stack for the benchmark (in memory, free ports)…');
  const stack: LocalStack = await startLocalStack(
    {
      host,
      region: 'us-east-1',
      ports: {
        dynamoDb: await freePort(host),
        kms: await freePort(host),
        cognito: await freePort(host),
        tokenizer: await freePort(host),
        orders: await freePort(host),
      },
      tables: { vault: 'BenchTokenVault', orders: 'BenchCustomerOrders' },
      writeOutputs: false,
    },
    relay,
  );
  return {
    outputs: stack.outputs,
    host,
    kmsStats: async () => stack.kms.stats(),
    kmsReset: async () => stack.kms.resetStats(),
    // `bench`: this process, the load generator, which also serves the local KMS.
    pids: {
      tokenizer: stack.pids.tokenizer,
      orders: stack.pids.orders,
      dynamodb: stack.pids.dynamoDb,
      bench: 'self',
    },
    stop: () => stack.stop(),
  };
}

async function measure(env: BenchEnvironment): Promise<BenchReport> {
  const { outputs } = env;
  const credentials = await localCredentials('bench');
  const fetcher = signedFetcher({ credentials, region: outputs.Region });
  const service = new TokenizerWorkload(outputs.TokenizerApiUrl, fetcher);
  const pids = { ...env.pids };

  let sample: TokenizerWorkload | undefined;
  if (withSample) {
    const port = await freePort(env.host);
    console.error(
      'Starting a second tokenizer in the sample design (ENCRYPTION_PROFILE=sample-per-item-signing)…',
    );
    const child = startService('sample tokenizer', tokenizerEntry, relay, {
      ...tokenizerEnvironment(outputs, env.host, port),
      ENCRYPTION_PROFILE: 'sample-per-item-signing',
    });
    stoppers.push(() => child.stop());
    sample = new TokenizerWorkload(`http://${env.host}:${port}`, fetcher);
    const probe = sample;
    await waitUntil(
      'the sample tokenizer',
      async () => (await probe.fetcher(`${probe.baseUrl}/health/ready`)).ok,
      {
        exited: child.exited,
      },
    );
    if (!options.useRunning) pids['sample tokenizer'] = child.process.pid;
  }

  const needsPool = tokenizerScenarios.some((s) => s.startsWith('detokenize'));
  console.error('Preparing tokens to detokenize…');
  const pools = {
    service: await service.tokenPool(needsPool ? 1_000 : 100),
    sample: sample && needsPool ? await sample.tokenPool(300) : [],
  };

  let floor: StoreFloor | undefined;
  if (withFloor) {
    floor = await StoreFloor.fromVaultItem({
      endpoint: outputs.DynamoDBEndpoint,
      region: outputs.Region,
      tableName: outputs.TokenVaultTableName,
      tenant: 'bench',
      token: pools.service[0] as string,
    });
    stoppers.push(async () => floor?.close());
  }

  let orders: OrderWorkload | undefined;
  if (options.scenarios.includes('order') || options.scenarios.includes('paybill')) {
    const email = `bench-${randomUUID().slice(0, 8)}@example.com`;
    const idToken = await signUpAndSignIn(
      outputs.CognitoEndpoint,
      { userPoolId: outputs.UserPoolId, clientId: outputs.UserPoolAppClientId },
      { email, password: `Bench-${randomUUID()}-Pa55!` },
    );
    orders = new OrderWorkload(outputs.PaymentMethodApiURL, idToken);
  }

  // The plan: at each concurrency, the floors first, then every scenario and its sample-design run.
  interface Planned {
    scenario: ScenarioName | FloorName;
    variant: Variant;
    concurrency: number;
    operation: () => Operation;
    prepare?: () => Promise<void>;
  }
  const plan: Planned[] = [];
  for (const concurrency of options.concurrency) {
    if (floor) {
      const store = floor;
      plan.push(
        {
          scenario: 'dynamodb-put',
          variant: 'floor',
          concurrency,
          operation: () => store.operation('dynamodb-put'),
        },
        {
          scenario: 'dynamodb-get',
          variant: 'floor',
          concurrency,
          operation: () => store.operation('dynamodb-get'),
        },
        { scenario: 'aes-256-gcm', variant: 'floor', concurrency, operation: cipherFloor },
      );
    }
    for (const scenario of options.scenarios) {
      if (scenario === 'order' || scenario === 'paybill') {
        const workload = orders as OrderWorkload;
        plan.push({
          scenario,
          variant: 'service',
          concurrency,
          operation: () => workload.operation(scenario, () => shortages++),
          ...(scenario === 'paybill'
            ? { prepare: () => workload.ensureUnpaid(paymentsNeeded(concurrency)) }
            : {}),
        });
        continue;
      }
      plan.push({
        scenario,
        variant: 'service',
        concurrency,
        operation: () => service.operation(scenario, pools.service),
      });
      if (sample && sampleScenarios.includes(scenario)) {
        const baseline = sample;
        plan.push({
          scenario,
          variant: 'sample',
          concurrency,
          operation: () => baseline.operation(scenario, pools.sample),
        });
      }
    }
  }

  const runs: ScenarioRun[] = [];
  let shortages = 0;
  const paymentsNeeded = (concurrency: number) => {
    const orderRun = runs.find((run) => run.scenario === 'order' && run.concurrency === concurrency);
    const rate = orderRun?.requestsPerSecond || 100;
    return Math.ceil(rate * 1.5 * (options.warmupSeconds + options.durationSeconds)) + concurrency;
  };

  const bars = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: ' {bar} {percentage}% | {step}/{steps} {what} | {status} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const log = (line: string) => (process.stderr.isTTY ? bars.log(`${line}\n`) : console.error(line));
  const steps = plan.length + (options.coldStartRuns > 0 ? 1 : 0);
  const bar = bars.create(steps, 0, { step: 0, steps, what: '', status: 'starting' });
  const runSeconds = options.warmupSeconds + options.durationSeconds;

  for (const [index, planned] of plan.entries()) {
    const what = `${rowLabel(planned)} · concurrency ${planned.concurrency}`;
    bar.update(index, { step: index + 1, what, status: 'preparing' });
    await planned.prepare?.();
    const cpu = new CpuMeter(pids);
    let kmsCalls: Record<string, number> = {};
    let cpuResult: ReturnType<CpuMeter['stop']> | undefined;
    const shortagesBefore = shortages;
    const started = performance.now();
    const result = await runClosedLoop({
      concurrency: planned.concurrency,
      warmupMs: options.warmupSeconds * 1000,
      durationMs: options.durationSeconds * 1000,
      operation: planned.operation(),
      onMeasureStart: async () => {
        await env.kmsReset();
        cpu.start();
      },
      onDrained: async () => {
        cpuResult = cpu.stop();
        kmsCalls = await env.kmsStats();
      },
      onTick: ({ phase, ended }) => {
        const elapsed = (performance.now() - started) / 1000;
        bar.update(index + Math.min(0.99, elapsed / runSeconds), {
          step: index + 1,
          what,
          status: `${phase}: ${ended} answers`,
        });
      },
    });
    const items = itemsPerRequest(planned.scenario);
    const itemsAfterWarmup = result.requestsAfterWarmup * items;
    const totalKms = Object.values(kmsCalls).reduce((sum, count) => sum + count, 0);
    const cpuMicrosPerItem: Record<string, number> = {};
    const cpuCores: Record<string, number> = {};
    for (const [name, micros] of Object.entries(cpuResult?.cpuMicros ?? {})) {
      if (itemsAfterWarmup > 0) cpuMicrosPerItem[name] = micros / itemsAfterWarmup;
      cpuCores[name] = micros / 1000 / (cpuResult?.elapsedMs ?? 1);
    }
    const notes: string[] = [];
    if (shortages > shortagesBefore)
      notes.push(`${shortages - shortagesBefore} orders were created during the run (too few prepared)`);
    const latencyMs = summarize(result.latenciesMs);
    if (latencyMs.p50 > result.windowMs)
      notes.push('requests outlasted the window: each counted for the share of its time inside it');
    const run: ScenarioRun = {
      scenario: planned.scenario,
      variant: planned.variant,
      concurrency: planned.concurrency,
      itemsPerRequest: items,
      windowMs: result.windowMs,
      requestsInWindow: result.requestsInWindow,
      failed: result.failed,
      requestsPerSecond: result.requestsInWindow / (result.windowMs / 1000),
      itemsPerSecond: (result.requestsInWindow * items) / (result.windowMs / 1000),
      itemsAfterWarmup,
      latencyMs,
      kmsCallsPer1000:
        planned.variant === 'floor'
          ? null
          : itemsAfterWarmup > 0
            ? (totalKms / itemsAfterWarmup) * 1000
            : null,
      kmsCalls,
      cpuMicrosPerItem,
      cpuCores,
      failures: result.failures,
      notes,
    };
    runs.push(run);
    log(
      `✔ ${what}: ${formatRate(run.itemsPerSecond)} items/s, p50 ${run.latencyMs.p50.toFixed(1)} ms, p99 ${run.latencyMs.p99.toFixed(1)} ms, ${run.failed} errors${run.kmsCallsPer1000 === null ? '' : `, ${formatRate(run.kmsCallsPer1000)} KMS calls/1k`}${run.failures.length ? ` (${run.failures.join('; ')})` : ''}`,
    );
  }

  let coldStart: ColdStartReport | undefined;
  if (options.coldStartRuns > 0) {
    bar.update(plan.length, { step: steps, what: 'cold start', status: 'bundling' });
    coldStart = await measureColdStarts(
      repositoryRoot,
      await lambdasUnderTest(outputs),
      options.coldStartRuns,
      (status) => bar.update(plan.length, { step: steps, what: 'cold start', status }),
    );
  }
  bar.update(steps, { status: 'done' });
  bars.stop();

  const cpuList = cpus();
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
      node: process.versions.node,
      platform: `${process.platform} ${process.arch}`,
      memoryGiB: Math.round(totalmem() / 1024 ** 3),
    },
    options: {
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      concurrency: options.concurrency,
      scenarios: options.scenarios,
      baselines: options.baselines,
      coldStartRuns: options.coldStartRuns,
      useRunning: options.useRunning,
    },
    ...(floor ? { vaultItemBytes: floor.itemBytes } : {}),
    runs,
    ...(coldStart ? { coldStart } : {}),
    serviceMessages: Object.fromEntries(serviceMessages),
  };
}

/** Both Lambda entries with the environment their CDK stacks give them, pointed at the local stack. */
async function lambdasUnderTest(outputs: LocalStackOutputs) {
  const common = { AWS_REGION: outputs.Region, LOG_LEVEL: 'info', NODE_OPTIONS: '--enable-source-maps' };
  const orderCredentials = await localCredentials('order-service');
  return [
    {
      name: 'tokenizer',
      entry: 'tokenizer-service/src/lambda.ts',
      userArn: 'arn:aws:sts::000000000000:assumed-role/bench/cold-start',
      environment: {
        ...common,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        TOKEN_VAULT_TABLE_NAME: outputs.TokenVaultTableName,
        KMS_KEY_ARN: outputs.KmsKeyArn,
        DYNAMODB_ENDPOINT: outputs.DynamoDBEndpoint,
        KMS_ENDPOINT: outputs.KmsEndpoint,
        AUTHORIZATION_POLICY: JSON.stringify(JSON.parse(await readFile(authorizationPolicyFile, 'utf8'))),
      },
    },
    {
      name: 'order-service',
      entry: 'order-service/src/lambda.ts',
      environment: {
        ...common,
        AWS_ACCESS_KEY_ID: orderCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: orderCredentials.secretAccessKey,
        ORDER_TABLE_NAME: outputs.CustomerOrderTableName,
        TOKENIZER_API_URL: outputs.TokenizerApiUrl,
        COGNITO_USER_POOL_ID: outputs.UserPoolId,
        COGNITO_CLIENT_ID: outputs.UserPoolAppClientId,
        COGNITO_ENDPOINT: outputs.CognitoEndpoint,
        DYNAMODB_ENDPOINT: outputs.DynamoDBEndpoint,
      },
    },
  ];
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
