// The measurement plan (every scenario and baseline at every concurrency) and one closed-loop run of each.
import { randomUUID } from 'node:crypto';
import { signUpAndSignIn } from '@tokenization/local-aws/cognito-client';
import { localCredentials } from '../stack/local-stack.js';
import { signedFetcher } from '../stack/signed-fetch.js';
import type { BenchEnvironment } from './environment.js';
import { cipherFloor, StoreFloor } from './floor.js';
import type { BenchOptions, FloorName, ScenarioName } from './options.js';
import { CpuMeter } from './process-cpu.js';
import { rowLabel, type ScenarioRun, type Variant } from './report.js';
import { type Operation, runClosedLoop } from './runner.js';
import { summarize } from './stats.js';
import { batchSize, OrderWorkload, TokenizerWorkload } from './workload.js';

/** The scenarios also run against the sample design. */
export const sampleScenarios: readonly ScenarioName[] = [
  'tokenize',
  'tokenize-batch',
  'detokenize',
  'detokenize-batch',
];

export interface Progress {
  /** Run `step` of `steps` is at `fraction` (0 to 1). */
  update(step: number, steps: number, what: string, status: string, fraction?: number): void;
  log(line: string): void;
}

interface Planned {
  scenario: ScenarioName | FloorName;
  variant: Variant;
  concurrency: number;
  operation: () => Operation;
  /** Untimed, before the run (orders to pay). */
  prepare?: () => Promise<void>;
}

export interface Measurements {
  runs: ScenarioRun[];
  /** Size of the vault item the store floor copies. */
  vaultItemBytes?: number;
}

type Measured = Pick<
  BenchOptions,
  'scenarios' | 'baselines' | 'concurrency' | 'durationSeconds' | 'warmupSeconds'
>;

/** At each concurrency: the floors first, then every scenario, each followed by its sample-design run. */
export async function measureScenarios(
  env: BenchEnvironment,
  options: Measured,
  progress: Progress,
  extraSteps = 0,
): Promise<Measurements> {
  const { outputs } = env;
  const fetcher = signedFetcher({ credentials: await localCredentials('bench'), region: outputs.Region });
  const service = new TokenizerWorkload(outputs.TokenizerApiUrl, fetcher);
  const sample = env.sampleTokenizerUrl ? new TokenizerWorkload(env.sampleTokenizerUrl, fetcher) : undefined;
  const detokenizing = options.scenarios.some((scenario) => scenario.startsWith('detokenize'));

  progress.log('Preparing tokens to detokenize…');
  const pools = {
    service: await service.tokenPool(detokenizing ? 1_000 : batchSize),
    sample: sample && detokenizing ? await sample.tokenPool(300) : [],
  };
  const floor = options.baselines.includes('floor')
    ? await StoreFloor.fromVaultItem({
        endpoint: outputs.DynamoDBEndpoint,
        region: outputs.Region,
        tableName: outputs.TokenVaultTableName,
        tenant: 'bench',
        token: pools.service[0] as string,
      })
    : undefined;
  const orders = options.scenarios.some((scenario) => scenario === 'order' || scenario === 'paybill')
    ? new OrderWorkload(
        outputs.PaymentMethodApiURL,
        await signUpAndSignIn(
          outputs.CognitoEndpoint,
          { userPoolId: outputs.UserPoolId, clientId: outputs.UserPoolAppClientId },
          { email: `bench-${randomUUID().slice(0, 8)}@example.com`, password: `Bench-${randomUUID()}-Pa55!` },
        ),
      )
    : undefined;

  const runs: ScenarioRun[] = [];
  let shortages = 0;
  /** Orders to prepare before paying at `concurrency`: 1.5× what creating them managed in the same time. */
  const paymentsNeeded = (concurrency: number) => {
    const created = runs.find((run) => run.scenario === 'order' && run.concurrency === concurrency);
    const rate = created?.requestsPerSecond || 100;
    return Math.ceil(rate * 1.5 * (options.warmupSeconds + options.durationSeconds)) + concurrency;
  };

  const plan: Planned[] = [];
  for (const concurrency of options.concurrency) {
    if (floor) {
      plan.push(
        {
          scenario: 'dynamodb-put',
          variant: 'floor',
          concurrency,
          operation: () => floor.operation('dynamodb-put'),
        },
        {
          scenario: 'dynamodb-get',
          variant: 'floor',
          concurrency,
          operation: () => floor.operation('dynamodb-get'),
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
        plan.push({
          scenario,
          variant: 'sample',
          concurrency,
          operation: () => sample.operation(scenario, pools.sample),
        });
      }
    }
  }

  try {
    const steps = plan.length + extraSteps;
    for (const [index, planned] of plan.entries()) {
      const what = `${rowLabel(planned)} · concurrency ${planned.concurrency}`;
      progress.update(index, steps, what, 'preparing');
      await planned.prepare?.();
      const shortagesBefore = shortages;
      const run = await measureOne(env, options, planned, (status, fraction) =>
        progress.update(index, steps, what, status, fraction),
      );
      if (shortages > shortagesBefore)
        run.notes.push(
          `${shortages - shortagesBefore} orders were created during the run (too few prepared)`,
        );
      runs.push(run);
      progress.log(summaryLine(what, run));
    }
  } finally {
    floor?.close();
  }
  return { runs, ...(floor ? { vaultItemBytes: floor.itemBytes } : {}) };
}

async function measureOne(
  env: BenchEnvironment,
  options: Measured,
  planned: Planned,
  onProgress: (status: string, fraction: number) => void,
): Promise<ScenarioRun> {
  const cpu = new CpuMeter(env.pids);
  let kmsCalls: Record<string, number> = {};
  let cpuUsed: ReturnType<CpuMeter['stop']> | undefined;
  const started = performance.now();
  const runSeconds = options.warmupSeconds + options.durationSeconds;
  const result = await runClosedLoop({
    concurrency: planned.concurrency,
    warmupMs: options.warmupSeconds * 1000,
    durationMs: options.durationSeconds * 1000,
    operation: planned.operation(),
    onMeasureStart: async () => {
      await env.kms.reset();
      cpu.start();
    },
    onDrained: async () => {
      cpuUsed = cpu.stop();
      kmsCalls = await env.kms.stats();
    },
    onTick: ({ phase, ended }) =>
      onProgress(
        `${phase}: ${ended} answers`,
        Math.min(0.99, (performance.now() - started) / 1000 / runSeconds),
      ),
  });

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
  return {
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
    cpuMicrosPerItem,
    cpuCores,
    failures: result.failures,
    notes:
      latencyMs.p50 > result.windowMs
        ? ['requests outlasted the window: each counted for the share of its time inside it']
        : [],
  };
}

function summaryLine(what: string, run: ScenarioRun): string {
  const kms = run.kmsCallsPer1000 === null ? '' : `, ${run.kmsCallsPer1000.toFixed(2)} KMS calls/1k`;
  const failures = run.failures.length ? ` (${run.failures.join('; ')})` : '';
  return (
    `✔ ${what}: ${Math.round(run.itemsPerSecond).toLocaleString('en-US')} items/s, ` +
    `p50 ${run.latencyMs.p50.toFixed(1)} ms, p99 ${run.latencyMs.p99.toFixed(1)} ms, ${run.failed} errors${kms}${failures}`
  );
}
