import { GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import t from 'tap';
import { tokenKey } from '../src/adapters/vault-table.js';
import { assertNoCardNumberLogged, createTestStack, testCardNumbers } from './helpers/test-stack.js';

const [visa, mastercard, amex] = testCardNumbers;
const json = { 'content-type': 'application/json' };

t.test('a tokenized card number detokenizes to itself, and the vault holds only ciphertext', async (t) => {
  const { inject, dynamoDb, tableName } = await createTestStack(t);
  const created = await inject({ method: 'POST', url: '/v1/tokens', payload: { value: visa } });
  t.equal(created.statusCode, 201);
  const { token, createdAt } = created.json();
  t.match(token, /^tok_[A-Za-z0-9_-]{22}$/);
  t.ok(Date.parse(createdAt) > 0, 'createdAt is a timestamp');
  t.notMatch(created.body, visa, 'the response does not echo the value');

  const revealed = await inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [token] } });
  t.equal(revealed.statusCode, 200);
  t.same(revealed.json(), { results: [{ token, value: visa }] });

  const { Item } = await dynamoDb.send(
    new GetItemCommand({ TableName: tableName, Key: { pk: { S: tokenKey('default', token) } } }),
  );
  t.ok(Item?.ciphertext?.B, 'the item has a ciphertext');
  const raw = JSON.stringify(Item) + Buffer.from(Item?.ciphertext?.B ?? []).toString('latin1');
  t.notOk(raw.includes(visa), 'no attribute or ciphertext byte run holds the card number');
  t.equal(Item?.tenant?.S, 'default');
});

t.test('batches tokenize up to 100 values, each with its own token, in order', async (t) => {
  const { inject } = await createTestStack(t);
  const values = Array.from({ length: 100 }, (_, i) => `value-${i}`);
  const response = await inject({
    method: 'POST',
    url: '/v1/tokens/batch',
    payload: { items: values.map((value) => ({ value })) },
  });
  t.equal(response.statusCode, 200);
  const tokens = response.json().results.map((result: { token: string }) => result.token);
  t.equal(new Set(tokens).size, 100, 'every token is distinct');

  const revealed = await inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens } });
  t.same(
    revealed.json().results.map((result: { value: string }) => result.value),
    values,
    'each token reveals its own value, in request order',
  );
});

t.test('detokenize answers each item: found, not found, repeated', async (t) => {
  const { inject } = await createTestStack(t);
  const { token } = (
    await inject({ method: 'POST', url: '/v1/tokens', payload: { value: mastercard } })
  ).json();
  const missing = 'tok_AAAAAAAAAAAAAAAAAAAAAA';
  const response = await inject({
    method: 'POST',
    url: '/v1/detokenize',
    payload: { tokens: [token, missing, token] },
  });
  t.equal(response.statusCode, 200);
  t.same(response.json().results, [
    { token, value: mastercard },
    { token: missing, error: { code: 'not_found', message: 'No such token.' } },
    { token, value: mastercard },
  ]);
});

t.test('metadata never includes the value; delete removes token and ciphertext', async (t) => {
  // The vault's clock, fixed: createdAt is compared with the time the token was really made.
  const tokenizedAt = '2026-03-04T05:06:07.089Z';
  const { inject, dynamoDb, tableName } = await createTestStack(t, { clock: () => new Date(tokenizedAt) });
  const created = (await inject({ method: 'POST', url: '/v1/tokens', payload: { value: amex } })).json();
  const { token } = created;
  t.equal(created.createdAt, tokenizedAt, 'tokenize reports when the token was made');

  const metadata = await inject({ method: 'GET', url: `/v1/tokens/${token}` });
  t.equal(metadata.statusCode, 200);
  t.same(metadata.json(), {
    token,
    createdAt: tokenizedAt,
    type: 'generic',
    format: 'random',
    deterministic: false,
    status: 'active',
    metadata: {},
  });
  t.notMatch(metadata.body, amex);

  const deleted = await inject({ method: 'DELETE', url: `/v1/tokens/${token}` });
  t.equal(deleted.statusCode, 204);
  t.equal(deleted.body, '');
  const { Item } = await dynamoDb.send(
    new GetItemCommand({ TableName: tableName, Key: { pk: { S: tokenKey('default', token) } } }),
  );
  t.equal(Item, undefined, 'the item and its ciphertext are gone');

  const revealed = await inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [token] } });
  t.equal(revealed.json().results[0].error.code, 'not_found');
  t.equal((await inject({ method: 'GET', url: `/v1/tokens/${token}` })).statusCode, 404);
  const again = await inject({ method: 'DELETE', url: `/v1/tokens/${token}` });
  t.equal(again.statusCode, 404);
  t.equal(again.headers['content-type'], 'application/problem+json; charset=utf-8');
});

t.test('a ciphertext copied onto another token refuses to detokenize', async (t) => {
  const { inject, dynamoDb, tableName } = await createTestStack(t);
  const first = (await inject({ method: 'POST', url: '/v1/tokens', payload: { value: visa } })).json().token;
  const second = (await inject({ method: 'POST', url: '/v1/tokens', payload: { value: mastercard } })).json()
    .token;
  const firstItem = await dynamoDb.send(
    new GetItemCommand({ TableName: tableName, Key: { pk: { S: tokenKey('default', first) } } }),
  );
  await dynamoDb.send(
    new PutItemCommand({
      TableName: tableName,
      Item: { ...firstItem.Item, pk: { S: tokenKey('default', second) }, token: { S: second } },
    }),
  );
  const response = await inject({
    method: 'POST',
    url: '/v1/detokenize',
    payload: { tokens: [second, first] },
  });
  t.same(response.json().results[0].error.code, 'integrity_error', 'the moved ciphertext is refused');
  t.same(response.json().results[1], { token: first, value: visa }, 'the original still detokenizes');
  t.notOk('value' in response.json().results[0], 'the refused item carries no value');
});

t.test("a ciphertext copied into another tenant's vault refuses to detokenize", async (t) => {
  const tenantA = await createTestStack(t);
  const tenantB = await createTestStack(t, { shareWith: tenantA, tenant: 'tenant-b' });
  const token = (await tenantA.inject({ method: 'POST', url: '/v1/tokens', payload: { value: visa } })).json()
    .token;
  const { Item } = await tenantA.dynamoDb.send(
    new GetItemCommand({
      TableName: tenantA.tableName,
      Key: { pk: { S: tokenKey('default', token) } },
    }),
  );
  const notFound = await tenantB.inject({
    method: 'POST',
    url: '/v1/detokenize',
    payload: { tokens: [token] },
  });
  t.equal(notFound.json().results[0].error.code, 'not_found', "another tenant's token looks missing");
  await tenantA.dynamoDb.send(
    new PutItemCommand({
      TableName: tenantA.tableName,
      Item: { ...Item, pk: { S: tokenKey('tenant-b', token) }, tenant: { S: 'tenant-b' } },
    }),
  );
  const moved = await tenantB.inject({
    method: 'POST',
    url: '/v1/detokenize',
    payload: { tokens: [token] },
  });
  t.equal(moved.json().results[0].error.code, 'integrity_error');
});

t.test('requests outside the contract get a problem naming the field, and nothing is written', async (t) => {
  const { inject, dynamoDb, tableName } = await createTestStack(t);
  const cases = [
    { name: 'missing value', url: '/v1/tokens', payload: {}, field: '/body/value' },
    {
      name: 'unknown property',
      url: '/v1/tokens',
      payload: { value: visa, tenant: 'other' },
      field: '/body/tenant',
    },
    {
      name: 'number, not string',
      url: '/v1/tokens',
      payload: { value: 4111111111111111 },
      field: '/body/value',
    },
    { name: 'empty value', url: '/v1/tokens', payload: { value: '' }, field: '/body/value' },
    { name: 'value too long', url: '/v1/tokens', payload: { value: 'x'.repeat(1025) }, field: '/body/value' },
    {
      name: '101 items',
      url: '/v1/tokens/batch',
      payload: { items: Array.from({ length: 101 }, () => ({ value: visa })) },
      field: '/body/items',
    },
    { name: 'empty batch', url: '/v1/tokens/batch', payload: { items: [] }, field: '/body/items' },
    {
      name: 'one bad item fails the batch whole',
      url: '/v1/tokens/batch',
      payload: { items: [{ value: visa }, { value: 7 }] },
      field: '/body/items/1/value',
    },
    {
      name: 'bad token',
      url: '/v1/detokenize',
      payload: { tokens: ['../etc/passwd'] },
      field: '/body/tokens/0',
    },
    {
      name: 'card number as property name',
      url: '/v1/tokens',
      payload: { value: 'x', [visa]: true },
      field: '/body/(unnamed)',
    },
  ];
  for (const { name, url, payload, field } of cases) {
    const response = await inject({ method: 'POST', url, payload });
    t.equal(response.statusCode, 400, `${name}: 400`);
    t.equal(
      response.headers['content-type'],
      'application/problem+json; charset=utf-8',
      `${name}: problem+json`,
    );
    const problem = response.json();
    t.equal(problem.status, 400);
    t.equal(problem.errors?.[0]?.field, field, `${name}: names ${field}`);
    t.notOk(response.body.includes(visa), `${name}: the value is not echoed`);
  }
  const { Count } = await dynamoDb.send(
    new ScanCommand({
      TableName: tableName,
      Select: 'COUNT',
      // The stack's tenant record is there from the start.
      FilterExpression: 'NOT begins_with(pk, :tenantRecord)',
      ExpressionAttributeValues: { ':tenantRecord': { S: 'tenant#' } },
    }),
  );
  t.equal(Count, 0, 'no rejected request wrote anything');
});

t.test('malformed bodies: bad JSON, wrong media type, too large', async (t) => {
  const { inject } = await createTestStack(t, { env: { BODY_LIMIT_BYTES: '2048' } });
  const badJson = await inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: json,
    payload: `{"value":"${visa}"`,
  });
  t.equal(badJson.statusCode, 400);
  t.notOk(badJson.body.includes(visa), 'the JSON parser message (which quotes the body) is not passed on');
  t.equal(badJson.json().detail, 'The request body is not valid JSON.');

  const text = await inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: { 'content-type': 'text/plain' },
    payload: visa,
  });
  t.equal(text.statusCode, 415);
  t.equal(text.headers['content-type'], 'application/problem+json; charset=utf-8');

  const large = await inject({ method: 'POST', url: '/v1/tokens', payload: { value: 'x'.repeat(4000) } });
  t.equal(large.statusCode, 413);

  const proto = await inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: json,
    payload: '{"value":"x","__proto__":{"polluted":true}}',
  });
  t.equal(proto.statusCode, 400);
  t.equal(({} as Record<string, unknown>).polluted, undefined);

  const unknownRoute = await inject({ method: 'GET', url: '/v1/nothing' });
  t.equal(unknownRoute.statusCode, 404);
  t.equal(unknownRoute.json().title, 'Not Found');
});

t.test('health: liveness always, readiness checks store and KMS', async (t) => {
  const { inject, kms } = await createTestStack(t);
  t.same((await inject({ method: 'GET', url: '/health/live' })).json(), { status: 'ok' });
  const ready = await inject({ method: 'GET', url: '/health/ready' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ok', checks: { store: 'ok', kms: 'ok' } });

  kms.setFault({ mode: 'fail' });
  const notReady = await inject({ method: 'GET', url: '/health/ready' });
  t.equal(notReady.statusCode, 503);
  t.equal(notReady.headers['retry-after'], '1');
});

assertNoCardNumberLogged(t);
