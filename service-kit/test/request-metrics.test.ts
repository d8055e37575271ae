// The one line per request: a CloudWatch EMF record with the request's metrics and summary, and nothing
// else from the request lifecycle.
import { Writable } from 'node:stream';
import { createContractApp } from '@tokenization/service-kit/contract-routes';
import { DependencyUnavailableError } from '@tokenization/service-kit/errors';
import { createServiceLogger } from '@tokenization/service-kit/logging';
import {
  addRequestMetric,
  addRunningRequestMetric,
  MetricUnit,
  outcomeOf,
} from '@tokenization/service-kit/metrics';
import t, { type Test } from 'tap';

type Line = Record<string, unknown> & {
  _aws?: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
};

const card = '4111111111111111';

async function testApp(t: Test, options: { level?: string; adapterMetrics?: boolean } = {}) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = createServiceLogger({ level: options.level ?? 'trace', destination });
  const app = createContractApp({
    logger,
    bodyLimit: 1024,
    metrics: {
      namespace: 'TestNamespace',
      serviceName: 'test-service',
      ...(options.adapterMetrics ? { adapterMetrics: true } : {}),
    },
  });
  app.get('/items/:item', { config: { operationId: 'getItem' } }, async (request) => {
    addRequestMetric(request, 'ItemsRead', MetricUnit.Count, 2);
    await new Promise((resolve) => setImmediate(resolve));
    // As an adapter would: it never sees the request.
    addRunningRequestMetric('AdapterCalls');
    addRunningRequestMetric('AdapterCalls');
    return { ok: true };
  });
  app.get('/store-down', { config: { operationId: 'storeDown' } }, async () => {
    throw new DependencyUnavailableError('store');
  });
  app.get('/bug', { config: { operationId: 'bug' } }, async () => {
    throw new Error('a bug');
  });
  t.teardown(() => app.close());
  await app.ready();
  const parsed = () => lines.map((line) => JSON.parse(line) as Line);
  return { app, lines, parsed };
}

/** The checks of the CloudWatch EMF specification: every metric and dimension is a top-level member. */
function assertEmf(t: Test, line: Line): void {
  const metadata = line._aws;
  if (!metadata) {
    t.fail('no _aws member');
    return;
  }
  t.type(metadata.Timestamp, 'number', '_aws.Timestamp is a number (ms since the epoch)');
  for (const directive of metadata.CloudWatchMetrics) {
    t.equal(directive.Namespace, 'TestNamespace');
    for (const set of directive.Dimensions) {
      for (const name of set) t.type(line[name], 'string', `dimension ${name} is a top-level string`);
    }
    for (const metric of directive.Metrics) {
      t.type(line[metric.Name], 'number', `metric ${metric.Name} is a top-level number`);
    }
  }
}

t.test('one EMF line per request: metrics, dimensions and the summary, no other line', async (t) => {
  const { app, parsed } = await testApp(t);
  const response = await app.inject({ method: 'GET', url: '/items/a1' });
  t.equal(response.statusCode, 200);
  const lines = parsed();
  t.equal(lines.length, 1, "one line, not Fastify's two");
  const [line] = lines as [Line];
  assertEmf(t, line);
  t.same(line._aws?.CloudWatchMetrics[0]?.Dimensions, [['service', 'operation', 'outcome'], ['service']]);
  t.same(
    line._aws?.CloudWatchMetrics[0]?.Metrics.map((metric) => `${metric.Name}:${metric.Unit}`),
    ['Requests:Count', 'Latency:Milliseconds', 'ItemsRead:Count'],
  );
  t.match(line, {
    service: 'test-service',
    operation: 'getItem',
    outcome: 'success',
    Requests: 1,
    Latency: Number,
    ItemsRead: 2,
    requestId: String,
    method: 'GET',
    route: '/items/:item',
    statusCode: 200,
    msg: 'request completed',
  });
  t.notOk('AdapterCalls' in line, 'without adapterMetrics, adapters add nothing');
});

t.test('with adapterMetrics, what adapters add counts for the request whose handler runs', async (t) => {
  const { app, parsed } = await testApp(t, { adapterMetrics: true });
  await Promise.all([
    app.inject({ method: 'GET', url: '/items/a1' }),
    app.inject({ method: 'GET', url: '/items/a2' }),
  ]);
  t.same(
    parsed().map((line) => line.AdapterCalls),
    [2, 2],
    'two calls each, not four on one line',
  );
  t.doesNotThrow(() => addRunningRequestMetric('AdapterCalls'), 'outside a request: nothing, no error');
});

t.test('the line is written whatever the log level', async (t) => {
  const { app, parsed } = await testApp(t, { level: 'silent' });
  await app.inject({ method: 'GET', url: '/items/a1' });
  t.equal(parsed().length, 1);
});

t.test('a dependency outage counts DependencyErrors with the dependency as a dimension', async (t) => {
  const { app, parsed } = await testApp(t);
  await app.inject({ method: 'GET', url: '/store-down' });
  await app.inject({ method: 'GET', url: '/bug' });
  const [outage, bug] = parsed().filter((line) => line._aws) as [Line, Line];
  assertEmf(t, outage);
  t.same(outage._aws?.CloudWatchMetrics[0]?.Dimensions, [
    ['service', 'operation', 'outcome'],
    ['service'],
    ['service', 'dependency'],
  ]);
  t.match(outage, { operation: 'storeDown', dependency: 'store', DependencyErrors: 1 });
  t.notOk('DependencyErrors' in bug, 'a bug is no dependency error');
  t.notOk('dependency' in bug);
});

t.test('the route pattern, never the URL: a card number in the path never reaches the line', async (t) => {
  const { app, lines, parsed } = await testApp(t);
  const dashed = card.replace(/(\d{4})(?=\d)/g, '$1-');
  for (const url of [`/items/${card}?q=${card}`, `/elsewhere/${card}`, `/items/${dashed}`]) {
    await app.inject({ method: 'GET', url });
  }
  t.same(
    parsed().map((line) => [line.route, line.operation]),
    [
      ['/items/:item', 'getItem'],
      [null, 'unknown-route'],
      ['/items/:item', 'getItem'],
    ],
  );
  t.same(
    lines.filter((line) => line.includes(card) || line.includes(dashed)),
    [],
    'no line holds the card number',
  );
});

t.test('outcomes are a few classes of status codes', async (t) => {
  t.same([200, 201, 204, 400, 401, 403, 404, 413, 429, 500, 502, 503].map(outcomeOf), [
    'success',
    'success',
    'success',
    'client_error',
    'denied',
    'denied',
    'client_error',
    'client_error',
    'throttled',
    'error',
    'error',
    'unavailable',
  ]);
});
