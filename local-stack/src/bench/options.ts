import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** The measured scenarios, in the order they run and are shown. */
export const scenarioNames = [
  'tokenize',
  'tokenize-batch',
  'detokenize',
  'detokenize-batch',
  'tokenize-deterministic',
  'order',
  'paybill',
] as const;
export type ScenarioName = (typeof scenarioNames)[number];

/** The raw floor's measurements: the store's two requests and the cipher alone. */
export const floorNames = ['dynamodb-put', 'dynamodb-get', 'aes-256-gcm'] as const;
export type FloorName = (typeof floorNames)[number];

/** The load generator's HTTP clients (load-generator.ts). */
export const httpClientNames = ['node-http', 'fetch'] as const;
export type HttpClientName = (typeof httpClientNames)[number];

/** The baselines measured in the same run: the raw floor (DynamoDB Local, node:crypto) and the sample's design. */
export const baselineNames = ['floor', 'sample'] as const;
export type BaselineName = (typeof baselineNames)[number];

export interface BenchOptions {
  /** Measured seconds per scenario and concurrency, after the warm-up, in each pass. */
  durationSeconds: number;
  /** Passes over the plan (floors and scenarios interleaved: A B A B …), so that drift shows. */
  passes: number;
  /** The load generator's HTTP client. */
  httpClient: HttpClientName;
  /** Longest warm-up of DynamoDB Local (floor requests until their throughput is stable), seconds. */
  dynamoDbWarmupSeconds: number;
  /** Measured seconds per operation and pass of the in-process Lambda loop; 0 skips it. */
  lambdaSeconds: number;
  /** Also write the tables and the chart into docs/performance.md and docs/performance.svg. */
  writeDocs: boolean;
  /** With a folder: V8 CPU profiles of the tokenizers and the Lambda loop are written there (`--cpu-prof`). */
  cpuProfileDir?: string;
  /** Seconds run before each measurement and not counted. */
  warmupSeconds: number;
  concurrency: number[];
  scenarios: ScenarioName[];
  baselines: BaselineName[];
  /** Fresh processes per cold-start measurement (median reported); 0 skips the cold start. */
  coldStartRuns: number;
  /** Folder of the JSON results and the chart. */
  out: string;
  /** Measure the stack `npm start` runs (read from .local-stack/outputs.json) instead of starting one. */
  useRunning: boolean;
  help: boolean;
}

export const usage = `Usage: npm run bench -- [options]

  --duration <s>         measured seconds per scenario, concurrency and pass (default 2)
  --warmup <s>           seconds before each measurement, not counted (default 0.5)
  --passes <n>           passes over floors and scenarios, interleaved (default 2)
  --concurrency <list>   closed-loop workers, e.g. 1,16,64 (default 1,16)
  --http-client <name>   ${httpClientNames.join(' or ')}: the load generator's client (default node-http)
  --dynamodb-warmup <s>  longest warm-up of DynamoDB Local before anything is measured (default 40)
  --lambda-seconds <s>   seconds per operation and pass of the in-process Lambda loop, 0 skips (default 1.5)
  --scenarios <list>     ${scenarioNames.join(',')} (default all)
  --baselines <list>     ${baselineNames.join(',')} or none (default floor,sample)
  --cold-start-runs <n>  fresh processes per cold-start measure, 0 to skip (default 5)
  --out <dir>            results folder (default bench-results at the repository root)
  --use-running          measure the stack of a running \`npm start\` instead of starting one
  --docs                 also write the results into docs/performance.md and docs/performance.svg
  --cpu-prof <dir>       write V8 CPU profiles of the tokenizers and the Lambda loop to <dir> (perturbs the figures)
  --help                 this text`;

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

/**
 * Parses the command line. `cwd` resolves a relative --out (npm runs workspace scripts in the workspace:
 * pass INIT_CWD, the directory npm was started from); `defaultOut` is used without --out.
 */
export function parseBenchOptions(argv: string[], paths: { cwd: string; defaultOut: string }): BenchOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  const out = values.out ?? paths.defaultOut;
  return {
    durationSeconds: positiveNumber('--duration', values.duration, 2),
    warmupSeconds: nonNegativeNumber('--warmup', values.warmup, 0.5),
    passes: integer('--passes', values.passes, 2, 1, 20),
    httpClient: listOf(
      '--http-client',
      values['http-client'] ?? 'node-http',
      httpClientNames,
    )[0] as HttpClientName,
    dynamoDbWarmupSeconds: nonNegativeNumber('--dynamodb-warmup', values['dynamodb-warmup'], 40),
    lambdaSeconds: nonNegativeNumber('--lambda-seconds', values['lambda-seconds'], 1.5),
    writeDocs: values.docs ?? false,
    ...(values['cpu-prof'] === undefined ? {} : { cpuProfileDir: resolve(paths.cwd, values['cpu-prof']) }),
    concurrency: concurrencyList(values.concurrency ?? '1,16'),
    scenarios: listOf('--scenarios', values.scenarios, scenarioNames),
    baselines: values.baselines === 'none' ? [] : listOf('--baselines', values.baselines, baselineNames),
    coldStartRuns: integer('--cold-start-runs', values['cold-start-runs'], 5, 0, 50),
    out: isAbsolute(out) ? out : resolve(paths.cwd, out),
    useRunning: values['use-running'] ?? false,
    help: values.help ?? false,
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      passes: { type: 'string' },
      'http-client': { type: 'string' },
      'dynamodb-warmup': { type: 'string' },
      'lambda-seconds': { type: 'string' },
      docs: { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      concurrency: { type: 'string' },
      scenarios: { type: 'string' },
      baselines: { type: 'string' },
      'cold-start-runs': { type: 'string' },
      out: { type: 'string' },
      'use-running': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 3600)
    throw new BenchUsageError(`${name} must be a number of seconds above 0, got "${raw}"`);
  return value;
}

function nonNegativeNumber(name: string, raw: string | undefined, fallback: number): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 3600)
    throw new BenchUsageError(`${name} must be a number of seconds (0 or more), got "${raw}"`);
  return value;
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new BenchUsageError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
}

function concurrencyList(raw: string): number[] {
  const levels = raw.split(',').map((part) => Number(part.trim()));
  if (levels.length === 0 || levels.some((level) => !Number.isInteger(level) || level < 1 || level > 1024))
    throw new BenchUsageError(`--concurrency must list integers from 1 to 1024, got "${raw}"`);
  return [...new Set(levels)].sort((a, b) => a - b);
}

function listOf<T extends string>(name: string, raw: string | undefined, known: readonly T[]): T[] {
  if (raw === undefined) return [...known];
  const wanted = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const unknown = wanted.filter((part) => !known.includes(part as T));
  if (wanted.length === 0 || unknown.length > 0)
    throw new BenchUsageError(`${name}: unknown "${unknown.join(',') || raw}"; known: ${known.join(', ')}`);
  // Keep the canonical order whatever order they were given in.
  return known.filter((name) => wanted.includes(name));
}
