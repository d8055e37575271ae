// The measurement plan (every scenario and baseline at every concurrency) and one closed-loop run of each.
import { randomUUID } from 'node:crypto';
import { signUpAndSignIn } from '@tokenization/local-aws/cognito-client';
import { localCredentials } from '../stack/local-stack.js';
import { signedFetcher } from '../stack/signed-fetch.js';
import type { BenchEnvironment } from './environment.js';
import { cipherFloor, type DynamoDbWarmup, StoreFloor, warmDynamoDb } from './floor.js';
import { LoadGenerator, type LoadSpec, type TokenizerCaller } from './generator.js';
import type { TokenizerScenario } from './load-generator.js';
import type { BenchOptions, FloorName, ScenarioName } from './options.js';
import { CpuMeter } from './process-cpu.js';
import { rowLabel, type ScenarioRun, type Variant } from './report.js';
import { type ClosedLoopResult, type Operation, runClosedLoop } from './runner.js';
import { median, summarize } from './stats.js';
import { batchSize, TokenizerWorkload } from './workload.js';

/** The scenarios also run against the sample design. */
export const sampleScenarios: readonly ScenarioName[] = [
  'tokenize',
  'tokenize-batch',
  'detokenize',
  'detokenize-batch',
];

/**
 * The bench's callers, each of its own tenant in the local policy: the tokenizer scenarios send their
 * requests to them in turn, so that the KMS calls are measured with a branch key per tenant.
 */
export const benchRoles = ['bench', 'bench-2', 'bench-3'] as const;

export interface Progress {
  /** Run `step` of `steps` is at `fraction` (0 to 1). */
  update(step: number, steps: number, what: string, status: string, fraction?: number): void;
  log(line: string): void;
}

interface Planned {
  scenario: ScenarioName | FloorName;
  variant: Variant;
  concurrency: number;
  /** In this process (the floors), or over HTTP in the load generator's process. */
  run: { operation: () => Operation } | { load: LoadSpec };
  /** Untimed, before the run (orders to pay). */
  prepare?: () => Promise<void>;
  pass: number;
  /** Tokenizer runs: the tenants their requests go to. */
  tenants?: number;
}

export interface Measurements {
  runs: ScenarioRun[];
  /** Size of the vault item the store floor copies. */
  vaultItemBytes?: number;
  dynamoDbWarmup?: DynamoDbWarmup;
}

type Measured = Pick<
  BenchOptions,
  | 'scenarios'
  | 'baselines'
  | 'concurrency'
  | 'durationSeconds'
  | 'warmupSeconds'
  | 'passes'
  | 'httpClient'
  | 'dynamoDbWarmupSeconds'
>;

/**
 * DynamoDB Local warmed first; then `passes` passes, each at every concurrency: the floors, then every
 * scenario, each followed by its sample-design run (A B A B …). Each run's passes are merged (their median
 * throughput, their spread) into one ScenarioRun.
 */
export async function measureScenarios(
  env: BenchEnvironment,
  options: Measured,
  progress: Progress,
  extraSteps = 0,
): Promise<Measurements> {
  const { outputs } = env;
  const credentials = await Promise.all(benchRoles.map((role) => localCredentials(role)));
  const workloadOf = (baseUrl: string, caller: (typeof credentials)[number]) =>
    new TokenizerWorkload(baseUrl, signedFetcher({ credentials: caller, region: outputs.Region }));
  const [firstCaller] = credentials as [(typeof credentials)[number]];
  const generator = new LoadGenerator(options.httpClient, process.cwd());
  const pids = { ...env.pids, generator: generator.pid };
  const tokenizerLoad = (
    baseUrl: string,
    scenario: TokenizerScenario,
    callers: TokenizerCaller[],
  ): Planned['run'] => ({
    load: { kind: 'tokenizer', scenario, baseUrl, region: outputs.Region, callers },
  });
  const detokenizing = options.scenarios.some((scenario) => scenario.startsWith('detokenize'));

  progress.log(`Preparing tokens to detokenize (tenants ${benchRoles.join(', ')})…`);
  // 1,600 tokens in all, whole batches per tenant.
  const poolSize = detokenizing ? Math.ceil(1_600 / benchRoles.length / batchSize) * batchSize : batchSize;
  // One tenant after the other, one batch at a time, as the pool was made before there were three.
  const servicePools: TokenizerCaller[] = [];
  for (const caller of credentials) {
    const pool = await workloadOf(outputs.TokenizerApiUrl, caller).tokenPool(poolSize);
    servicePools.push({ credentials: caller, pool });
  }
  const callers = {
    service: servicePools,
    // The sample design as it was measured before: one caller, one tenant.
    sample: [
      {
        credentials: firstCaller,
        pool:
          env.sampleTokenizerUrl && detokenizing
            ? await workloadOf(env.sampleTokenizerUrl, firstCaller).tokenPool(300)
            : [],
      },
    ],
  };
  const floor = await StoreFloor.fromVaultItem({
    endpoint: outputs.DynamoDBEndpoint,
    region: outputs.Region,
    tableName: outputs.TokenVaultTableName,
    tenant: benchRoles[0],
    token: callers.service[0]?.pool[0] as string,
  });
  const idToken = options.scenarios.some((scenario) => scenario === 'order' || scenario === 'paybill')
    ? await signUpAndSignIn(
        outputs.CognitoEndpoint,
        { userPoolId: outputs.UserPoolId, clientId: outputs.UserPoolAppClientId },
        { email: `bench-${randomUUID().slice(0, 8)}@example.com`, password: `Bench-${randomUUID()}-Pa55!` },
      )
    : '';

  const measured: { run: ScenarioRun; latencies: number[] }[] = [];
  /** Orders to prepare before paying at `concurrency`: 1.5× what creating them managed in the same time. */
  const paymentsNeeded = (concurrency: number) => {
    const created = measured.find(({ run }) => run.scenario === 'order' && run.concurrency === concurrency);
    const rate = created?.run.requestsPerSecond || 100;
    return Math.ceil(rate * 1.5 * (options.warmupSeconds + options.durationSeconds)) + concurrency;
  };

  const withFloor = options.baselines.includes('floor');
  const plan: Planned[] = [];
  for (let pass = 1; pass <= options.passes; pass++) {
    for (const concurrency of options.concurrency) {
      if (withFloor) {
        for (const scenario of ['dynamodb-put', 'dynamodb-get'] as const)
          plan.push({
            scenario,
            variant: 'floor',
            concurrency,
            pass,
            run: { operation: () => floor.operation(scenario) },
          });
        plan.push({
          scenario: 'aes-256-gcm',
          variant: 'floor',
          concurrency,
          pass,
          run: { operation: cipherFloor },
        });
      }
      for (const scenario of options.scenarios) {
        if (scenario === 'order' || scenario === 'paybill') {
          const baseUrl = outputs.PaymentMethodApiURL;
          plan.push({
            scenario,
            variant: 'service',
            concurrency,
            pass,
            run: { load: { kind: 'orders', scenario, baseUrl, idToken } },
            ...(scenario === 'paybill'
              ? { prepare: () => generator.prepareOrders(baseUrl, idToken, paymentsNeeded(concurrency)) }
              : {}),
          });
          continue;
        }
        plan.push({
          scenario,
          variant: 'service',
          concurrency,
          pass,
          run: tokenizerLoad(outputs.TokenizerApiUrl, scenario, callers.service),
          tenants: callers.service.length,
        });
        if (env.sampleTokenizerUrl && sampleScenarios.includes(scenario)) {
          plan.push({
            scenario,
            variant: 'sample',
            concurrency,
            pass,
            run: tokenizerLoad(env.sampleTokenizerUrl, scenario, callers.sample),
            tenants: callers.sample.length,
          });
        }
      }
    }
  }

  let dynamoDbWarmup: DynamoDbWarmup | undefined;
  try {
    const steps = plan.length + extraSteps + 1;
    progress.update(0, steps, 'warming DynamoDB Local', 'starting');
    dynamoDbWarmup = await warmDynamoDb(floor, options.dynamoDbWarmupSeconds, (windows) =>
      progress.update(
        0,
        steps,
        'warming DynamoDB Local',
        `${windows.length} s: ${windows
          .slice(-3)
          .map((rate) => Math.round(rate))
          .join(', ')} requests/s`,
      ),
    );
    progress.log(
      `✔ DynamoDB Local warmed in ${dynamoDbWarmup.windows.length} s ` +
        `(${dynamoDbWarmup.stable ? 'stable' : 'not yet stable'}: ${dynamoDbWarmup.windows
          .slice(-3)
          .map((rate) => Math.round(rate))
          .join(', ')} requests/s)`,
    );
    for (const [index, planned] of plan.entries()) {
      const what = `pass ${planned.pass} · ${rowLabel(planned)} · concurrency ${planned.concurrency}`;
      progress.update(index + 1, steps, what, 'preparing');
      await planned.prepare?.();
      const result = await measureOne({ ...env, pids }, options, planned, generator, (status, fraction) =>
        progress.update(index + 1, steps, what, status, fraction),
      );
      measured.push(result);
      progress.log(summaryLine(what, result.run));
    }
  } finally {
    floor.close();
    await generator.stop();
  }
  return {
    runs: mergePasses(measured),
    ...(withFloor ? { vaultItemBytes: floor.itemBytes } : {}),
    ...(dynamoDbWarmup ? { dynamoDbWarmup } : {}),
  };
}

/** One ScenarioRun per scenario, variant and concurrency from its passes, in the order first measured. */
export function mergePasses(measured: readonly { run: ScenarioRun; latencies: number[] }[]): ScenarioRun[] {
  const groups = new Map<string, { run: ScenarioRun; latencies: number[] }[]>();
  for (const entry of measured) {
    const key = `${entry.run.scenario}|${entry.run.variant}|${entry.run.concurrency}`;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  return [...groups.values()].map((entries) => {
    const runs = entries.map((entry) => entry.run);
    const first = runs[0] as ScenarioRun;
    const total = (pick: (run: ScenarioRun) => number) => runs.reduce((sum, run) => sum + pick(run), 0);
    const items = total((run) => run.itemsAfterWarmup);
    const processes = [...new Set(runs.flatMap((run) => Object.keys(run.cpuMicrosPerItem)))];
    const cpuMicrosPerItem: Record<string, number> = {};
    const cpuMicrosPerRequest: Record<string, number> = {};
    const cpuCores: Record<string, number> = {};
    for (const name of processes) {
      const micros = total((run) => (run.cpuMicrosPerItem[name] ?? 0) * run.itemsAfterWarmup);
      if (items > 0) {
        cpuMicrosPerItem[name] = micros / items;
        cpuMicrosPerRequest[name] = (micros / items) * first.itemsPerRequest;
      }
      cpuCores[name] = total((run) => run.cpuCores[name] ?? 0) / runs.length;
    }
    const kmsCalls: Record<string, number> = {};
    for (const run of runs)
      for (const [name, count] of Object.entries(run.kmsCalls))
        kmsCalls[name] = (kmsCalls[name] ?? 0) + count;
    const totalKms = Object.values(kmsCalls).reduce((sum, count) => sum + count, 0);
    const rates = runs.map((run) => run.itemsPerSecond);
    const middle = median(rates);
    return {
      ...first,
      windowMs: total((run) => run.windowMs),
      requestsInWindow: total((run) => run.requestsInWindow),
      failed: total((run) => run.failed),
      requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
      itemsPerSecond: middle,
      itemsAfterWarmup: items,
      latencyMs: summarize(entries.flatMap((entry) => entry.latencies)),
      kmsCallsPer1000: first.variant === 'floor' || items === 0 ? null : (totalKms / items) * 1000,
      kmsCalls,
      cpuMicrosPerItem,
      cpuMicrosPerRequest,
      cpuCores,
      failures: [...new Set(runs.flatMap((run) => run.failures))].slice(0, 5),
      notes: [...new Set(runs.flatMap((run) => run.notes))],
      passes: runs.map((run) => ({
        itemsPerSecond: run.itemsPerSecond,
        p50Ms: run.latencyMs.p50,
        cpuMicrosPerItem: run.cpuMicrosPerItem,
      })),
      spread: middle > 0 ? (Math.max(...rates) - Math.min(...rates)) / middle : 0,
    };
  });
}

async function measureOne(
  env: BenchEnvironment,
  options: Measured,
  planned: Planned,
  generator: LoadGenerator,
  onProgress: (status: string, fraction: number) => void,
): Promise<{ run: ScenarioRun; latencies: number[] }> {
  const cpu = new CpuMeter(env.pids);
  let kmsCalls: Record<string, number> = {};
  let cpuUsed: ReturnType<CpuMeter['stop']> | undefined;
  const started = performance.now();
  const runSeconds = options.warmupSeconds + options.durationSeconds;
  const loop = {
    concurrency: planned.concurrency,
    warmupMs: options.warmupSeconds * 1000,
    durationMs: options.durationSeconds * 1000,
  };
  const hooks = {
    onMeasureStart: async () => {
      await env.kms.reset();
      cpu.start();
    },
    onDrained: async () => {
      cpuUsed = cpu.stop();
      kmsCalls = await env.kms.stats();
    },
    onTick: ({ phase, ended }: { phase: string; ended: number }) =>
      onProgress(
        `${phase}: ${ended} answers`,
        Math.min(0.99, (performance.now() - started) / 1000 / runSeconds),
      ),
  };
  let shortages = 0;
  let result: ClosedLoopResult;
  if ('load' in planned.run) {
    ({ result, shortages } = await generator.run({ spec: planned.run.load, ...loop }, hooks));
  } else {
    result = await runClosedLoop({ ...loop, operation: planned.run.operation(), ...hooks });
  }

  const itemsPerRequest = planned.scenario.endsWith('-batch') ? batchSize : 1;
  const itemsAfterWarmup = result.requestsAfterWarmup * itemsPerRequest;
  const totalKmsCalls = Object.values(kmsCalls).reduce((sum, count) => sum + count, 0);
  const cpuMicrosPerItem: Record<string, number> = {};
  const cpuCores: Record<string, number> = {};
  for (const [name, micros] of Object.entries(cpuUsed?.cpuMicros ?? {})) {
    if (itemsAfterWarmup > 0) cpuMicrosPerItem[name] = micros / itemsAfterWarmup;
    cpuCores[name] = micros / 1000 / (cpuUsed?.elapsedMs ?? 1);
  }
  const latencyMs = summarize(result.latenciesMs);
  const seconds = result.windowMs / 1000;
  const run: ScenarioRun = {
    scenario: planned.scenario,
    variant: planned.variant,
    concurrency: planned.concurrency,
    itemsPerRequest,
    windowMs: result.windowMs,
    requestsInWindow: result.requestsInWindow,
    failed: result.failed,
    requestsPerSecond: result.requestsInWindow / seconds,
    itemsPerSecond: (result.requestsInWindow * itemsPerRequest) / seconds,
    itemsAfterWarmup,
    latencyMs,
    kmsCallsPer1000:
      planned.variant === 'floor' || itemsAfterWarmup === 0
        ? null
        : (totalKmsCalls / itemsAfterWarmup) * 1000,
    kmsCalls,
    ...(planned.tenants === undefined ? {} : { tenants: planned.tenants }),
    cpuMicrosPerItem,
    cpuMicrosPerRequest: Object.fromEntries(
      Object.entries(cpuMicrosPerItem).map(([name, micros]) => [name, micros * itemsPerRequest]),
    ),
    cpuCores,
    failures: result.failures,
    notes: [
      ...(latencyMs.p50 > result.windowMs
        ? ['requests outlasted the window: each counted for the share of its time inside it']
        : []),
      ...(shortages > 0 ? [`${shortages} orders were created during the run (too few prepared)`] : []),
    ],
    passes: [],
    spread: 0,
  };
  return { run, latencies: result.latenciesMs };
}

function summaryLine(what: string, run: ScenarioRun): string {
  const tenants =
    run.tenants === undefined ? '' : ` over ${run.tenants} tenant${run.tenants === 1 ? '' : 's'}`;
  const kms =
    run.kmsCallsPer1000 === null ? '' : `, ${run.kmsCallsPer1000.toFixed(2)} KMS calls/1k${tenants}`;
  const failures = run.failures.length ? ` (${run.failures.join('; ')})` : '';
  return (
    `✔ ${what}: ${Math.round(run.itemsPerSecond).toLocaleString('en-US')} items/s, ` +
    `p50 ${run.latencyMs.p50.toFixed(1)} ms, p99 ${run.latencyMs.p99.toFixed(1)} ms, ${run.failed} errors${kms}${failures}`
  );
}
