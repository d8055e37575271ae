// The contract tests are only as good as their validator and generators: these check that the validator
// catches each kind of departure from a contract, and that values generated from a schema are valid
// against it while each mutation breaks it.
import fc from 'fast-check';
import t from 'tap';
import { orderDocument } from '../generated/order-document.js';
import { tokenizerDocument } from '../generated/tokenizer-document.js';
import { ContractValidator } from './helpers/contract-validator.js';
import { arbitraryFor, mutationsOf } from './helpers/schema-arbitrary.js';

const tokenizer = new ContractValidator('tokenizer', tokenizerDocument);
const order = new ContractValidator('order', orderDocument);
const json = { 'content-type': 'application/json; charset=utf-8' };
const problemJson = { 'content-type': 'application/problem+json; charset=utf-8' };
const created = {
  token: 'tok_3q2-7wEjRk6Yb1cM9xPz0A',
  createdAt: '2026-11-29T12:00:00.000Z',
  type: 'generic',
  format: 'random',
  deterministic: false,
};
const unavailable = {
  type: 'urn:tokenization:problem:dependency-unavailable',
  title: 'Service Unavailable',
  status: 503,
};

const verdict = (operationId: string, status: number, headers: Record<string, string>, body: unknown) =>
  tokenizer.responseProblems(operationId, {
    status,
    headers,
    body: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body),
  });

t.test('conforming responses pass', async (t) => {
  t.same(verdict('tokenize', 201, json, created), []);
  t.same(verdict('tokenize', 503, { ...problemJson, 'retry-after': '3' }, unavailable), []);
  t.same(verdict('deleteToken', 204, {}, undefined), []);
  t.same(
    verdict('tokenizeBatch', 200, json, {
      results: [created, { error: { code: 'invalid_value', message: 'x' } }],
    }),
    [],
  );
});

t.test('each kind of departure is caught', async (t) => {
  const cases: [string, string[], RegExp][] = [
    [
      'undocumented status',
      verdict('tokenize', 500, problemJson, { ...unavailable, status: 500 }),
      /status 500 is not documented/,
    ],
    [
      'missing Retry-After',
      verdict('tokenize', 503, problemJson, unavailable),
      /header Retry-After is missing/,
    ],
    [
      'Retry-After not a number',
      verdict('tokenize', 503, { ...problemJson, 'retry-after': 'soon' }, unavailable),
      /Retry-After="soon"/,
    ],
    [
      'Retry-After below 1',
      verdict('tokenize', 503, { ...problemJson, 'retry-after': '0' }, unavailable),
      /must be >= 1/,
    ],
    [
      'undocumented media type',
      verdict('tokenize', 503, { ...json, 'retry-after': '1' }, unavailable),
      /Content-Type application\/json is not documented/,
    ],
    ['no Content-Type', verdict('tokenize', 201, {}, created), /Content-Type \(none\)/],
    ['not JSON', verdict('tokenize', 201, json, '{"token":'), /is not JSON/],
    [
      'missing required field',
      verdict('tokenize', 201, json, { ...created, token: undefined }),
      /must have required property 'token'/,
    ],
    [
      'field outside a closed schema',
      verdict('tokenize', 201, json, { ...created, value: '4111' }),
      /must NOT have additional properties \(value\)/,
    ],
    [
      'field outside an open schema',
      verdict('tokenize', 503, { ...problemJson, 'retry-after': '1' }, { ...unavailable, stack: 'at x' }),
      /\/stack is not declared/,
    ],
    [
      'problem status differs',
      verdict('tokenize', 503, { ...problemJson, 'retry-after': '1' }, { ...unavailable, status: 500 }),
      /\/status is 500/,
    ],
    [
      'bad format',
      verdict('tokenize', 201, json, { ...created, createdAt: 'yesterday' }),
      /must match format "date-time"/,
    ],
    ['body where none is documented', verdict('deleteToken', 204, json, { ok: true }), /documents no body/],
    [
      'item matching no branch',
      verdict('tokenizeBatch', 200, json, { results: [{ token: 'tok_x' }] }),
      /must match exactly one schema in oneOf/,
    ],
  ];
  for (const [what, problems, expected] of cases) {
    t.match(problems.join('\n'), expected, what);
  }
});

t.test('requests: each kind of departure is caught', async (t) => {
  const signed = { authorization: 'AWS4-HMAC-SHA256 ...', 'content-type': 'application/json' };
  const request = (method: string, url: string, headers: Record<string, string>, body = '') =>
    tokenizer.requestProblems({ method, url, headers, body }).problems.join('\n');
  t.equal(request('POST', '/v1/tokens', signed, '{"value":"x"}'), '');
  t.equal(request('DELETE', '/v1/tokens/tok_abc', { authorization: 'x' }), '');
  t.match(request('PUT', '/v1/tokens', signed, '{}'), /no operation/);
  t.match(request('POST', '/v1/tokens', signed, '{"value":1}'), /\/body\/value must be string/);
  t.match(
    request('POST', '/v1/tokens', { 'content-type': 'application/json' }, '{"value":"x"}'),
    /Authorization header is missing/,
  );
  t.match(
    request('POST', '/v1/tokens', { ...signed, 'content-type': 'text/plain' }, '{"value":"x"}'),
    /Content-Type text\/plain/,
  );
  t.match(request('POST', '/v1/tokens', signed), /required body is missing/);
  t.match(request('GET', '/v1/tokens/bad%21token', signed), /\/params\/token must match pattern/);
  t.match(request('GET', '/v1/tokens/tok_a?reveal=1', signed), /query string reveal=1 is not documented/);
  t.equal(
    order.requestProblems({ method: 'GET', url: '/health/live', headers: {}, body: '' }).problems.length,
    0,
    'public',
  );
});

const schemasOf = (validator: ContractValidator) =>
  validator.routes.flatMap((route) => [
    ...(route.schema.body ? [[`${route.operationId} request`, route.schema.body] as const] : []),
    ...route.statusCodes.flatMap((status) => {
      const content = validator.responseObject(route.operationId, status)?.content ?? {};
      return Object.values(content).map(
        (media) => [`${route.operationId} ${status}`, media.schema ?? {}] as const,
      );
    }),
  ]);

t.test('generated values are valid against their schema; each mutation breaks it', async (t) => {
  for (const validator of [tokenizer, order]) {
    for (const [name, schema] of schemasOf(validator)) {
      const samples = fc.sample(arbitraryFor(schema), { numRuns: 40, seed: 42 });
      const invalid = samples.filter((value) => validator.schemaProblems(schema, value).length > 0);
      // oneOf branches may overlap in principle; the contracts' never do (closed objects).
      t.same(invalid, [], `${validator.name} ${name}: every generated value is valid`);
      const first = samples[0];
      const mutations = mutationsOf(schema, first);
      const stillValid = mutations.filter(
        (mutation) => validator.schemaProblems(schema, mutation.value).length === 0,
      );
      t.ok(mutations.length > 0, `${validator.name} ${name}: mutations exist`);
      t.same(
        stillValid.map((mutation) => mutation.description),
        [],
        `${validator.name} ${name}: every mutation is invalid`,
      );
    }
  }
});
