// The load generator's process (forked by generator.ts): runs the closed loops against the services over
// HTTP, apart from the bench process (which hosts the local KMS and reads the services' log lines), so that
// /proc shows the generator's own CPU per request.

import type { GeneratorMessage, GeneratorRequest, LoadSpec } from './generator.js';
import { httpClient, OrderWorkload, roundRobin, TokenizerLoad } from './load-generator.js';
import { runClosedLoop } from './runner.js';

const client = httpClient(
  (process.env.BENCH_HTTP_CLIENT as 'node-http' | 'fetch' | undefined) ?? 'node-http',
);
const tokenizers = new Map<string, TokenizerLoad>();
const orderWorkloads = new Map<string, OrderWorkload>();
let shortages = 0;

function send(message: GeneratorMessage): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));
}

/** Waits for the parent's acknowledgement (it reads the other processes' CPU and the KMS counters). */
let acknowledge: (() => void) | undefined;
const acknowledged = () =>
  new Promise<void>((resolve) => {
    acknowledge = resolve;
  });

function operationOf(spec: LoadSpec) {
  if (spec.kind === 'tokenizer') {
    const operations = spec.callers.map(({ credentials, pool }) => {
      const key = `${spec.baseUrl} ${credentials.accessKeyId}`;
      let load = tokenizers.get(key);
      if (!load) {
        load = new TokenizerLoad(spec.baseUrl, client, { region: spec.region, credentials });
        tokenizers.set(key, load);
      }
      return load.operation(spec.scenario, pool);
    });
    return roundRobin(operations);
  }
  return orders(spec.baseUrl, spec.idToken).operation(spec.scenario, () => shortages++);
}

function orders(baseUrl: string, idToken: string): OrderWorkload {
  let workload = orderWorkloads.get(baseUrl);
  if (!workload) {
    workload = new OrderWorkload(baseUrl, idToken, client);
    orderWorkloads.set(baseUrl, workload);
  }
  return workload;
}

async function handle(request: GeneratorRequest): Promise<void> {
  if (request.type === 'ack') {
    acknowledge?.();
    return;
  }
  try {
    if (request.type === 'prepare-orders') {
      await orders(request.baseUrl, request.idToken).ensureUnpaid(request.count);
      await send({ type: 'prepared' });
      return;
    }
    const shortagesBefore = shortages;
    const result = await runClosedLoop({
      concurrency: request.concurrency,
      warmupMs: request.warmupMs,
      durationMs: request.durationMs,
      operation: operationOf(request.spec),
      onMeasureStart: async () => {
        const ack = acknowledged();
        await send({ type: 'measure-start' });
        await ack;
      },
      onDrained: async () => {
        const ack = acknowledged();
        await send({ type: 'drained' });
        await ack;
      },
      onTick: ({ phase, ended }) => void send({ type: 'tick', phase, ended }),
      tickMs: 500,
    });
    await send({ type: 'result', result, shortages: shortages - shortagesBefore });
  } catch (error) {
    await send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
}

process.on('message', (request: GeneratorRequest) => void handle(request));
process.on('disconnect', () => {
  client.close();
  process.exit(0);
});
