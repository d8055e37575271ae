// The issue's targets (issue 17's table), read from a report: met, missed, or not measured in this run. The
// CPU and latency figures come from the in-process Lambda loop (what Lambda bills), the KMS counts from every
// run of the service, the bundle and cold start from the bundles built as the CDK stacks build them.
import type { LambdaLoopResult, LoopOperationName } from './lambda-loop.js';
import type { BenchReport, ScenarioRun } from './report.js';

export interface TargetVerdict {
  target: string;
  measured: string;
  /** null: the run did not measure it (scenario, baseline, loop or cold start left out). */
  met: boolean | null;
}

/** The table's limits. 1.0 MB read strictly as 1,000,000 bytes. */
export const targetLimits = {
  tokenizeCpuMicros: 500,
  detokenizeCpuMicros: 500,
  batchItemCpuMicros: 150,
  p50DeltaMs: 1.0,
  coldStartMs: 150,
  tokenizerBundleBytes: 1_000_000,
  kmsPer1000Tokenizations: 1,
  kmsPer1000Detokenizations: 10,
  /** The KMS figures count only when the tokenizer's HTTP runs spread their requests over this many tenants. */
  kmsTenants: 3,
  /** The bench's own check: the load generator's CPU per request at most this share of the tokenizer's. */
  generatorShare: 0.25,
} as const;

type Evaluated = Pick<BenchReport, 'runs' | 'coldStart' | 'lambdaLoop'>;

export function evaluateTargets(report: Evaluated): TargetVerdict[] {
  const service = report.lambdaLoop?.find((loop) => loop.variant === 'service');
  const sample = report.lambdaLoop?.find((loop) => loop.variant === 'sample');
  const verdicts: TargetVerdict[] = [];

  for (const [name, what, limit] of [
    ['tokenize', 'tokenizer CPU per tokenize', targetLimits.tokenizeCpuMicros],
    ['detokenize', 'tokenizer CPU per detokenize', targetLimits.detokenizeCpuMicros],
    ['tokenize-batch', 'CPU per item inside a 100-item batch tokenize', targetLimits.batchItemCpuMicros],
    ['detokenize-batch', 'CPU per item inside a 100-item batch detokenize', targetLimits.batchItemCpuMicros],
  ] as const) {
    const operation = loopOperation(service, name);
    const baseline = loopOperation(sample, name);
    verdicts.push({
      target: `${what} ≤ ${ms(limit)} ms (Lambda bundle in process)`,
      measured: operation
        ? `${ms(operation.cpuMicrosPerItem)} ms (passes ${operation.passes.map((pass) => ms(pass.cpuMicrosPerItem)).join(', ')})` +
          (baseline
            ? `; sample design ${ms(baseline.cpuMicrosPerItem)} ms = ${(baseline.cpuMicrosPerItem / operation.cpuMicrosPerItem).toFixed(1)}× the CPU`
            : '') +
          failedCalls(operation)
        : 'not measured',
      met: operation ? operation.cpuMicrosPerItem <= limit : null,
    });
  }

  for (const [name, floorName, floorLabel] of [
    ['tokenize', 'dynamodb-put', 'PutItem'],
    ['detokenize', 'dynamodb-get', 'GetItem'],
  ] as const) {
    const operation = loopOperation(service, name);
    const floor = loopOperation(service, floorName);
    const delta = operation && floor ? operation.p50Ms - floor.p50Ms : undefined;
    verdicts.push({
      target: `${name} p50 at concurrency 1 minus the raw ${floorLabel} p50 ≤ +${targetLimits.p50DeltaMs.toFixed(1)} ms`,
      measured:
        delta === undefined || !operation || !floor
          ? 'not measured'
          : `${operation.p50Ms.toFixed(2)} − ${floor.p50Ms.toFixed(2)} = ${signed(delta)} ms`,
      met: delta === undefined ? null : delta <= targetLimits.p50DeltaMs,
    });
  }

  for (const lambda of report.coldStart?.lambdas ?? []) {
    const other = lambda.nodeOptions.includes('--enable-source-maps')
      ? ['without --enable-source-maps', lambda.withoutSourceMaps]
      : ['with --enable-source-maps', lambda.withSourceMaps];
    verdicts.push({
      target: `${lambda.name} cold start (load + first event) ≤ ${targetLimits.coldStartMs} ms`,
      measured:
        `${lambda.medianMs.toFixed(0)} ms as deployed (${lambda.nodeOptions.join(' ') || 'no Node flags'}); ` +
        `${(other[1] as { medianMs: number }).medianMs.toFixed(0)} ms ${other[0]}; bare node ${report.coldStart?.bareNodeMedianMs.toFixed(0)} ms`,
      met: lambda.medianMs <= targetLimits.coldStartMs,
    });
  }
  if (!report.coldStart)
    verdicts.push({
      target: `cold start ≤ ${targetLimits.coldStartMs} ms`,
      measured: 'not measured',
      met: null,
    });

  const tokenizerBundle = report.coldStart?.lambdas.find((lambda) => lambda.name === 'tokenizer');
  verdicts.push({
    target: 'tokenizer Lambda bundle ≤ 1.0 MB minified (1,000,000 bytes)',
    measured: tokenizerBundle
      ? `${tokenizerBundle.bundleBytes.toLocaleString('en-US')} bytes`
      : 'not measured',
    met: tokenizerBundle ? tokenizerBundle.bundleBytes <= targetLimits.tokenizerBundleBytes : null,
  });

  for (const [what, scenarios, limit] of [
    [
      'tokenizations',
      ['tokenize', 'tokenize-batch', 'tokenize-deterministic'],
      targetLimits.kmsPer1000Tokenizations,
    ],
    ['detokenizations', ['detokenize', 'detokenize-batch'], targetLimits.kmsPer1000Detokenizations],
  ] as const) {
    const runs = report.runs.filter(
      (run) => run.variant === 'service' && (scenarios as readonly string[]).includes(run.scenario),
    );
    const callsOf = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    let items = runs.reduce((sum, run) => sum + run.itemsAfterWarmup, 0);
    let calls = runs.reduce((sum, run) => sum + callsOf(run.kmsCalls), 0);
    if (service) {
      // The loop's KMS counter covers all of its operations: its calls count against both sides.
      items += what === 'tokenizations' ? service.items.tokenize : service.items.detokenize;
      calls += callsOf(service.kmsCalls);
    }
    // A branch key per tenant: one tenant would hide the calls each further tenant's key costs.
    const tenants = runs.length ? Math.min(...runs.map((run) => run.tenants ?? 1)) : undefined;
    const spread =
      tenants === undefined
        ? ''
        : `; HTTP runs round robin over ${tenants} tenant${tenants === 1 ? '' : 's'}` +
          (tenants < targetLimits.kmsTenants ? ` (fewer than ${targetLimits.kmsTenants})` : '');
    verdicts.push({
      target: `KMS calls ≤ ${limit} per 1,000 ${what} at steady state, at least ${targetLimits.kmsTenants} tenants`,
      measured: items
        ? `${calls} calls for ${Math.round(items).toLocaleString('en-US')} items after warm-up = ${((calls / items) * 1000).toFixed(2)} per 1,000${spread}`
        : 'not measured',
      met: items
        ? (calls / items) * 1000 <= limit && (tenants === undefined || tenants >= targetLimits.kmsTenants)
        : null,
    });
  }

  const tokenize = report.runs.find(
    (run) => run.scenario === 'tokenize' && run.variant === 'service' && run.concurrency === 16,
  );
  verdicts.push(generatorVerdict(tokenize));
  return verdicts;
}

/** The bench's own check: its load generator costs well below what it measures. */
function generatorVerdict(run: ScenarioRun | undefined): TargetVerdict {
  const target = `bench: load generator CPU per request ≤ ${targetLimits.generatorShare * 100}% of the tokenizer's (tokenize, concurrency 16)`;
  const generator = run?.cpuMicrosPerRequest.generator;
  const tokenizer = run?.cpuMicrosPerRequest.tokenizer;
  if (generator === undefined || tokenizer === undefined || tokenizer === 0)
    return { target, measured: 'not measured', met: null };
  return {
    target,
    measured: `${ms(generator)} vs ${ms(tokenizer)} ms = ${((generator / tokenizer) * 100).toFixed(0)}%`,
    met: generator / tokenizer <= targetLimits.generatorShare,
  };
}

function loopOperation(loop: LambdaLoopResult | undefined, name: LoopOperationName) {
  const operation = loop?.operations.find((candidate) => candidate.name === name);
  return operation && operation.passes.length > 0 ? operation : undefined;
}

function failedCalls(operation: { passes: { failed?: number }[] }): string {
  const failed = operation.passes.reduce((sum, pass) => sum + (pass.failed ?? 0), 0);
  return failed > 0 ? ` (${failed} calls failed)` : '';
}

function ms(micros: number): string {
  return (micros / 1000).toFixed(micros < 100 ? 3 : 2);
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`;
}

export function targetLines(verdicts: readonly TargetVerdict[], markdown = false): string[] {
  const outcome = (met: boolean | null) => (met === null ? 'not measured' : met ? 'met' : 'missed');
  return verdicts.map((verdict) =>
    markdown
      ? `- **${outcome(verdict.met)}**: ${verdict.target}: ${verdict.measured}`
      : `${verdict.met === null ? '·' : verdict.met ? '✔ met   ' : '✘ missed'} ${verdict.target}: ${verdict.measured}`,
  );
}
