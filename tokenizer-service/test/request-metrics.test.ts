// The tokenizer's one line per request, as CloudWatch would read it (embedded metric format): request and
// item counts by outcome, batch sizes, KMS calls and data key cache hits, dependency errors. Real DynamoDB
// Local and the local KMS stand-in.
import { cardForms } from '@tokenization/local-aws/test-support/test-cards';
import t, { type Test } from 'tap';
import {
  assertNoCardNumberLogged,
  capturedLogLines,
  createTestStack,
  type TestStack,
  testCardNumbers,
} from './helpers/test-stack.js';

const [visa, mastercard] = testCardNumbers;

interface EmfLine extends Record<string, unknown> {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
}

/** The EMF lines one request left behind, checked against the specification as they are parsed. */
async function emfLinesOf(t: Test, send: () => Promise<unknown>): Promise<EmfLine[]> {
  const from = capturedLogLines.length;
  await send();
  const lines = capturedLogLines
    .slice(from)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line): line is EmfLine => '_aws' in line);
  for (const line of lines) {
    t.type(line._aws.Timestamp, 'number', '_aws.Timestamp');
    for (const directive of line._aws.CloudWatchMetrics) {
      t.equal(directive.Namespace, 'Tokenization', 'the namespace from the config (default)');
      for (const set of directive.Dimensions) {
        for (const name of set) t.type(line[name], 'string', `dimension ${name} is a top-level member`);
      }
      for (const metric of directive.Metrics) {
        t.type(line[metric.Name], 'number', `metric ${metric.Name} is a top-level member`);
      }
    }
  }
  return lines;
}

/** The one EMF line of one request. */
async function emfLineOf(t: Test, send: () => Promise<unknown>): Promise<EmfLine> {
  const lines = await emfLinesOf(t, send);
  t.equal(lines.length, 1, 'exactly one metrics line for the request');
  return lines[0] as EmfLine;
}

const unitOf = (line: EmfLine, name: string) =>
  line._aws.CloudWatchMetrics[0]?.Metrics.find((metric) => metric.Name === name)?.Unit;

t.test('tokenize and detokenize: counts by outcome, batch size, KMS calls, cache hits', async (t) => {
  const stack = await createTestStack(t);
  const tokenize = (value: string) =>
    stack.inject({ method: 'POST', url: '/v1/tokens', payload: { value, type: 'card_number' } });

  let token = '';
  const first = await emfLineOf(t, async () => {
    token = (await tokenize(visa)).json().token;
  });
  t.same(first._aws.CloudWatchMetrics[0]?.Dimensions, [['service', 'operation', 'outcome'], ['service']]);
  t.match(first, {
    service: 'tokenizer',
    operation: 'tokenize',
    outcome: 'success',
    Requests: 1,
    ItemsSucceeded: 1,
    KmsCalls: 1,
    DataKeyCacheMisses: 1,
    method: 'POST',
    route: '/v1/tokens',
    statusCode: 201,
  });
  t.equal(first.KmsCalls, 1, "the first value asked KMS for its tenant's branch key");
  t.equal(unitOf(first, 'Latency'), 'Milliseconds');
  t.equal(unitOf(first, 'KmsCalls'), 'Count');

  const second = await emfLineOf(t, () => tokenize(mastercard));
  t.match(second, { operation: 'tokenize', DataKeyCacheHits: 1 });
  t.notOk('KmsCalls' in second, 'the second found its branch key in the cache: no KMS call');

  const kmsDecryptsBefore = stack.kms.stats().Decrypt ?? 0;
  const detokenized = await emfLineOf(t, () =>
    stack.inject({
      method: 'POST',
      url: '/v1/detokenize',
      payload: { tokens: [token, 'tok_AAAAAAAAAAAAAAAAAAAAAA', visa] },
    }),
  );
  t.match(detokenized, {
    operation: 'detokenize',
    outcome: 'success',
    BatchSize: 3,
    ItemsSucceeded: 1,
    ItemsFailed: 2,
    KmsCalls: (stack.kms.stats().Decrypt ?? 0) - kmsDecryptsBefore,
    DataKeyCacheMisses: 1,
    route: '/v1/detokenize',
  });

  const batch = await emfLineOf(t, () =>
    stack.inject({
      method: 'POST',
      url: '/v1/tokens/batch',
      payload: { items: [{ value: 'one' }, { value: 'two' }] },
    }),
  );
  t.match(batch, { operation: 'tokenizeBatch', BatchSize: 2, ItemsSucceeded: 2, ItemsFailed: 0 });

  const denied = await emfLineOf(t, () =>
    stack.app.inject({ method: 'POST', url: '/v1/tokens', payload: { value: 'unsigned' } }),
  );
  t.match(denied, { operation: 'tokenize', outcome: 'denied', Requests: 1, statusCode: 401 });
  t.notOk('ItemsSucceeded' in denied);
});

t.test('KMS down: the failed request counts a dependency error, with the dependency', async (t) => {
  const stack = await createTestStack(t);
  stack.kms.setFault({ mode: 'fail' });
  const line = await emfLineOf(t, () =>
    stack.inject({ method: 'POST', url: '/v1/tokens', payload: { value: visa } }),
  );
  stack.kms.setFault({ mode: 'none' });
  t.match(line, {
    operation: 'tokenize',
    outcome: 'unavailable',
    statusCode: 503,
    dependency: 'kms',
    DependencyErrors: 1,
  });
  t.same(line._aws.CloudWatchMetrics[0]?.Dimensions.at(-1), ['service', 'dependency']);
});

t.test('the vault store down: a dependency error of the store', async (t) => {
  const stack = await createTestStack(t, { env: { DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' } });
  const line = await emfLineOf(t, () =>
    stack.inject({
      method: 'POST',
      url: '/v1/detokenize',
      payload: { tokens: ['tok_AAAAAAAAAAAAAAAAAAAAAA'] },
    }),
  );
  t.match(line, {
    operation: 'detokenize',
    outcome: 'unavailable',
    dependency: 'store',
    DependencyErrors: 1,
  });
});

/** Sends each request and returns every EMF line they left behind, as text. */
async function emfTextOf(t: Test, stack: TestStack, urls: string[]): Promise<string[]> {
  const lines: EmfLine[] = [];
  for (const url of urls) {
    lines.push(...(await emfLinesOf(t, () => stack.inject({ method: 'GET', url }))));
    lines.push(
      ...(await emfLinesOf(t, () =>
        stack.inject({ method: 'POST', url, payload: { tokens: [visa], value: visa } }),
      )),
    );
  }
  return lines.map((line) => JSON.stringify(line));
}

t.test('no EMF line holds a card number a caller put in a path segment', async (t) => {
  const stack = await createTestStack(t);
  const forms = [visa, ...cardForms(visa), encodeURIComponent(cardForms(visa)[2] as string)] as string[];
  const urls = forms.flatMap((form) => [
    `/v1/tokens/${form}`,
    `/v1/tokens/${form}/verify`,
    `/v1/${form}`,
    `/v1/tokens/${form}?q=${form}`,
  ]);
  const lines = await emfTextOf(t, stack, urls);
  t.ok(lines.length >= urls.length * 2, 'every request left its line');
  const digitsOf = (text: string) => text.replace(/[\s\-.]|%20/g, '');
  t.same(
    lines.filter((line) => digitsOf(line).includes(visa)),
    [],
    'no line holds the card number, whatever separators it was sent with',
  );
  const routes = new Set(lines.map((line) => (JSON.parse(line) as { route: unknown }).route));
  t.same(
    [...routes].sort(),
    ['/v1/tokens/:token', '/v1/tokens/:token/verify', null].sort(),
    'lines name route patterns (null for no route), never a path as sent',
  );
});

assertNoCardNumberLogged(t);
