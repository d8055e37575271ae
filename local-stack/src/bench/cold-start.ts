// Cold start: each Lambda bundle built as the CDK stacks build it, its minified size, and the wall time of a
// fresh `node` process that loads it and answers a first API Gateway event, against a bare `node -e 0`.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { lambdaEsbuildOptions } from '@tokenization/infra/lambda-bundling';
import {
  healthProbeEvent,
  invokeBundleScript,
  invokeResult,
} from '@tokenization/local-aws/test-support/lambda-invoke';
import { build } from 'esbuild';
import { median } from './stats.js';

export interface LambdaUnderTest {
  name: string;
  /** The Lambda entry, relative to the repository root. */
  entry: string;
  /** The function's environment as the CDK stack sets it, with the local stack's endpoints. */
  environment: Record<string, string>;
  /** The verified caller API Gateway would report (the tokenizer's API uses AWS_IAM). */
  userArn?: string;
}

export interface ColdStartTiming {
  /** Median spawn-to-exit milliseconds of `node` importing the bundle and answering GET /health/live. */
  medianMs: number;
  samplesMs: number[];
  /** Medians of the phases inside the process: Node's own start, importing the bundle (module code and
   * the app's `ready()`), answering the first event. */
  phasesMs: { boot: number; import: number; firstEvent: number };
}

export interface ColdStartResult extends ColdStartTiming {
  name: string;
  bundleBytes: number;
  /** 0 when the bundles are built without a source map. */
  sourceMapBytes: number;
  /** The Node flags the top-level timing ran with: what the deployed functions run with. */
  nodeOptions: string[];
  /** The same bundle with and without `--enable-source-maps`. */
  withSourceMaps: ColdStartTiming;
  withoutSourceMaps: ColdStartTiming;
}

export interface ColdStartReport {
  /** Median spawn-to-exit milliseconds of `node -e 0` on this machine. */
  bareNodeMedianMs: number;
  bareNodeSamplesMs: number[];
  lambdas: ColdStartResult[];
}

/**
 * Bundles every Lambda, then times `runs` fresh processes of each, with and without `--enable-source-maps`
 * (after one untimed run that warms the disk cache). `deployedNodeOptions`: the flags the functions run with.
 */
export async function measureColdStarts(
  repositoryRoot: string,
  lambdas: LambdaUnderTest[],
  runs: number,
  deployedNodeOptions: string[],
  onStep: (what: string) => void = () => {},
): Promise<ColdStartReport> {
  const outdir = await mkdtemp(join(tmpdir(), 'bench-bundles-'));
  try {
    const bundles = [];
    for (const lambda of lambdas) {
      onStep(`bundling ${lambda.name}`);
      bundles.push({
        lambda,
        file: await bundleLambda(repositoryRoot, lambda.entry, join(outdir, lambda.name)),
      });
    }
    onStep('timing node -e 0');
    const bare = await timeRuns(runs, () => timeProcess(['-e', '0'], {}));
    const results: ColdStartResult[] = [];
    for (const { lambda, file } of bundles) {
      const { NODE_OPTIONS: _flags, ...environment } = lambda.environment;
      const script = invokeBundleScript(file, healthProbeEvent(lambda.userArn));
      const timing = async (flags: string[]): Promise<ColdStartTiming> => {
        onStep(`timing the ${lambda.name} bundle ${flags.join(' ') || 'without flags'}`);
        const phases: { boot: number; import: number; firstEvent: number }[] = [];
        const samples = await timeRuns(runs, () =>
          timeProcess([...flags, '--input-type=module', '-e', script], environment, (output) => {
            const { statusCode, timings } = invokeResult(output);
            if (statusCode !== 200)
              throw new Error(`${lambda.name}: GET /health/live answered ${statusCode}`);
            if (timings)
              phases.push({
                boot: timings.bootMs,
                import: timings.importMs,
                firstEvent: timings.firstEventMs,
              });
          }),
        );
        const timed = phases.slice(1); // the untimed first run is left out here too
        return {
          medianMs: median(samples),
          samplesMs: samples,
          phasesMs: {
            boot: median(timed.map((phase) => phase.boot)),
            import: median(timed.map((phase) => phase.import)),
            firstEvent: median(timed.map((phase) => phase.firstEvent)),
          },
        };
      };
      const withSourceMaps = await timing(['--enable-source-maps']);
      const withoutSourceMaps = await timing([]);
      const deployed = deployedNodeOptions.includes('--enable-source-maps')
        ? withSourceMaps
        : withoutSourceMaps;
      results.push({
        name: lambda.name,
        bundleBytes: (await stat(file)).size,
        sourceMapBytes: await stat(`${file}.map`).then(
          (map) => map.size,
          () => 0,
        ),
        ...deployed,
        nodeOptions: deployedNodeOptions,
        withSourceMaps,
        withoutSourceMaps,
      });
    }
    return { bareNodeMedianMs: median(bare), bareNodeSamplesMs: bare, lambdas: results };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/** esbuild with the settings NodejsFunction gets from ServiceFunction (infra/lib/lambda-bundling.ts). */
export async function bundleLambda(repositoryRoot: string, entry: string, outdir: string): Promise<string> {
  const outfile = join(outdir, 'index.mjs');
  await build({ ...lambdaEsbuildOptions(repositoryRoot, entry, outfile), logLevel: 'error' });
  return outfile;
}

async function timeRuns(runs: number, once: () => Promise<number>): Promise<number[]> {
  await once(); // untimed: the first run pays for reading the files from disk
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once());
  return samples;
}

/** Milliseconds from spawning `node args` until it exits; a failure or a rejected `check` throws. */
function timeProcess(
  args: string[],
  environment: Record<string, string>,
  check: (stdout: string) => void = () => {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? '', ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const elapsed = performance.now() - started;
      if (code !== 0)
        return reject(new Error(`node ${args[0]} exited with ${code}: ${stderr.slice(0, 500)}`));
      try {
        check(stdout);
        resolve(elapsed);
      } catch (error) {
        reject(error);
      }
    });
  });
}
