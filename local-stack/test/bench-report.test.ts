// The benchmark's report: table rows and ratios, the markdown table, the SVG chart and the target verdicts.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { ColdStartReport, ColdStartTiming } from '../src/bench/cold-start.js';
import { isStable } from '../src/bench/floor.js';
import type { LambdaLoopResult, LoopOperationName } from '../src/bench/lambda-loop.js';
import { mergePasses } from '../src/bench/measure.js';
import type { FloorName, ScenarioName } from '../src/bench/options.js';
import {
  type BenchReport,
  coldStartTable,
  consoleTable,
  lambdaLoopTable,
  markdownTable,
  type ScenarioRun,
  tableRows,
  throughputChart,
  type Variant,
} from '../src/bench/report.js';
import { docsMarkers, withGeneratedSection, writeResults } from '../src/bench/results.js';
import { barChartSvg } from '../src/bench/svg-chart.js';
import { evaluateTargets } from '../src/bench/targets.js';

function run(
  scenario: ScenarioName | FloorName,
  variant: Variant,
  concurrency: number,
  itemsPerSecond: number,
  extra: Partial<ScenarioRun> = {},
): ScenarioRun {
  const itemsPerRequest = scenario.endsWith('-batch') ? 100 : 1;
  return {
    scenario,
    variant,
    concurrency,
    itemsPerRequest,
    windowMs: 3000,
    requestsInWindow: (itemsPerSecond * 3) / itemsPerRequest,
    failed: 0,
    requestsPerSecond: itemsPerSecond / itemsPerRequest,
    itemsPerSecond,
    itemsAfterWarmup: itemsPerSecond * 3,
    latencyMs: { count: 10, mean: 5, p50: 4, p95: 9, p99: 12, max: 15 },
    kmsCallsPer1000: variant === 'floor' ? null : 0,
    kmsCalls: {},
    cpuMicrosPerItem: { tokenizer: 1500, 'sample tokenizer': 6000, generator: 100 },
    cpuMicrosPerRequest: { tokenizer: 1500 * itemsPerRequest, generator: 100 * itemsPerRequest },
    cpuCores: { tokenizer: 0.9 },
    failures: [],
    notes: [],
    passes: [],
    spread: 0.1,
    ...extra,
  };
}

const runs = [
  run('dynamodb-put', 'floor', 16, 500),
  run('aes-256-gcm', 'floor', 16, 40_000),
  run('detokenize-batch', 'service', 16, 2000, { tenants: 3 }),
  run('tokenize', 'sample', 16, 50, { kmsCallsPer1000: 1000, kmsCalls: { GenerateDataKey: 150 } }),
  run('tokenize', 'service', 16, 400, { tenants: 3 }),
  run('tokenize', 'service', 1, 150, { tenants: 3 }),
];

t.test(
  'rows: scenarios in canonical order, their sample design after them, floors last; ratios per concurrency',
  async (t) => {
    const rows = tableRows(runs);
    t.same(
      rows.map((row) => `${row.label}@${row.concurrency}`),
      [
        'tokenize@1',
        'tokenize@16',
        'tokenize (sample design)@16',
        'detokenize-batch@16',
        'floor: DynamoDB PutItem@16',
        'floor: AES-256-GCM@16',
      ],
    );
    const tokenize16 = rows[1];
    t.equal(tokenize16?.ofStore, 0.8, 'tokenize ÷ PutItem at the same concurrency');
    t.equal(tokenize16?.ofCipher, 0.01, 'tokenize ÷ AES-GCM');
    t.equal(tokenize16?.overSample, 8, 'tokenize ÷ its sample design');
    t.equal(tokenize16?.tokenizerCpuMicros, 1500);
    t.equal(rows[2]?.tokenizerCpuMicros, 6000, "the sample rows show the sample tokenizer's CPU");
    t.equal(rows[0]?.ofStore, null, 'no floor measured at concurrency 1: no ratio');
    t.equal(rows[3]?.ofStore, null, 'detokenize compares with GetItem, which was not measured');
    t.equal(rows[4]?.kmsCallsPer1000, null, 'floors make no KMS call');
  },
);

t.test('tables: every row in the console and markdown forms', async (t) => {
  const rows = tableRows(runs);
  const markdown = markdownTable(rows).split('\n');
  t.equal(markdown.length, rows.length + 2, 'header, alignment, one line per row');
  t.match(markdown[0], /^\| scenario \| conc\. \| req\/s \| items\/s \|/);
  t.match(markdown[4], /^\| tokenize \(sample design\) \| 16 \| 50\.0 \| 50\.0 \|.*\| 1,000 \|/);
  t.match(markdown[3], /\| 1,500 \| 100 \| 80% \| 1\.0% \| 8\.0× \| 1\/4\.0 \| ±5% \|$/);
  const lines = consoleTable(rows).split('\n');
  t.equal(lines.length, rows.length + 2);
  t.equal(new Set(lines.map((line) => line.length)).size, 1, 'columns aligned');
});

t.test('the chart is an SVG with a bar per run, a group per scenario and escaped text', async (t) => {
  const report: Pick<BenchReport, 'runs' | 'machine' | 'options'> = {
    runs,
    machine: { cpus: 2, cpuModel: 'Test <CPU> & co', node: '20.0.0', platform: 'linux x64', memoryGiB: 4 },
    options: {
      durationSeconds: 3,
      warmupSeconds: 1,
      passes: 2,
      httpClient: 'node-http',
      dynamoDbWarmupSeconds: 40,
      lambdaSeconds: 1.5,
      writeDocs: false,
      concurrency: [1, 16],
      scenarios: ['tokenize', 'detokenize-batch'],
      baselines: ['floor', 'sample'],
      coldStartRuns: 0,
      useRunning: false,
    },
  };
  const svg = barChartSvg(throughputChart(report));
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.match(svg, /<\/svg>\n$/);
  t.equal((svg.match(/<rect [^>]*><title>/g) ?? []).length, runs.length, 'one bar per run');
  for (const label of ['tokenize', 'detokenize', '(sample)', 'DynamoDB', 'AES-256-GCM'])
    t.ok(svg.includes(`>${label}<`), `labels ${label}`);
  t.ok(svg.includes('Test &lt;CPU&gt; &amp; co'), 'text is escaped');
  t.match(svg, /concurrency 1, 16 \(light to dark\)/);
  t.match(
    svg,
    /the original sample&#39;s design|the original sample's design/,
    'a legend line per kind of bar',
  );
  t.notOk(/<[^>]*<\w/.test(svg.replaceAll('<title>', '')), 'no tag opens inside another');
  t.equal(
    (svg.match(/<text\b/g) ?? []).length,
    (svg.match(/<\/text>/g) ?? []).length,
    'text elements closed',
  );
});

function timing(medianMs: number): ColdStartTiming {
  return { medianMs, samplesMs: [medianMs], phasesMs: { boot: 40, import: medianMs - 50, firstEvent: 10 } };
}

const coldStart: ColdStartReport = {
  bareNodeMedianMs: 50,
  bareNodeSamplesMs: [50],
  lambdas: [
    {
      name: 'tokenizer',
      bundleBytes: 900_000,
      sourceMapBytes: 5_000_000,
      nodeOptions: ['--enable-source-maps'],
      ...timing(200),
      withSourceMaps: timing(200),
      withoutSourceMaps: timing(140),
    },
    {
      name: 'order-service',
      bundleBytes: 800_000,
      sourceMapBytes: 0,
      nodeOptions: [],
      ...timing(120),
      withSourceMaps: timing(130),
      withoutSourceMaps: timing(120),
    },
  ],
};

function loopOperation(name: LoopOperationName, cpuMicrosPerItem: number, p50Ms: number) {
  const pass = { operations: 10, failed: 0, items: 10, cpuMicrosPerItem, p50Ms };
  return { name, cpuMicrosPerItem, p50Ms, cpuSpread: 0, passes: [pass, pass] };
}

const lambdaLoop: LambdaLoopResult[] = [
  {
    variant: 'service',
    nodeOptions: ['--enable-source-maps'],
    durationMs: 1500,
    operations: [
      loopOperation('dynamodb-put', 400, 2.0),
      loopOperation('tokenize', 450, 2.8),
      loopOperation('dynamodb-get', 300, 1.5),
      loopOperation('detokenize', 600, 2.0),
      loopOperation('tokenize-batch', 140, 90),
      loopOperation('detokenize-batch', 160, 30),
    ],
    kmsCalls: { GenerateDataKey: 1 },
    items: { tokenize: 5000, detokenize: 5000 },
  },
  {
    variant: 'sample',
    nodeOptions: ['--enable-source-maps'],
    durationMs: 1500,
    operations: [loopOperation('tokenize', 1800, 9), loopOperation('detokenize', 1200, 8)],
    kmsCalls: { GenerateDataKey: 3000 },
    items: { tokenize: 3000, detokenize: 0 },
  },
];

t.test("targets: the issue's table, each met, missed or not measured with its raw numbers", async (t) => {
  const verdicts = evaluateTargets({ runs, coldStart, lambdaLoop });
  const byTarget = (fragment: string) => {
    const found = verdicts.filter((verdict) => verdict.target.includes(fragment));
    t.equal(found.length, 1, `one verdict for "${fragment}"`);
    return found[0];
  };
  t.equal(byTarget('CPU per tokenize')?.met, true, '0.45 ms ≤ 0.5 ms');
  t.match(byTarget('CPU per tokenize')?.measured, /0\.45 ms .*sample design 1\.80 ms = 4\.0× the CPU/);
  t.equal(byTarget('CPU per detokenize')?.met, false, '0.6 ms > 0.5 ms');
  t.equal(byTarget('batch tokenize')?.met, true, '0.14 ms ≤ 0.15 ms');
  t.equal(byTarget('batch detokenize')?.met, false, '0.16 ms > 0.15 ms');
  t.equal(byTarget('tokenize p50 at concurrency 1 minus the raw PutItem')?.met, true, '2.8 − 2.0 = +0.8 ms');
  t.match(
    byTarget('tokenize p50 at concurrency 1 minus the raw PutItem')?.measured,
    /2\.80 − 2\.00 = \+0\.80 ms/,
  );
  t.equal(byTarget('detokenize p50 at concurrency 1')?.met, true, '2.0 − 1.5 = +0.5 ms');
  t.equal(byTarget('tokenizer cold start')?.met, false, '200 ms as deployed, with source maps');
  t.match(
    byTarget('tokenizer cold start')?.measured,
    /200 ms as deployed .*140 ms without --enable-source-maps/,
  );
  t.equal(byTarget('order-service cold start')?.met, true);
  t.equal(byTarget('tokenizer Lambda bundle')?.met, true, '900,000 bytes ≤ 1,000,000');
  t.equal(byTarget('1,000 tokenizations')?.met, true, '1 call for the loop and HTTP items');
  t.match(byTarget('1,000 tokenizations')?.target, /at least 3 tenants/);
  t.match(byTarget('1,000 tokenizations')?.measured, /round robin over 3 tenants$/);
  t.equal(byTarget('1,000 detokenizations')?.met, true);
  t.equal(byTarget('load generator')?.met, true, '100 µs of 1,500 per request');

  const empty = evaluateTargets({ runs: [] });
  t.ok(empty.length >= 9, 'every target is listed when nothing was measured');
  t.ok(
    empty.every((verdict) => verdict.met === null && verdict.measured === 'not measured'),
    'and each says so',
  );
});

t.test('the KMS verdicts are missed when the HTTP runs went to fewer than 3 tenants', async (t) => {
  const oneTenant = runs.map((entry) => (entry.variant === 'service' ? { ...entry, tenants: 1 } : entry));
  const verdicts = evaluateTargets({ runs: oneTenant, lambdaLoop });
  for (const what of ['1,000 tokenizations', '1,000 detokenizations']) {
    const verdict = verdicts.find((candidate) => candidate.target.includes(what));
    t.equal(verdict?.met, false, `${what}: within the limit, but with one tenant`);
    t.match(verdict?.measured, /over 1 tenant \(fewer than 3\)/);
  }
  const tooMany = runs.map((entry) =>
    entry.variant === 'service' ? { ...entry, tenants: 3, kmsCalls: { Decrypt: 2000 } } : entry,
  );
  const calls = evaluateTargets({ runs: tooMany }).find((verdict) =>
    verdict.target.includes('tokenizations'),
  );
  t.equal(calls?.met, false, 'three tenants, but over the limit');
});

t.test(
  'the cold-start table shows sizes, medians with and without source maps, and the phases',
  async (t) => {
    const markdown = coldStartTable(coldStart, true).split('\n');
    t.equal(markdown.length, 5);
    t.equal(
      markdown[3],
      '| tokenizer Lambda, first event | 900,000 bytes | 5,000,000 bytes | 200 (--enable-source-maps) | 200 | 140 | 4.0× | 40 / 150 / 10 |',
    );
    const loop = lambdaLoopTable(lambdaLoop, true).split('\n');
    t.equal(loop.length, 2 + 6, 'a row per operation of the loop');
    t.match(loop[3], /^\| tokenize \| 450 \| 450, 450 \| 2\.80 \| 1,800 \| 9\.00 \| 1\/4\.0 \|$/);
  },
);

t.test('the JSON report has every figure, and the markdown every target', async (t) => {
  const report: BenchReport = {
    startedAt: '2026-12-01T20:00:00.000Z',
    finishedAt: '2026-12-01T20:05:00.000Z',
    machine: { cpus: 2, cpuModel: 'Test CPU', node: '20.0.0', platform: 'linux x64', memoryGiB: 4 },
    options: {
      durationSeconds: 2,
      warmupSeconds: 1,
      passes: 2,
      httpClient: 'node-http',
      dynamoDbWarmupSeconds: 40,
      lambdaSeconds: 1.5,
      writeDocs: false,
      concurrency: [1, 16],
      scenarios: ['tokenize'],
      baselines: ['floor', 'sample'],
      coldStartRuns: 5,
      useRunning: false,
    },
    runs,
    dynamoDbWarmup: { windows: [900, 2800, 3100, 3050, 3000], stable: true },
    lambdaLoop,
    coldStart,
  };
  const directory = t.testdir();
  const targets = evaluateTargets(report);
  const files = await writeResults(directory, report, targets, throughputChart(report));
  t.ok(files.some((file) => file.endsWith('latest.json')));
  const json = JSON.parse(await readFile(join(directory, 'latest.json'), 'utf8')) as Record<string, unknown>;
  for (const field of [
    'machine',
    'options',
    'runs',
    'table',
    'targets',
    'dynamoDbWarmup',
    'lambdaLoop',
    'coldStart',
  ])
    t.ok(field in json, `latest.json has ${field}`);
  const [firstRun] = json.runs as ScenarioRun[];
  for (const field of [
    'cpuMicrosPerItem',
    'cpuMicrosPerRequest',
    'passes',
    'spread',
    'kmsCalls',
    'latencyMs',
  ])
    t.ok(firstRun && field in firstRun, `each run has ${field}`);
  t.equal((json.targets as unknown[]).length, targets.length);
  const markdown = await readFile(join(directory, 'latest.md'), 'utf8');
  for (const verdict of targets)
    t.ok(markdown.includes(verdict.target), `the markdown lists "${verdict.target}"`);
  t.match(markdown, /DynamoDB Local warmed for 5 s first \(stable at 3,100, 3,050, 3,000 requests\/s\)/);
});

t.test('the docs page: the generated section is replaced between its markers, or added', async (t) => {
  const page = `# Performance\n\nMethod.\n\n${docsMarkers.begin}\nold\n${docsMarkers.end}\n\n## Profiling\n`;
  const updated = withGeneratedSection(page, 'new tables\n');
  t.equal(
    updated,
    `# Performance\n\nMethod.\n\n${docsMarkers.begin}\nnew tables\n${docsMarkers.end}\n\n## Profiling\n`,
  );
  t.equal(withGeneratedSection(updated, 'new tables'), updated, 'idempotent');
  t.equal(withGeneratedSection('# P\n', 'x'), `# P\n\n${docsMarkers.begin}\nx\n${docsMarkers.end}\n`);
});

t.test('passes merge into one run: median throughput, spread, CPU over all items', async (t) => {
  const latencies = [1, 2, 3];
  const merged = mergePasses([
    { run: run('tokenize', 'service', 16, 400, { cpuMicrosPerItem: { tokenizer: 1000 } }), latencies },
    { run: run('tokenize', 'service', 16, 500, { cpuMicrosPerItem: { tokenizer: 2000 } }), latencies },
    { run: run('tokenize', 'service', 16, 300, { cpuMicrosPerItem: { tokenizer: 1000 } }), latencies },
    { run: run('tokenize', 'service', 1, 100), latencies },
  ]);
  t.equal(merged.length, 2);
  const [sixteen] = merged;
  t.equal(sixteen?.itemsPerSecond, 400, 'median');
  t.equal(sixteen?.spread, 0.5, '(500 − 300) ÷ 400');
  t.equal(sixteen?.itemsAfterWarmup, 3600);
  t.equal(
    Math.round(sixteen?.cpuMicrosPerItem.tokenizer ?? 0),
    Math.round(((1200 + 3000 + 900) * 1000) / 3600),
  );
  t.equal(sixteen?.passes.length, 3);
  t.equal(sixteen?.latencyMs.count, 9, 'latencies pooled');
});

t.test('DynamoDB Local is warm when three windows agree within 10%', async (t) => {
  t.equal(isStable([3000, 3100, 2900]), true);
  t.equal(isStable([2000, 3100, 3000]), false);
  t.equal(isStable([0, 0, 0]), false);
});
