// What the bench measures against: its own local stack on free ports (beside any `npm start`), or the
// running one; plus a second tokenizer in the original sample's design.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { lambdaBundling } from '@tokenization/infra/lambda-bundling';
import { waitUntil } from '@tokenization/local-aws/child-service';
import { vaultEnvironment } from '../stack/admin-cli.js';
import {
  authorizationPolicyFile,
  type LocalStackOutputs,
  localCredentials,
  outputsFile,
  startLocalStack,
  startService,
  tokenizerEntry,
  tokenizerEnvironment,
} from '../stack/local-stack.js';
import { signedFetcher } from '../stack/signed-fetch.js';
import type { LambdaUnderTest } from './cold-start.js';
import type { ProcessRef } from './process-cpu.js';

export interface BenchEnvironment {
  outputs: LocalStackOutputs;
  /** The tokenizer in ENCRYPTION_PROFILE=sample-per-item-signing, when asked for. */
  sampleTokenizerUrl?: string;
  kms: { stats(): Promise<Record<string, number>>; reset(): Promise<void> };
  /** Processes whose CPU time is measured; `bench` is this process (load generator and local KMS). */
  pids: Record<string, ProcessRef>;
  stop(): Promise<void>;
}

export interface EnvironmentOptions {
  useRunning: boolean;
  withSampleTokenizer: boolean;
  /** Lines the services print. */
  onLine: (name: string, line: string) => void;
  /** With a folder: each tokenizer writes a V8 CPU profile into a subfolder of it when it stops. */
  cpuProfileDir?: string | undefined;
  log: (line: string) => void;
}

/**
 * The bench measures deterministic tokenization at full speed: its own tokenizers lift the per-principal
 * limit (DETERMINISTIC_TOKENIZATIONS_PER_MINUTE, 60 by default), which would otherwise answer 429 within a
 * second. `--use-running` measures `npm start`'s tokenizer as configured, limit included.
 */
const cpuProfilePreload = fileURLToPath(new URL('./cpu-profile-preload.mjs', import.meta.url));

function benchTokenizerEnvironment(options: EnvironmentOptions, name: string): Record<string, string> {
  return {
    DETERMINISTIC_TOKENIZATIONS_PER_MINUTE: '1000000',
    ...(options.cpuProfileDir
      ? {
          NODE_OPTIONS: `--import=${pathToFileURL(cpuProfilePreload).href}`,
          BENCH_CPU_PROFILE_DIR: join(options.cpuProfileDir, name),
        }
      : {}),
  };
}

export async function prepareEnvironment(options: EnvironmentOptions): Promise<BenchEnvironment> {
  const environment = options.useRunning ? await runningStack(options) : await ownStack(options);
  if (!options.withSampleTokenizer) return environment;
  try {
    return await withSampleTokenizer(environment, options);
  } catch (error) {
    await environment.stop();
    throw error;
  }
}

async function ownStack(options: EnvironmentOptions): Promise<BenchEnvironment> {
  const host = '127.0.0.1';
  options.log('Starting a local stack for the benchmark (in memory, on free ports)…');
  const stack = await startLocalStack(
    {
      host,
      region: 'us-east-1',
      ports: {
        dynamoDb: await freePort(host),
        kms: await freePort(host),
        cognito: await freePort(host),
        tokenizer: await freePort(host),
        orders: await freePort(host),
      },
      tables: { vault: 'BenchTokenVault', orders: 'BenchCustomerOrders', keyStore: 'BenchBranchKeyStore' },
      writeOutputs: false,
      tokenizerEnvironment: benchTokenizerEnvironment(options, 'tokenizer'),
    },
    options.onLine,
  );
  return {
    outputs: stack.outputs,
    kms: { stats: async () => stack.kms.stats(), reset: async () => stack.kms.resetStats() },
    pids: {
      tokenizer: stack.pids.tokenizer,
      orders: stack.pids.orders,
      dynamodb: stack.pids.dynamoDb,
      bench: 'self',
    },
    stop: () => stack.stop(),
  };
}

/** The stack of `npm start`, from its outputs file; the KMS counters over its admin routes. */
async function runningStack(options: EnvironmentOptions): Promise<BenchEnvironment> {
  const outputs = JSON.parse(await readFile(outputsFile, 'utf8').catch(() => '{}')) as LocalStackOutputs;
  if (!outputs.TokenizerApiUrl)
    throw new Error(`--use-running: no ${outputsFile}; is \`npm start\` running?`);
  const kms = outputs.KmsEndpoint;
  options.log(`Using the running stack (${outputsFile}); the CPU time of its processes is not measured.`);
  return {
    outputs,
    kms: {
      stats: async () => (await (await fetch(`${kms}/_local/stats`)).json()) as Record<string, number>,
      reset: async () => void (await fetch(`${kms}/_local/stats/reset`, { method: 'POST' })),
    },
    pids: { bench: 'self' },
    stop: async () => {},
  };
}

async function withSampleTokenizer(
  environment: BenchEnvironment,
  options: EnvironmentOptions,
): Promise<BenchEnvironment> {
  const host = new URL(environment.outputs.TokenizerApiUrl).hostname;
  const port = await freePort(host);
  options.log(
    'Starting a second tokenizer in the sample design (ENCRYPTION_PROFILE=sample-per-item-signing)…',
  );
  const child = startService('sample tokenizer', tokenizerEntry, options.onLine, {
    ...tokenizerEnvironment(environment.outputs, host, port),
    ...benchTokenizerEnvironment(options, 'sample-tokenizer'),
    ENCRYPTION_PROFILE: 'sample-per-item-signing',
  });
  const url = `http://${host}:${port}`;
  const fetcher = signedFetcher({
    credentials: await localCredentials('bench'),
    region: environment.outputs.Region,
  });
  try {
    await waitUntil('the sample tokenizer', async () => (await fetcher(`${url}/health/ready`)).ok, {
      exited: child.exited,
    });
  } catch (error) {
    await child.stop();
    throw error;
  }
  return {
    ...environment,
    sampleTokenizerUrl: url,
    pids: {
      ...environment.pids,
      ...(environment.pids.tokenizer === undefined ? {} : { 'sample tokenizer': child.process.pid }),
    },
    stop: async () => {
      await child.stop();
      await environment.stop();
    },
  };
}

/** The Node flags the deployed functions run with (their NODE_OPTIONS, infra/lib/lambda-bundling.ts). */
export function deployedNodeOptions(): string[] {
  return lambdaBundling.nodeOptions.split(/\s+/).filter(Boolean);
}

/** Both Lambda entries with the environment their CDK stacks give them, pointed at the local stack. */
export async function lambdasUnderTest(outputs: LocalStackOutputs): Promise<LambdaUnderTest[]> {
  // As infra/lib/service-function.ts and the stacks set them (LOG_LEVEL: the deployment's default); the
  // Node flags are given apart (deployedNodeOptions), since the bench times the bundles with and without.
  const common = { AWS_REGION: outputs.Region, LOG_LEVEL: 'info' };
  const orderCredentials = await localCredentials('order-service');
  return [
    {
      name: 'tokenizer',
      entry: 'tokenizer-service/src/lambda.ts',
      userArn: 'arn:aws:sts::000000000000:assumed-role/bench/cold-start',
      environment: {
        ...common,
        ...vaultEnvironment(outputs),
        AUTHORIZATION_POLICY: JSON.stringify(JSON.parse(await readFile(authorizationPolicyFile, 'utf8'))),
      },
    },
    {
      name: 'order-service',
      entry: 'order-service/src/lambda.ts',
      environment: {
        ...common,
        AWS_ACCESS_KEY_ID: orderCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: orderCredentials.secretAccessKey,
        ORDER_TABLE_NAME: outputs.CustomerOrderTableName,
        TOKENIZER_API_URL: outputs.TokenizerApiUrl,
        COGNITO_USER_POOL_ID: outputs.UserPoolId,
        COGNITO_CLIENT_ID: outputs.UserPoolAppClientId,
        COGNITO_ENDPOINT: outputs.CognitoEndpoint,
        DYNAMODB_ENDPOINT: outputs.DynamoDBEndpoint,
      },
    },
  ];
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
