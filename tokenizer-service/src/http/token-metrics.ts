import type { HookSet } from '@tokenization/service-kit/hook-order';
import { addRequestMetric } from '@tokenization/service-kit/metrics';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { operationIdOf } from './operation-access.js';

/** The tokenizer's own metrics in the per-request line, beside the kit's `Requests` and `Latency`. */
export const tokenMetricNames = {
  /** Items in a tokenizeBatch or detokenize request. */
  batchSize: 'BatchSize',
  /** Values tokenized or revealed (a single tokenize that answered 201 counts one). */
  itemsSucceeded: 'ItemsSucceeded',
  /** Items answered with an error of their own (not_found, expired, invalid, ...). */
  itemsFailed: 'ItemsFailed',
  /** Calls to KMS (the adapters count them: data keys, decrypts, MACs, the readiness probe). */
  kmsCalls: 'KmsCalls',
  /** Encryption SDK operations whose data key came from the cache, and those that asked KMS. */
  dataKeyCacheHits: 'DataKeyCacheHits',
  dataKeyCacheMisses: 'DataKeyCacheMisses',
} as const;

const itemOperations = new Set(['tokenize', 'tokenizeBatch', 'detokenize']);

/** Counts items by outcome from the handler's result, before it is serialized: never reads a value. */
export function tokenMetricsHooks(): HookSet {
  return { name: 'token-metrics', register: registerTokenMetrics };
}

function registerTokenMetrics(app: FastifyInstance): void {
  app.addHook('preSerialization', async (request, reply, payload: unknown) => {
    const operation = operationIdOf(request);
    if (operation && itemOperations.has(operation) && reply.statusCode < 300) {
      countItems(request, operation, payload);
    }
    return payload;
  });
}

function countItems(request: FastifyRequest, operation: string, payload: unknown): void {
  if (operation === 'tokenize') {
    addRequestMetric(request, tokenMetricNames.itemsSucceeded);
    return;
  }
  const results = (payload as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return;
  let failed = 0;
  for (const result of results) if ((result as { error?: unknown } | null)?.error) failed++;
  addRequestMetric(request, tokenMetricNames.batchSize, undefined, results.length);
  addRequestMetric(request, tokenMetricNames.itemsSucceeded, undefined, results.length - failed);
  addRequestMetric(request, tokenMetricNames.itemsFailed, undefined, failed);
}
