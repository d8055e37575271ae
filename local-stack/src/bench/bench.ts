// `npm run bench`: throughput, latency, KMS calls, CPU and cold start of the services on the local stack,
// side by side with the raw floor (DynamoDB Local, node:crypto) and the original sample's design.
// Progress goes to stderr; the tables to stdout; JSON, markdown and the SVG chart to bench-results/.
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { repositoryRoot } from '../stack/local-stack.js';
import { measureColdStarts } from './cold-start.js';
import {
  type BenchEnvironment,
  deployedNodeOptions,
  lambdasUnderTest,
  prepareEnvironment,
} from './environment.js';
import { runLambdaLoops } from './lambda-loop.js';
import { measureScenarios, type Progress, sampleScenarios } from './measure.js';
import { type BenchOptions, BenchUsageError, parseBenchOptions, usage } from './options.js';
import {
  type BenchReport,
  coldStartTable,
  consoleTable,
  lambdaLoopTable,
  tableRows,
  throughputChart,
} from './report.js';
import { writeDocs, writeResults } from './results.js';
import { evaluateTargets, targetLines } from './targets.js';

const options = readOptions();
const startedAt = new Date();

// The services' own lines: JSON logs are dropped; other lines (SDK warnings, crashes) are counted for the
// report, and the last ones shown if the bench fails. LOCAL_STACK_VERBOSE=1 prints every line.
const verbose = process.env.LOCAL_STACK_VERBOSE === '1';
const serviceMessages = new Map<string, number>();
const recentLines: string[] = [];
const onLine = (name: string, line: string) => {
  if (verbose) console.error(`[${name}] ${line}`);
  if (line.startsWith('{') || line.trim() === '') return;
  const message = `[${name}] ${line.slice(0, 160)}`;
  serviceMessages.set(message, (serviceMessages.get(message) ?? 0) + 1);
  recentLines.push(message);
  if (recentLines.length > 30) recentLines.shift();
};

console.error(
  `Benchmark: ${options.passes} passes of ${options.durationSeconds} s per run after ${options.warmupSeconds} s ` +
    `of warm-up, concurrency ${options.concurrency.join(', ')}, load generator on ${options.httpClient}`,
);
const withSample =
  options.baselines.includes('sample') &&
  options.scenarios.some((scenario) => sampleScenarios.includes(scenario));
let environment: BenchEnvironment | undefined;
process.once('SIGINT', () => {
  console.error('\nInterrupted: stopping…');
  void (environment?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
});

try {
  environment = await prepareEnvironment({
    useRunning: options.useRunning,
    withSampleTokenizer: withSample,
    onLine,
    cpuProfileDir: options.cpuProfileDir,
    log: (line) => console.error(line),
  });
  const report = await run(environment);
  const targets = evaluateTargets(report);
  const chart = throughputChart(report);
  const files = await writeResults(options.out, report, targets, chart);
  if (options.writeDocs) files.push(...(await writeDocs(repositoryRoot, report, targets, chart)));
  console.log(`\n${consoleTable(tableRows(report.runs))}`);
  if (report.lambdaLoop) console.log(`\n${lambdaLoopTable(report.lambdaLoop)}`);
  if (report.coldStart) console.log(`\n${coldStartTable(report.coldStart)}`);
  console.log(`\n${targetLines(targets).join('\n')}`);
  if (serviceMessages.size > 0) {
    const lines = [...serviceMessages.values()].reduce((sum, count) => sum + count, 0);
    console.log(
      `\nThe services printed ${lines} lines besides their JSON logs (serviceMessages in latest.json).`,
    );
  }
  console.log(`\nWritten: ${files.join(', ')}`);
  if (options.cpuProfileDir)
    console.log(`CPU profiles (when the processes have stopped): ${options.cpuProfileDir}`);
} catch (error) {
  if (recentLines.length > 0) console.error(`The services' last lines:\n${recentLines.join('\n')}`);
  throw error;
} finally {
  await environment?.stop();
}

async function run(env: BenchEnvironment): Promise<BenchReport> {
  const bars = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: ' {bar} {percentage}% | {step}/{steps} {what} | {status} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 40,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(1, 0, { step: 0, steps: 0, what: '', status: 'starting' });
  const progress: Progress = {
    update(step, steps, what, status, fraction = 0) {
      bar.setTotal(steps);
      bar.update(step + fraction, { step: step + 1, steps, what, status });
    },
    // Without a terminal the bar is not drawn: print the lines as they come.
    log: (line) => (process.stderr.isTTY ? bars.log(`${line}\n`) : console.error(line)),
  };
  try {
    const coldStartStep = options.coldStartRuns > 0 ? 1 : 0;
    const loopStep = options.lambdaSeconds > 0 ? 1 : 0;
    const { runs, vaultItemBytes, dynamoDbWarmup } = await measureScenarios(
      env,
      options,
      progress,
      coldStartStep + loopStep,
    );
    const steps = options.passes * runs.length + 1 + loopStep + coldStartStep;
    const lambdas = await lambdasUnderTest(env.outputs);
    const nodeOptions = deployedNodeOptions();
    const tokenizer = lambdas.find((lambda) => lambda.name === 'tokenizer');
    const lambdaLoop =
      loopStep && tokenizer
        ? await runLambdaLoops({
            repositoryRoot,
            tokenizer,
            floor: {
              endpoint: env.outputs.DynamoDBEndpoint,
              region: env.outputs.Region,
              tableName: env.outputs.TokenVaultTableName,
            },
            variants: options.baselines.includes('sample') ? ['service', 'sample'] : ['service'],
            nodeOptions,
            warmupMs: 1000,
            durationMs: options.lambdaSeconds * 1000,
            passes: options.passes,
            kms: env.kms,
            cpuProfileDir: options.cpuProfileDir,
            onStep: (status) => {
              progress.update(steps - loopStep - coldStartStep, steps, 'Lambda loop', status);
              if (/warming|pass \d+\/\d+: dynamodb-put/.test(status)) progress.log(`… Lambda loop ${status}`);
            },
          })
        : undefined;
    const coldStart = coldStartStep
      ? await measureColdStarts(repositoryRoot, lambdas, options.coldStartRuns, nodeOptions, (status) =>
          progress.update(steps - coldStartStep, steps, 'cold start', status),
        )
      : undefined;
    const cpuList = cpus();
    return {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: cpuList.length,
        cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
        node: process.versions.node,
        platform: `${process.platform} ${process.arch}`,
        memoryGiB: Math.round(totalmem() / 1024 ** 3),
      },
      options: {
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        passes: options.passes,
        httpClient: options.httpClient,
        dynamoDbWarmupSeconds: options.dynamoDbWarmupSeconds,
        lambdaSeconds: options.lambdaSeconds,
        writeDocs: options.writeDocs,
        concurrency: options.concurrency,
        scenarios: options.scenarios,
        baselines: options.baselines,
        coldStartRuns: options.coldStartRuns,
        useRunning: options.useRunning,
      },
      ...(vaultItemBytes === undefined ? {} : { vaultItemBytes }),
      runs,
      ...(dynamoDbWarmup ? { dynamoDbWarmup } : {}),
      ...(lambdaLoop ? { lambdaLoop } : {}),
      ...(coldStart ? { coldStart } : {}),
      serviceMessages: Object.fromEntries(serviceMessages),
    };
  } finally {
    bars.stop();
  }
}

function readOptions(): BenchOptions {
  try {
    const parsed = parseBenchOptions(process.argv.slice(2), {
      // npm runs workspace scripts in the workspace: a relative --out is relative to where npm was started.
      cwd: process.env.INIT_CWD ?? process.cwd(),
      defaultOut: join(repositoryRoot, 'bench-results'),
    });
    if (parsed.help) {
      console.log(usage);
      process.exit(0);
    }
    return parsed;
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    console.error(`${error.message}\n\n${usage}`);
    process.exit(2);
  }
}
