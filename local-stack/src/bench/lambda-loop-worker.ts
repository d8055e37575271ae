// Child process of the in-process Lambda loop (lambda-loop.ts): imports one Lambda bundle, calls its handler
// with API Gateway REST events one at a time (no sockets between the bench and the handler; the handler's
// own DynamoDB Local and KMS calls are real), and reports this process's CPU time per operation
// (process.cpuUsage(): the handler, its SDK clients and garbage collection) and the latencies. The raw
// PutItem / GetItem floor runs in the same process, interleaved, for the latency delta.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { restApiEvent } from '@tokenization/local-aws/test-support/lambda-invoke';
import { StoreFloor } from './floor.js';
import type { LambdaLoopRequest, LoopOperationName, LoopPass } from './lambda-loop.js';
import { median } from './stats.js';
import { batchSize, randomCardNumber } from './workload.js';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;

const request = await new Promise<LambdaLoopRequest>((resolve) => process.once('message', resolve));
const { handler } = (await import(pathToFileURL(request.bundleFile).href)) as { handler: Handler };

/** What the handler alone cost, accumulated: the event is made before and the answer checked after. */
const meter = { cpuMicros: 0, latencies: [] as number[] };

let requestNumber = 0;
async function invoke(path: string, body: unknown, expected: number): Promise<string> {
  // API Gateway makes the event on AWS: not the function's time.
  const event = restApiEvent({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', host: 'bench.execute-api.local' },
    body,
    requestContext: {
      requestId: `bench-${++requestNumber}`,
      identity: { userArn: request.userArn, accountId: request.userArn.split(':')[4] },
    },
  });
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const response = await handler(event, {});
  meter.latencies.push(performance.now() - start);
  const cpu = process.cpuUsage(cpuBefore);
  meter.cpuMicros += cpu.user + cpu.system;
  // Status and problem type only: an answer's body may hold values.
  if (response.statusCode !== expected)
    throw new Error(`${path} answered ${response.statusCode} ${problemType(response.body)}`);
  return response.body;
}

/** The floor's requests, timed whole (their CPU is this process's SDK client, not reported). */
async function timedFloor(operation: () => Promise<void>): Promise<void> {
  const start = performance.now();
  await operation();
  meter.latencies.push(performance.now() - start);
}

function problemType(body: string): string {
  try {
    return String((JSON.parse(body) as { type?: unknown }).type ?? '');
  } catch {
    return '';
  }
}

const tokens: string[] = [];
const pickTokens = (count: number) => {
  const start = Math.floor(Math.random() * tokens.length);
  return Array.from({ length: count }, (_, i) => tokens[(start + i) % tokens.length] as string);
};

async function tokenize(): Promise<void> {
  const body = await invoke('/v1/tokens', { value: randomCardNumber() }, 201);
  if (tokens.length < 5_000) tokens.push((JSON.parse(body) as { token: string }).token);
}

async function tokenizeBatch(): Promise<void> {
  const body = await invoke(
    '/v1/tokens/batch',
    { items: Array.from({ length: batchSize }, () => ({ value: randomCardNumber() })) },
    200,
  );
  if (!body.includes('"token"') || body.includes('"error"')) throw new Error('a batch item failed');
}

async function detokenize(count: number): Promise<void> {
  const body = await invoke('/v1/detokenize', { tokens: pickTokens(count) }, 200);
  if (body.includes('"error"')) throw new Error('a detokenize item failed');
}

// Tokens to detokenize and a vault item to copy for the floor.
// A loaded machine may answer a few 503s (a dependency's timeout): tolerated, up to a point.
for (let failures = 0; tokens.length < 2 * batchSize; ) {
  await tokenize().catch((error: unknown) => {
    if (++failures > 20) throw error;
  });
}
const floor = await StoreFloor.fromVaultItem({
  ...request.floor,
  tenant: request.tenant,
  token: tokens[0] as string,
});
const put = floor.operation('dynamodb-put');
const get = floor.operation('dynamodb-get');

const operations: Record<LoopOperationName, { itemsPerOp: number; run: () => Promise<void> }> = {
  'dynamodb-put': { itemsPerOp: 1, run: () => timedFloor(() => put(0)) },
  tokenize: { itemsPerOp: 1, run: tokenize },
  'dynamodb-get': { itemsPerOp: 1, run: () => timedFloor(() => get(0)) },
  detokenize: { itemsPerOp: 1, run: () => detokenize(1) },
  'tokenize-batch': { itemsPerOp: batchSize, run: tokenizeBatch },
  'detokenize-batch': { itemsPerOp: batchSize, run: () => detokenize(batchSize) },
};

/**
 * One operation in a loop for `ms` (at least `minOps` times): the CPU time of this process while the
 * handler ran (its code, its SDK clients, garbage collection), and each latency.
 */
async function measure(name: LoopOperationName, ms: number, minOps: number): Promise<LoopPass> {
  const operation = operations[name];
  meter.cpuMicros = 0;
  meter.latencies = [];
  let failed = 0;
  const started = performance.now();
  while (meter.latencies.length - failed < minOps || performance.now() - started < ms) {
    try {
      await operation.run();
    } catch (error) {
      // Counted (its time and CPU stay in the figures); a loop that only fails is reported as failed.
      if (++failed >= 10 && failed * 2 > meter.latencies.length) throw error;
    }
  }
  const ops = meter.latencies.length;
  return {
    operations: ops,
    failed,
    items: ops * operation.itemsPerOp,
    cpuMicrosPerItem: meter.cpuMicros / (ops * operation.itemsPerOp),
    p50Ms: median(meter.latencies),
  };
}

try {
  const names = request.operations;
  // Untimed: the JIT of this process (and DynamoDB Local's for these requests) settles first.
  for (const name of names) await measure(name, request.warmupMs, 3);
  // The parent resets the local KMS's counters before the measured passes.
  await send({ warmedUp: true });
  await new Promise((resolve) => process.once('message', resolve));
  const passes: Record<string, LoopPass[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let pass = 0; pass < request.passes; pass++) {
    for (const name of names) {
      passes[name]?.push(await measure(name, request.durationMs, 3));
      await send({ progress: `pass ${pass + 1}/${request.passes}: ${name}` });
    }
  }
  await send({ passes });
} catch (error) {
  await send({ error: error instanceof Error ? error.message : String(error) });
} finally {
  floor.close();
}
// The bundle's SDK clients keep sockets open: nothing else is left to do.
process.exit(0);

function send(message: unknown): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));
}
