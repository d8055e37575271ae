// The targets for this machine, read from a report: met, missed, or not measured in this run.
import type { BenchReport, ScenarioRun } from './report.js';

export interface TargetVerdict {
  target: string;
  measured: string;
  /** null: the run did not measure it (scenario, baseline or cold start left out). */
  met: boolean | null;
}

/** 1.5 MB read strictly as 1,500,000 bytes. */
const maxTokenizerBundleBytes = 1_500_000;

export function evaluateTargets(report: Pick<BenchReport, 'runs' | 'coldStart'>): TargetVerdict[] {
  const find = (scenario: string, variant: string, concurrency: number) =>
    report.runs.find(
      (run) => run.scenario === scenario && run.variant === variant && run.concurrency === concurrency,
    );
  const verdicts: TargetVerdict[] = [];

  const tokenize = find('tokenize', 'service', 16);
  const put = find('dynamodb-put', 'floor', 16);
  const ratio =
    tokenize && put && put.itemsPerSecond > 0 ? tokenize.itemsPerSecond / put.itemsPerSecond : undefined;
  verdicts.push({
    target: 'tokenize over HTTP at concurrency 16 ≥ 70% of DynamoDB Local PutItem at 16',
    measured:
      ratio === undefined || !tokenize || !put
        ? 'not measured'
        : `${Math.round(tokenize.itemsPerSecond)} vs ${Math.round(put.itemsPerSecond)} per s = ${(ratio * 100).toFixed(0)}%; ` +
          `${cpuComparison(tokenize, put)}${singleProcessCap(tokenize)}`,
    met: ratio === undefined ? null : ratio >= 0.7,
  });

  for (const [what, scenarios, limit] of [
    ['tokenizations', ['tokenize', 'tokenize-batch', 'tokenize-deterministic'], 1],
    ['detokenizations', ['detokenize', 'detokenize-batch'], 10],
  ] as const) {
    const runs = report.runs.filter(
      (run) => run.variant === 'service' && (scenarios as readonly string[]).includes(run.scenario),
    );
    const items = runs.reduce((sum, run) => sum + run.itemsAfterWarmup, 0);
    const calls = runs.reduce(
      (sum, run) => sum + Object.values(run.kmsCalls).reduce((total, count) => total + count, 0),
      0,
    );
    verdicts.push({
      target: `KMS calls ≤ ${limit} per 1,000 ${what} at steady state`,
      measured: items
        ? `${calls} calls for ${Math.round(items).toLocaleString('en-US')} items after warm-up = ${((calls / items) * 1000).toFixed(2)} per 1,000`
        : 'not measured',
      met: items ? (calls / items) * 1000 <= limit : null,
    });
  }

  const tokenizerBundle = report.coldStart?.lambdas.find((lambda) => lambda.name === 'tokenizer');
  verdicts.push({
    target: 'tokenizer bundle ≤ 1.5 MB minified (1,500,000 bytes)',
    measured: tokenizerBundle
      ? `${tokenizerBundle.bundleBytes.toLocaleString('en-US')} bytes`
      : 'not measured',
    met: tokenizerBundle ? tokenizerBundle.bundleBytes <= maxTokenizerBundleBytes : null,
  });
  for (const lambda of report.coldStart?.lambdas ?? []) {
    const times = lambda.medianMs / (report.coldStart?.bareNodeMedianMs ?? Number.NaN);
    verdicts.push({
      target: `${lambda.name} cold start (load + first event) ≤ 3× a bare node start`,
      measured: `${lambda.medianMs.toFixed(0)} ms vs ${report.coldStart?.bareNodeMedianMs.toFixed(0)} ms = ${times.toFixed(1)}×`,
      met: times <= 3,
    });
  }
  return verdicts;
}

/**
 * Where the CPU goes per item in both runs (every measured process: services, DynamoDB Local, the load
 * generator). When the machine is the limit, throughput is at most cores ÷ CPU per item for each, so the
 * ratio of the two CPU totals bounds the ratio of the throughputs.
 */
export function cpuComparison(service: ScenarioRun, floor: ScenarioRun): string {
  const total = (run: ScenarioRun) =>
    Object.values(run.cpuMicrosPerItem).reduce((sum, micros) => sum + micros, 0);
  const parts = (run: ScenarioRun) =>
    Object.entries(run.cpuMicrosPerItem)
      .filter(([, micros]) => micros >= 50)
      .sort(([, a], [, b]) => b - a)
      .map(([name, micros]) => `${name} ${(micros / 1000).toFixed(1)}`)
      .join(', ');
  if (total(service) === 0 || total(floor) === 0) return 'CPU not measured';
  return (
    `CPU ms per item: ${(total(service) / 1000).toFixed(1)} (${parts(service)}) vs ${(total(floor) / 1000).toFixed(1)} ` +
    `(${parts(floor)}), so a CPU-bound machine caps the ratio near ${((total(floor) / total(service)) * 100).toFixed(0)}%`
  );
}

/** A Node.js process runs JavaScript on one core: 1 s of CPU divided by its CPU per item. */
function singleProcessCap(run: ScenarioRun): string {
  const micros = run.cpuMicrosPerItem.tokenizer;
  return micros
    ? `; the tokenizer, one process, cannot pass ${Math.round(1_000_000 / micros)} per s on one core`
    : '';
}

export function targetLines(verdicts: readonly TargetVerdict[], markdown = false): string[] {
  const outcome = (met: boolean | null) => (met === null ? 'not measured' : met ? 'met' : 'missed');
  return verdicts.map((verdict) =>
    markdown
      ? `- **${outcome(verdict.met)}**: ${verdict.target}: ${verdict.measured}`
      : `${verdict.met === null ? '·' : verdict.met ? '✔ met   ' : '✘ missed'} ${verdict.target}: ${verdict.measured}`,
  );
}
