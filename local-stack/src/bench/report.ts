// What a bench run records (the JSON written to bench-results/), and the comparisons derived from it.
import type { ColdStartReport } from './cold-start.js';
import type { DynamoDbWarmup } from './floor.js';
import type { LambdaLoopResult } from './lambda-loop.js';
import {
  type BenchOptions,
  type FloorName,
  floorNames,
  type ScenarioName,
  scenarioNames,
} from './options.js';
import type { LatencySummary } from './stats.js';
import type { BarChart } from './svg-chart.js';

/** `service`: the tokenizer as built; `sample`: its sample-per-item-signing mode; `floor`: the raw floor. */
export type Variant = 'service' | 'sample' | 'floor';

export interface ScenarioRun {
  scenario: ScenarioName | FloorName;
  variant: Variant;
  concurrency: number;
  itemsPerRequest: number;
  windowMs: number;
  /** Successful requests inside the window, each counted for the share of its duration inside it. */
  requestsInWindow: number;
  /** Failed requests that overlapped the window. */
  failed: number;
  requestsPerSecond: number;
  itemsPerSecond: number;
  /** Items answered from the end of the warm-up until every worker stopped: the base of the per-item costs. */
  itemsAfterWarmup: number;
  latencyMs: LatencySummary;
  /** KMS calls per 1,000 items after the warm-up (null when the run makes no KMS calls by design). */
  kmsCallsPer1000: number | null;
  kmsCalls: Record<string, number>;
  /** The tokenizer runs: how many tenants (one caller each) the requests went to, round robin. */
  tenants?: number;
  /**
   * CPU microseconds per item, per process, after the warm-up: tokenizer, orders, dynamodb, generator (the
   * load generator), bench (this process: the local KMS, the services' log lines, the in-process floors).
   */
  cpuMicrosPerItem: Record<string, number>;
  /** The same per request (× the items of a batch): `generator` is the load generator's cost per request. */
  cpuMicrosPerRequest: Record<string, number>;
  /** Cores each process kept busy on average after the warm-up (1 = one core). */
  cpuCores: Record<string, number>;
  failures: string[];
  notes: string[];
  /** Each pass of this run, in order (the merged figures above: median throughput, pooled latencies). */
  passes: PassSummary[];
  /** (max − min) ÷ median of the passes' items per second. */
  spread: number;
}

export interface PassSummary {
  itemsPerSecond: number;
  p50Ms: number;
  cpuMicrosPerItem: Record<string, number>;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; node: string; platform: string; memoryGiB: number };
  options: Omit<BenchOptions, 'help' | 'out'>;
  /** Size of the vault item the store floor copies. */
  vaultItemBytes?: number;
  runs: ScenarioRun[];
  /** DynamoDB Local's warm-up before the first measurement. */
  dynamoDbWarmup?: DynamoDbWarmup;
  /** The tokenizer's Lambda bundle in process: the CPU-per-operation and latency targets. */
  lambdaLoop?: LambdaLoopResult[];
  coldStart?: ColdStartReport;
  /** Lines the services printed besides their JSON logs (warnings), with how often. */
  serviceMessages?: Record<string, number>;
}

/** The store floor each scenario is compared with (per item); orders do several writes and a call. */
const storeFloorOf: Partial<Record<ScenarioName, FloorName>> = {
  tokenize: 'dynamodb-put',
  'tokenize-batch': 'dynamodb-put',
  'tokenize-deterministic': 'dynamodb-put',
  detokenize: 'dynamodb-get',
  'detokenize-batch': 'dynamodb-get',
};

const cipherScenarios: ScenarioName[] = [
  'tokenize',
  'tokenize-batch',
  'tokenize-deterministic',
  'detokenize',
  'detokenize-batch',
];

export const floorLabels: Record<FloorName, string> = {
  'dynamodb-put': 'DynamoDB PutItem',
  'dynamodb-get': 'DynamoDB GetItem',
  'aes-256-gcm': 'AES-256-GCM',
};

/** One line of the results table. Ratios compare items per second at the same concurrency. */
export interface TableRow {
  label: string;
  variant: Variant;
  concurrency: number;
  requestsPerSecond: number;
  itemsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  failed: number;
  kmsCallsPer1000: number | null;
  /** Tokenizer CPU µs per item (the sample tokenizer's for sample rows). */
  tokenizerCpuMicros: number | null;
  /** service ÷ its store floor (PutItem or GetItem). */
  ofStore: number | null;
  /** service ÷ AES-256-GCM in-process. */
  ofCipher: number | null;
  /** service ÷ the sample design. */
  overSample: number | null;
  /** The sample design's tokenizer CPU per item ÷ the service's. */
  cpuOverSample: number | null;
  /** The load generator's CPU µs per request (its own process). */
  generatorCpuMicros: number | null;
  /** (max − min) ÷ median of the passes' items per second. */
  spread: number;
}

export function rowLabel(run: Pick<ScenarioRun, 'scenario' | 'variant'>): string {
  if (run.variant === 'floor') return `floor: ${floorLabels[run.scenario as FloorName]}`;
  return run.variant === 'sample' ? `${run.scenario} (sample design)` : run.scenario;
}

/** The table's rows: each scenario at each concurrency, its sample-design rows after it, the floors last. */
export function tableRows(runs: readonly ScenarioRun[]): TableRow[] {
  const find = (scenario: string, variant: Variant, concurrency: number) =>
    runs.find(
      (run) => run.scenario === scenario && run.variant === variant && run.concurrency === concurrency,
    );
  const ratio = (run: ScenarioRun, other: ScenarioRun | undefined) =>
    other && other.itemsPerSecond > 0 ? run.itemsPerSecond / other.itemsPerSecond : null;
  const cpuRatio = (run: ScenarioRun, other: ScenarioRun | undefined) => {
    const mine = run.cpuMicrosPerItem.tokenizer;
    const theirs = other?.cpuMicrosPerItem['sample tokenizer'];
    return mine && theirs ? theirs / mine : null;
  };
  // Each scenario's rows, its sample-design rows after them, by concurrency; the floors last.
  const variants: Variant[] = ['service', 'sample', 'floor'];
  const scenarios: string[] = [...scenarioNames, ...floorNames];
  const sorted = [...runs].sort(
    (a, b) =>
      Number(a.variant === 'floor') - Number(b.variant === 'floor') ||
      scenarios.indexOf(a.scenario) - scenarios.indexOf(b.scenario) ||
      variants.indexOf(a.variant) - variants.indexOf(b.variant) ||
      a.concurrency - b.concurrency,
  );
  return sorted.map((run) => {
    const isService = run.variant === 'service';
    const scenario = run.scenario as ScenarioName;
    const storeFloor = storeFloorOf[scenario];
    const cpu =
      run.variant === 'sample'
        ? run.cpuMicrosPerItem['sample tokenizer']
        : run.variant === 'service'
          ? run.cpuMicrosPerItem.tokenizer
          : undefined;
    return {
      label: rowLabel(run),
      variant: run.variant,
      concurrency: run.concurrency,
      requestsPerSecond: run.requestsPerSecond,
      itemsPerSecond: run.itemsPerSecond,
      p50: run.latencyMs.p50,
      p95: run.latencyMs.p95,
      p99: run.latencyMs.p99,
      failed: run.failed,
      kmsCallsPer1000: run.kmsCallsPer1000,
      tokenizerCpuMicros: cpu ?? null,
      ofStore: isService && storeFloor ? ratio(run, find(storeFloor, 'floor', run.concurrency)) : null,
      ofCipher:
        isService && cipherScenarios.includes(scenario)
          ? ratio(run, find('aes-256-gcm', 'floor', run.concurrency))
          : null,
      overSample: isService ? ratio(run, find(run.scenario, 'sample', run.concurrency)) : null,
      cpuOverSample: isService ? cpuRatio(run, find(run.scenario, 'sample', run.concurrency)) : null,
      generatorCpuMicros:
        isService || run.variant === 'sample' ? (run.cpuMicrosPerRequest?.generator ?? null) : null,
      spread: run.spread ?? 0,
    };
  });
}

const headers = [
  'scenario',
  'conc.',
  'req/s',
  'items/s',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'errors',
  'KMS calls /1k items',
  'tokenizer CPU µs/item',
  'generator CPU µs/req',
  '÷ store floor',
  '÷ AES-GCM floor',
  '× sample design',
  'CPU ÷ sample',
  'spread',
];

function cells(row: TableRow): string[] {
  return [
    row.label,
    String(row.concurrency),
    formatRate(row.requestsPerSecond),
    formatRate(row.itemsPerSecond),
    formatMs(row.p50),
    formatMs(row.p95),
    formatMs(row.p99),
    String(row.failed),
    row.kmsCallsPer1000 === null ? '–' : formatRate(row.kmsCallsPer1000),
    row.tokenizerCpuMicros === null ? '–' : Math.round(row.tokenizerCpuMicros).toLocaleString('en-US'),
    row.generatorCpuMicros === null ? '–' : Math.round(row.generatorCpuMicros).toLocaleString('en-US'),
    row.ofStore === null ? '' : `${(row.ofStore * 100).toFixed(0)}%`,
    row.ofCipher === null ? '' : `${(row.ofCipher * 100).toFixed(row.ofCipher < 0.1 ? 1 : 0)}%`,
    row.overSample === null ? '' : `${row.overSample.toFixed(1)}×`,
    row.cpuOverSample === null ? '' : `1/${row.cpuOverSample.toFixed(1)}`,
    `±${((row.spread * 100) / 2).toFixed(0)}%`,
  ];
}

/** The table for a terminal: aligned columns, numbers to the right. */
export function consoleTable(rows: readonly TableRow[]): string {
  const body = rows.map(cells);
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...body.map((line) => (line[i] ?? '').length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, i) => (i === 0 ? value.padEnd(widths[i] ?? 0) : value.padStart(widths[i] ?? 0)))
      .join('  ');
  return [line(headers), widths.map((width) => '─'.repeat(width)).join('  '), ...body.map(line)].join('\n');
}

/** The same table in GitHub markdown. */
export function markdownTable(rows: readonly TableRow[]): string {
  const line = (values: string[]) => `| ${values.join(' | ')} |`;
  const align = headers.map((_, i) => (i === 0 ? ':--' : '--:'));
  return [line(headers), line(align), ...rows.map((row) => line(cells(row)))].join('\n');
}

/** Cold start as a small table: bundle sizes, medians with and without source maps, against a bare node start. */
export function coldStartTable(report: ColdStartReport, markdown = false): string {
  const rows = [
    [
      'process',
      'bundle (minified)',
      'source map',
      'median ms as deployed',
      'with --enable-source-maps',
      'without',
      '× node -e 0',
      'node start / import / first event, ms',
    ],
    ['node -e 0', '', '', report.bareNodeMedianMs.toFixed(0), '', '', '1.0×', ''],
    ...report.lambdas.map((lambda) => [
      `${lambda.name} Lambda, first event`,
      `${lambda.bundleBytes.toLocaleString('en-US')} bytes`,
      `${lambda.sourceMapBytes.toLocaleString('en-US')} bytes`,
      `${lambda.medianMs.toFixed(0)} (${lambda.nodeOptions.join(' ') || 'no flags'})`,
      lambda.withSourceMaps.medianMs.toFixed(0),
      lambda.withoutSourceMaps.medianMs.toFixed(0),
      `${(lambda.medianMs / report.bareNodeMedianMs).toFixed(1)}×`,
      [lambda.phasesMs.boot, lambda.phasesMs.import, lambda.phasesMs.firstEvent]
        .map((ms) => ms.toFixed(0))
        .join(' / '),
    ]),
  ];
  return renderTable(rows, markdown);
}

/** The in-process Lambda loop: CPU per item and p50 of each operation, service and sample design. */
export function lambdaLoopTable(loops: readonly LambdaLoopResult[], markdown = false): string {
  const service = loops.find((loop) => loop.variant === 'service');
  const sample = loops.find((loop) => loop.variant === 'sample');
  const rows = [
    [
      'Lambda bundle in process, concurrency 1',
      'CPU µs/item',
      'passes',
      'p50 ms',
      'sample design CPU µs/item',
      'sample p50 ms',
      'CPU ÷ sample',
    ],
    ...(service?.operations ?? []).map((operation) => {
      const baseline = sample?.operations.find((candidate) => candidate.name === operation.name);
      const isFloor = operation.name.startsWith('dynamodb-');
      return [
        isFloor ? `floor: ${floorLabels[operation.name as FloorName]} (this process)` : operation.name,
        // The floor's CPU is this process's SDK client, not the handler's: not measured.
        isFloor ? '–' : Math.round(operation.cpuMicrosPerItem).toLocaleString('en-US'),
        isFloor
          ? ''
          : operation.passes
              .map((pass) => Math.round(pass.cpuMicrosPerItem).toLocaleString('en-US'))
              .join(', '),
        operation.p50Ms.toFixed(2),
        baseline && !isFloor ? Math.round(baseline.cpuMicrosPerItem).toLocaleString('en-US') : '',
        baseline && !isFloor ? baseline.p50Ms.toFixed(2) : '',
        baseline && !isFloor && operation.cpuMicrosPerItem > 0
          ? `1/${(baseline.cpuMicrosPerItem / operation.cpuMicrosPerItem).toFixed(1)}`
          : '',
      ];
    }),
  ];
  return renderTable(rows, markdown);
}

/** Rows (the first is the header) as GitHub markdown or aligned terminal columns, numbers to the right. */
function renderTable(rows: readonly string[][], markdown: boolean): string {
  const header = rows[0] as string[];
  if (markdown) {
    const line = (values: string[]) => `| ${values.join(' | ')} |`;
    const align = header.map((_, i) => (i === 0 ? ':--' : '--:'));
    return [line(header), line(align), ...rows.slice(1).map(line)].join('\n');
  }
  const widths = header.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((value, i) => (i === 0 ? value.padEnd(widths[i] ?? 0) : value.padStart(widths[i] ?? 0)))
        .join('  '),
    )
    .join('\n');
}

export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatMs(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

const tones = [
  {
    variant: 'service',
    name: 'the tokenizer and order service',
    colors: ['#9ecae1', '#4292c6', '#08519c', '#08306b'],
  },
  {
    variant: 'sample',
    name: "the original sample's design (one KMS call per item, signing suite)",
    colors: ['#fdd0a2', '#fd8d3c', '#d94801', '#8c2d04'],
  },
  {
    variant: 'floor',
    name: 'raw floor: DynamoDB Local alone, AES-256-GCM alone',
    colors: ['#d9d9d9', '#969696', '#525252', '#252525'],
  },
] as const;

/** Items per second of every run, grouped by scenario (the sample design next to it, the floors last). */
export function throughputChart(report: Pick<BenchReport, 'runs' | 'machine' | 'options'>): BarChart {
  const concurrencies = [...new Set(report.runs.map((run) => run.concurrency))].sort((a, b) => a - b);
  const series = concurrencies.map((concurrency) => `concurrency ${concurrency}`);
  const present = tones.filter((tone) => report.runs.some((run) => run.variant === tone.variant));
  const groups = new Map<string, BarChart['groups'][number]>();
  for (const row of tableRows(report.runs)) {
    const run = report.runs.find(
      (candidate) => rowLabel(candidate) === row.label && candidate.concurrency === row.concurrency,
    );
    if (!run) continue;
    const label =
      run.variant === 'floor'
        ? floorLabels[run.scenario as FloorName].replace(' ', '\n')
        : `${run.scenario.replace('-', '\n')}${run.variant === 'sample' ? '\n(sample)' : ''}`;
    const group = groups.get(label) ?? {
      label,
      values: {},
      tone: present.findIndex((tone) => tone.variant === run.variant),
    };
    group.values[`concurrency ${run.concurrency}`] = run.itemsPerSecond;
    groups.set(label, group);
  }
  const { machine, options } = report;
  return {
    title: 'Throughput on the local stack: items per second (log scale)',
    subtitle:
      `concurrency ${concurrencies.join(', ')} (light to dark); ${machine.cpus} cores, ${machine.cpuModel}, ` +
      `Node ${machine.node}; median of ${options.passes} passes of ${options.durationSeconds} s after ${options.warmupSeconds} s warm-up`,
    yLabel: 'items per second',
    series,
    tones: present.map((tone) => ({ name: tone.name, colors: [...tone.colors] })),
    groups: [...groups.values()],
  };
}
