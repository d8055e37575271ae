// The benchmark's pure parts: percentiles, option parsing and pro-rated request counting (no timing here).
import t from 'tap';
import { roundRobin } from '../src/bench/load-generator.js';
import { BenchUsageError, parseBenchOptions, scenarioNames } from '../src/bench/options.js';
import { overlapShare } from '../src/bench/runner.js';
import { median, percentile, summarize } from '../src/bench/stats.js';

t.test('percentiles are nearest-rank on sorted samples', async (t) => {
  const samples = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
  t.equal(percentile(samples, 50), 50);
  t.equal(percentile(samples, 95), 95);
  t.equal(percentile(samples, 99), 99);
  t.equal(percentile(samples, 100), 100);
  t.equal(percentile(samples, 0), 1);
  t.equal(percentile([7], 99), 7, 'one sample is every percentile');
  t.ok(Number.isNaN(percentile([], 50)), 'no samples: NaN, not 0');
  t.equal(median([5, 1, 3]), 3, 'median sorts first');
});

t.test('summarize sorts unsorted samples and reports count, mean and tail', async (t) => {
  const summary = summarize([30, 10, 20, 40]);
  t.same(summary, { count: 4, mean: 25, p50: 20, p95: 40, p99: 40, max: 40 });
  t.equal(summarize([]).count, 0);
});

t.test('a request counts for the share of its duration inside the window', async (t) => {
  const window = { start: 10, end: 20 };
  t.equal(overlapShare({ start: 12, end: 18 }, window), 1, 'inside');
  t.equal(overlapShare({ start: 0, end: 5 }, window), 0, 'before');
  t.equal(overlapShare({ start: 0, end: 20 }, window), 0.5, 'half of it inside');
  t.equal(overlapShare({ start: 0, end: 40 }, window), 0.25, 'longer than the window');
  t.equal(overlapShare({ start: 15, end: 15 }, window), 1, 'instantaneous, inside');
});

const paths = { cwd: '/home/dev/repo', defaultOut: '/repo/bench-results' };

t.test('round robin: each request goes to the next caller, whichever worker sends it', async (t) => {
  const sent: string[] = [];
  const caller = (name: string) => async (worker: number) => void sent.push(`${name}:${worker}`);
  const operation = roundRobin([caller('bench'), caller('bench-2'), caller('bench-3')]);
  for (let i = 0; i < 4; i++) await operation(0);
  await Promise.all([operation(1), operation(2)]);
  t.same(sent, ['bench:0', 'bench-2:0', 'bench-3:0', 'bench:0', 'bench-2:1', 'bench-3:2']);
  t.throws(() => roundRobin([]));
});

t.test('options: documented defaults', async (t) => {
  const options = parseBenchOptions([], paths);
  t.equal(options.durationSeconds, 2);
  t.equal(options.warmupSeconds, 0.5);
  t.equal(options.passes, 2);
  t.equal(options.httpClient, 'node-http');
  t.equal(options.lambdaSeconds, 1.5);
  t.equal(options.writeDocs, false);
  t.same(options.concurrency, [1, 16], '64 only when asked for');
  t.same(options.scenarios, [...scenarioNames]);
  t.same(options.baselines, ['floor', 'sample']);
  t.equal(options.coldStartRuns, 5);
  t.equal(options.out, '/repo/bench-results');
  t.equal(options.useRunning, false);
});

t.test('options: values are parsed, lists keep their canonical order', async (t) => {
  const options = parseBenchOptions(
    [
      '--duration',
      '10',
      '--warmup=0',
      '--concurrency',
      '64, 1,16,1',
      '--scenarios',
      'paybill,tokenize',
      '--baselines',
      'none',
      '--cold-start-runs',
      '0',
      '--out',
      'results',
      '--use-running',
    ],
    paths,
  );
  t.equal(options.durationSeconds, 10);
  t.equal(options.warmupSeconds, 0);
  t.same(options.concurrency, [1, 16, 64], 'sorted, without repeats');
  t.same(options.scenarios, ['tokenize', 'paybill']);
  t.same(options.baselines, []);
  t.equal(options.coldStartRuns, 0);
  t.equal(options.out, '/home/dev/repo/results', 'relative to where npm was started');
  t.equal(options.useRunning, true);
  t.equal(parseBenchOptions(['--out', '/tmp/x'], paths).out, '/tmp/x');
});

t.test('options: bad values fail with the option named', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--duration', '0'], /--duration/],
    [['--duration', 'soon'], /--duration/],
    [['--warmup=-1'], /--warmup/],
    [['--concurrency', '1,x'], /--concurrency/],
    [['--concurrency', '0'], /--concurrency/],
    [['--scenarios', 'tokenize,refund'], /--scenarios: unknown "refund"/],
    [['--baselines', 'cloud'], /--baselines/],
    [['--cold-start-runs', '2.5'], /--cold-start-runs/],
    [['--passes', '0'], /--passes/],
    [['--http-client', 'curl'], /--http-client: unknown "curl"/],
    [['--turbo'], /turbo/],
    [['positional'], /positional/],
  ];
  for (const [argv, message] of cases) {
    const thrown = t.throws(() => parseBenchOptions(argv, paths), { message }, argv.join(' '));
    t.ok(thrown instanceof BenchUsageError, `${argv.join(' ')}: a usage error`);
  }
});
