// The one log line per request both services write: a CloudWatch embedded metric format (EMF) record,
// built by Powertools for AWS Lambda's Metrics, that carries the request's metrics and its summary. On
// Lambda, CloudWatch Logs turns the record into metrics; locally, the same line is printed.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type DestinationStream, symbols } from 'pino';
import { DependencyUnavailableError } from './errors.js';

export { MetricUnit };
export type MetricUnitName = (typeof MetricUnit)[keyof typeof MetricUnit];

/** The metric names every service emits (units in docs/observability.md). */
export const requestMetricNames = {
  requests: 'Requests',
  latency: 'Latency',
  dependencyErrors: 'DependencyErrors',
} as const;

/** What a service sets: where its metrics go, and whether its adapters add to them. */
export interface RequestMetricsConfig {
  /** The CloudWatch namespace (METRICS_NAMESPACE). */
  namespace: string;
  /** The `service` dimension (METRICS_SERVICE_NAME). */
  serviceName: string;
  /**
   * True when adapters that never see the request add metrics (`addRunningRequestMetric`): handlers then
   * run inside an AsyncLocalStorage scope, which costs every request a little, so it is opt-in.
   */
  adapterMetrics?: boolean;
}

export interface RequestMetricsOptions extends RequestMetricsConfig {
  /**
   * The service's logger: the line goes to its destination, beside the service's other lines, whatever
   * LOG_LEVEL says (the metrics must not vanish with a quieter level).
   */
  logger: FastifyBaseLogger;
}

/**
 * A request's outcome as a dimension: a handful of classes of status codes, so the dimension stays
 * low-cardinality and alarms can key on it.
 */
export function outcomeOf(statusCode: number): string {
  if (statusCode < 400) return 'success';
  if (statusCode === 401 || statusCode === 403) return 'denied';
  if (statusCode === 429) return 'throttled';
  if (statusCode === 503) return 'unavailable';
  return statusCode < 500 ? 'client_error' : 'error';
}

interface Recorded {
  unit: MetricUnitName;
  value: number;
}

/** What one request recorded so far; written by its onResponse hook. */
class RequestRecord {
  readonly values = new Map<string, Recorded>();
  dependency: string | undefined;

  add(name: string, unit: MetricUnitName, value: number): void {
    const recorded = this.values.get(name);
    if (recorded) recorded.value += value;
    else this.values.set(name, { unit, value });
  }
}

const records = new WeakMap<FastifyRequest, RequestRecord>();
// The record of the request whose handler is running, for adapters that never see the request (the KMS
// client, the cipher): set around the handler, so their calls count for the request that made them.
const running = new AsyncLocalStorage<RequestRecord>();

function recordOf(request: FastifyRequest): RequestRecord {
  let record = records.get(request);
  if (!record) {
    record = new RequestRecord();
    records.set(request, record);
  }
  return record;
}

/** Adds `value` to metric `name` of `request`'s line (values of the same name are summed). */
export function addRequestMetric(
  request: FastifyRequest,
  name: string,
  unit: MetricUnitName = MetricUnit.Count,
  value = 1,
): void {
  recordOf(request).add(name, unit, value);
}

/**
 * Adds `value` to metric `name` of the request whose handler is running; nothing outside a handler (at
 * start, in a readiness check run by no request). For adapters that never see the request, in apps whose
 * metrics were registered with `adapterMetrics`.
 */
export function addRunningRequestMetric(
  name: string,
  unit: MetricUnitName = MetricUnit.Count,
  value = 1,
): void {
  running.getStore()?.add(name, unit, value);
}

/**
 * Writes one EMF line per request from onResponse, in place of Fastify's two request lines (turned off by
 * `disableRequestLogging`). Dimension sets: [service, operation, outcome], [service], and
 * [service, dependency] on the lines of requests a dependency outage failed. Never a tenant, a principal,
 * a token or the URL as sent: the route's pattern only.
 */
export function registerRequestMetrics(app: FastifyInstance, options: RequestMetricsOptions): void {
  const metrics = new Metrics({
    namespace: options.namespace,
    serviceName: options.serviceName,
    logger: options.logger,
  });
  // Written to the logger's stream as it is, not through pino: the record holds only the service's own
  // names and numbers (no caller text to redact), and a second serialization would double the line's cost.
  const destination = (options.logger as unknown as Record<symbol, DestinationStream>)[symbols.streamSym];
  if (!destination) throw new Error('request metrics need a pino logger (its stream)');

  if (options.adapterMetrics) {
    // The rest of the lifecycle (later preHandler hooks, the handler) is started from `done`, in the scope.
    app.addHook('preHandler', (request, _reply, done) => {
      running.run(recordOf(request), done);
    });
  }
  app.addHook('onError', async (request, _reply, error) => {
    if (error instanceof DependencyUnavailableError) {
      const record = recordOf(request);
      record.dependency = error.dependency;
      record.add(requestMetricNames.dependencyErrors, MetricUnit.Count, 1);
    }
  });
  app.addHook('onResponse', (request, reply, done) => {
    destination.write(`${JSON.stringify(requestLine(metrics, request, reply))}\n`);
    done();
  });
}

/** The EMF record of one request: its metrics, dimensions and summary. Synchronous: no request interleaves. */
function requestLine(metrics: Metrics, request: FastifyRequest, reply: FastifyReply): object {
  const record = records.get(request);
  const statusCode = reply.statusCode;
  metrics.addDimensions({
    operation: request.routeOptions.config?.operationId ?? 'unknown-route',
    outcome: outcomeOf(statusCode),
  });
  metrics.addDimensions({});
  if (record?.dependency) metrics.addDimensions({ dependency: record.dependency });
  const durationMs = Math.round(reply.elapsedTime * 1000) / 1000;
  metrics.addMetric(requestMetricNames.requests, MetricUnit.Count, 1);
  metrics.addMetric(requestMetricNames.latency, MetricUnit.Milliseconds, durationMs);
  if (record) for (const [name, { unit, value }] of record.values) metrics.addMetric(name, unit, value);
  let emf: object;
  try {
    emf = metrics.serializeMetrics();
  } finally {
    metrics.clearMetrics();
    metrics.clearDimensions();
  }
  return {
    level: 'info',
    msg: 'request completed',
    ...emf,
    requestId: request.id,
    method: request.method,
    // The route's pattern, never the URL as sent (caller text, which may hold a card number).
    route: request.routeOptions.url ?? null,
    statusCode,
  };
}
