// The benchmark's report: table rows and ratios, the markdown table, the SVG chart and the target verdicts.
import t from 'tap';
import type { FloorName, ScenarioName } from '../src/bench/options.js';
import {
  type BenchReport,
  coldStartTable,
  consoleTable,
  markdownTable,
  type ScenarioRun,
  tableRows,
  throughputChart,
  type Variant,
} from '../src/bench/report.js';
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
    cpuMicrosPerItem: { tokenizer: 1500, 'sample tokenizer': 6000 },
    cpuCores: { tokenizer: 0.9 },
    failures: [],
    notes: [],
    ...extra,
  };
}

const runs = [
  run('dynamodb-put', 'floor', 16, 500),
  run('aes-256-gcm', 'floor', 16, 40_000),
  run('detokenize-batch', 'service', 16, 2000),
  run('tokenize', 'sample', 16, 50, { kmsCallsPer1000: 1000, kmsCalls: { GenerateDataKey: 150 } }),
  run('tokenize', 'service', 16, 400),
  run('tokenize', 'service', 1, 150),
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
  t.match(markdown[3], /\| 80% \| 1\.0% \| 8\.0× \|$/);
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

t.test('targets: met, missed, or not measured', async (t) => {
  const verdicts = evaluateTargets({
    runs: [
      ...runs,
      run('detokenize', 'service', 16, 600, { itemsAfterWarmup: 1000, kmsCalls: { Decrypt: 100 } }),
    ],
    coldStart: {
      bareNodeMedianMs: 50,
      bareNodeSamplesMs: [50],
      lambdas: [
        {
          name: 'tokenizer',
          bundleBytes: 1_400_000,
          sourceMapBytes: 1,
          medianMs: 200,
          samplesMs: [200],
          phasesMs: { boot: 40, import: 150, firstEvent: 10 },
        },
      ],
    },
  });
  const byTarget = (fragment: string) => verdicts.find((verdict) => verdict.target.includes(fragment));
  t.equal(byTarget('70%')?.met, true, '400 of 500 PutItem/s is 80%');
  t.equal(byTarget('tokenizations')?.met, true, 'no KMS call');
  t.equal(
    byTarget('detokenizations')?.met,
    false,
    '100 calls for 7,000 items (with the batch run): 14 per 1,000',
  );
  t.equal(byTarget('bundle')?.met, true);
  t.equal(byTarget('cold start')?.met, false, '4× a bare start');
  t.equal(evaluateTargets({ runs: [] }).find((verdict) => verdict.target.includes('70%'))?.met, null);
});

t.test('the cold-start table shows sizes, the median against node -e 0, and the phases', async (t) => {
  const markdown = coldStartTable(
    {
      bareNodeMedianMs: 50,
      bareNodeSamplesMs: [50],
      lambdas: [
        {
          name: 'tokenizer',
          bundleBytes: 1_400_000,
          sourceMapBytes: 5_000_000,
          medianMs: 200,
          samplesMs: [200],
          phasesMs: { boot: 40, import: 150, firstEvent: 10 },
        },
      ],
    },
    true,
  ).split('\n');
  t.equal(markdown.length, 4);
  t.equal(
    markdown[3],
    '| tokenizer Lambda, first event | 1,400,000 bytes | 5,000,000 bytes | 200 | 4.0× | 40 / 150 / 10 |',
  );
});
