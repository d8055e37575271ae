// The in-process Lambda loop: the tokenizer's Lambda bundle (built as `cdk synth` builds it) called with API
// Gateway REST events in a child process of its own, one event at a time, against the local stack's
// DynamoDB Local and KMS. Its CPU per operation is what Lambda bills: the issue's targets are read from it.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleLambda, type LambdaUnderTest } from './cold-start.js';
import { median } from './stats.js';

/** The loop's operations, in the order each pass runs them (each floor right before what it bounds). */
export const loopOperationNames = [
  'dynamodb-put',
  'tokenize',
  'dynamodb-get',
  'detokenize',
  'tokenize-batch',
  'detokenize-batch',
] as const;
export type LoopOperationName = (typeof loopOperationNames)[number];

/** What the parent sends the worker (lambda-loop-worker.ts). */
export interface LambdaLoopRequest {
  bundleFile: string;
  userArn: string;
  tenant: string;
  floor: { endpoint: string; region: string; tableName: string };
  operations: LoopOperationName[];
  warmupMs: number;
  durationMs: number;
  passes: number;
}

/** One operation's loop in one pass. */
export interface LoopPass {
  /** Handler calls (or floor requests), failed ones included. */
  operations: number;
  /** Calls that did not answer as expected (a dependency's timeout on a loaded machine). */
  failed: number;
  items: number;
  /** The worker's CPU (user + system) per item: per request, or per item of a 100-item batch. */
  cpuMicrosPerItem: number;
  p50Ms: number;
}

export interface LoopOperationResult {
  name: LoopOperationName;
  /** Median of the passes. */
  cpuMicrosPerItem: number;
  p50Ms: number;
  /** (max − min) ÷ median of the passes' CPU per item. */
  cpuSpread: number;
  passes: LoopPass[];
}

export interface LambdaLoopResult {
  /** `service`: the tokenizer as built; `sample`: ENCRYPTION_PROFILE=sample-per-item-signing. */
  variant: 'service' | 'sample';
  nodeOptions: string[];
  durationMs: number;
  operations: LoopOperationResult[];
  /** KMS calls the bundle made after its warm-up, by operation name, and per 1,000 items. */
  kmsCalls: Record<string, number>;
  items: { tokenize: number; detokenize: number };
}

export interface LambdaLoopOptions {
  repositoryRoot: string;
  tokenizer: LambdaUnderTest;
  floor: LambdaLoopRequest['floor'];
  variants: ('service' | 'sample')[];
  /** Node flags of the Lambda runtime (`--enable-source-maps` when the functions set it). */
  nodeOptions: string[];
  warmupMs: number;
  durationMs: number;
  passes: number;
  kms: { stats(): Promise<Record<string, number>>; reset(): Promise<void> };
  onStep?: (status: string) => void;
  /** With a folder: each worker writes a V8 CPU profile into `lambda-loop-<variant>` in it. */
  cpuProfileDir?: string | undefined;
}

interface WorkerMessage {
  progress?: string;
  warmedUp?: boolean;
  passes?: Record<string, LoopPass[]>;
  error?: string;
}

const workerFile = fileURLToPath(new URL('./lambda-loop-worker.ts', import.meta.url));

/** Builds the tokenizer's bundle once and runs the loop in a fresh worker per variant. */
export async function runLambdaLoops(options: LambdaLoopOptions): Promise<LambdaLoopResult[]> {
  const outdir = await mkdtemp(join(tmpdir(), 'bench-lambda-loop-'));
  try {
    options.onStep?.('bundling the tokenizer');
    const bundleFile = await bundleLambda(options.repositoryRoot, options.tokenizer.entry, outdir);
    const results: LambdaLoopResult[] = [];
    for (const variant of options.variants) results.push(await runOne(options, bundleFile, variant));
    return results;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

async function runOne(
  options: LambdaLoopOptions,
  bundleFile: string,
  variant: 'service' | 'sample',
): Promise<LambdaLoopResult> {
  const { NODE_OPTIONS: _flags, ...environment } = options.tokenizer.environment;
  const request: LambdaLoopRequest = {
    bundleFile,
    userArn: options.tokenizer.userArn ?? '',
    tenant: 'bench',
    floor: options.floor,
    operations: [...loopOperationNames],
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    passes: options.passes,
  };
  const child = fork(workerFile, [], {
    cwd: options.repositoryRoot,
    // tsx loads the worker; the bundle itself is plain JavaScript and loads as it would on Lambda.
    execArgv: [
      '--import',
      'tsx',
      ...options.nodeOptions,
      ...(options.cpuProfileDir
        ? ['--cpu-prof', `--cpu-prof-dir=${join(options.cpuProfileDir, `lambda-loop-${variant}`)}`]
        : []),
    ],
    env: {
      PATH: process.env.PATH ?? '',
      ...environment,
      ...(variant === 'sample' ? { ENCRYPTION_PROFILE: 'sample-per-item-signing' } : {}),
    },
    // The bundle's log lines go to a pipe, as on Lambda, and are dropped.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.resume();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const passes = await new Promise<Record<string, LoopPass[]>>((resolve, reject) => {
    child.on('message', (message: WorkerMessage) => {
      if (message.progress) options.onStep?.(`${variant}: ${message.progress}`);
      // KMS calls are counted from the end of the worker's warm-up.
      if (message.warmedUp)
        void options.kms.reset().then(
          () => child.send({ go: true }),
          (error: unknown) => reject(error),
        );
      if (message.passes) resolve(message.passes);
      if (message.error) reject(new Error(`Lambda loop (${variant}): ${message.error}`));
    });
    child.once('exit', (code) =>
      reject(new Error(`the Lambda loop (${variant}) exited with ${code}: ${stderr.slice(-500)}`)),
    );
    child.once('error', reject);
    child.send(request);
    options.onStep?.(`${variant}: warming up`);
  }).finally(async () => {
    // The worker exits by itself once it has answered (and writes its CPU profile, if asked); a stuck one is
    // stopped.
    if (child.exitCode === null)
      await Promise.race([once(child, 'exit'), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (child.exitCode === null) child.kill();
  });
  const kmsCalls = await options.kms.stats();

  const operations = loopOperationNames.map((name): LoopOperationResult => {
    const list = passes[name] ?? [];
    const cpu = list.map((pass) => pass.cpuMicrosPerItem);
    const middle = median(cpu);
    return {
      name,
      cpuMicrosPerItem: middle,
      p50Ms: median(list.map((pass) => pass.p50Ms)),
      cpuSpread: middle > 0 ? (Math.max(...cpu) - Math.min(...cpu)) / middle : 0,
      passes: list,
    };
  });
  const itemsOf = (names: LoopOperationName[]) =>
    operations
      .filter((operation) => names.includes(operation.name))
      .reduce((sum, operation) => sum + operation.passes.reduce((total, pass) => total + pass.items, 0), 0);
  return {
    variant,
    nodeOptions: options.nodeOptions,
    durationMs: options.durationMs,
    operations,
    kmsCalls,
    items: {
      tokenize: itemsOf(['tokenize', 'tokenize-batch']),
      detokenize: itemsOf(['detokenize', 'detokenize-batch']),
    },
  };
}
