// Whole-item tenant binding, over the whole stack. The attacker can write the vault table (DynamoDB Local,
// written here directly) but cannot use the KMS key: they copy, re-key and rewrite items. A record's tenant
// and token come from the key that was asked for, so an item moved to another key, or whose tenant or
// token attribute disagrees with its key, is refused: `integrity_error` on detokenize (full or masked),
// a 500 `integrity-error` problem on metadata reads and deletes, and never a value or a stored attribute
// in the answer.
import {
  type AttributeValue,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import t, { type Test } from 'tap';
import { tokenKey } from '../../src/adapters/vault-table.js';
import {
  assertNoCardNumberLogged,
  createTestStack,
  type TestStack,
  testCardNumbers,
} from '../helpers/test-stack.js';

const [visa, mastercard] = testCardNumbers;
type Item = Record<string, AttributeValue>;

async function itemOf(stack: TestStack, tenant: string, token: string): Promise<Item> {
  const { Item } = await stack.dynamoDb.send(
    new GetItemCommand({ TableName: stack.tableName, Key: { pk: { S: tokenKey(tenant, token) } } }),
  );
  if (!Item) throw new Error('no such item');
  return Item;
}

/** Writes `item` under the key of `tenant`/`token`, replacing whatever was there. */
async function putUnder(stack: TestStack, tenant: string, token: string, item: Item): Promise<void> {
  await stack.dynamoDb.send(
    new PutItemCommand({ TableName: stack.tableName, Item: { ...item, pk: { S: tokenKey(tenant, token) } } }),
  );
}

async function setAttribute(
  stack: TestStack,
  tenant: string,
  token: string,
  name: string,
  value: AttributeValue,
) {
  await stack.dynamoDb.send(
    new UpdateItemCommand({
      TableName: stack.tableName,
      Key: { pk: { S: tokenKey(tenant, token) } },
      UpdateExpression: 'SET #name = :value',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#name': name },
      ExpressionAttributeValues: { ':value': value },
    }),
  );
}

async function tokenize(
  stack: TestStack,
  value: string,
  metadata: Record<string, string> = {},
): Promise<string> {
  const response = await stack.inject({ method: 'POST', url: '/v1/tokens', payload: { value, metadata } });
  return response.json().token;
}

/** Asks `stack`'s tenant for `token` every way it can be read, and expects each read refused. */
async function assertRefused(t: Test, stack: TestStack, token: string): Promise<void> {
  for (const reveal of ['full', 'masked'] as const) {
    const response = await stack.inject({
      method: 'POST',
      url: '/v1/detokenize',
      payload: { tokens: [token], reveal },
    });
    t.same(
      response.json().results,
      [
        {
          token,
          error: {
            code: 'integrity_error',
            message: 'The stored record of this token failed its integrity check; it was refused.',
          },
        },
      ],
      `detokenize (${reveal}) answers integrity_error`,
    );
    assertNothingStoredEchoed(t, response.body);
  }
  const metadata = await stack.inject({ method: 'GET', url: `/v1/tokens/${token}` });
  t.equal(metadata.statusCode, 500, 'a metadata read is refused');
  t.equal(metadata.json().type, 'urn:tokenization:problem:integrity-error');
  assertNothingStoredEchoed(t, metadata.body);
  const deleted = await stack.inject({ method: 'DELETE', url: `/v1/tokens/${token}` });
  t.equal(deleted.statusCode, 500, 'a delete is refused');
  t.equal(deleted.json().type, 'urn:tokenization:problem:integrity-error');
}

function assertNothingStoredEchoed(t: Test, body: string): void {
  for (const text of [visa, mastercard, 'owner-a', 'owner-b', 'tenant-b'])
    t.notOk(
      body.includes(text),
      `the answer does not hold ${text === visa || text === mastercard ? 'a value' : text}`,
    );
}

async function twoTenants(t: Test) {
  const tenantA = await createTestStack(t);
  const tenantB = await createTestStack(t, { shareWith: tenantA, tenant: 'tenant-b' });
  const tokenA = await tokenize(tenantA, visa, { owner: 'owner-a' });
  const tokenB = await tokenize(tenantB, mastercard, { owner: 'owner-b' });
  return { tenantA, tenantB, tokenA, tokenB };
}

t.test("tenant A's ciphertext copied alone onto tenant B's token", async (t) => {
  const { tenantA, tenantB, tokenA, tokenB } = await twoTenants(t);
  const ciphertext = (await itemOf(tenantA, 'default', tokenA)).ciphertext as AttributeValue;
  await setAttribute(tenantA, 'tenant-b', tokenB, 'ciphertext', ciphertext);
  await assertRefused(t, tenantB, tokenB);
  const own = await tenantA.inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [tokenA] } });
  t.same(
    own.json().results,
    [{ token: tokenA, value: visa }],
    'the original still detokenizes for its tenant',
  );
});

t.test("a token's tenant attribute rewritten alone", async (t) => {
  const { tenantA, tenantB, tokenA } = await twoTenants(t);
  await setAttribute(tenantA, 'default', tokenA, 'tenant', { S: 'tenant-b' });
  await assertRefused(t, tenantA, tokenA);
  const other = await tenantB.inject({
    method: 'POST',
    url: '/v1/detokenize',
    payload: { tokens: [tokenA] },
  });
  t.equal(other.json().results[0].error.code, 'not_found', 'and the other tenant has no such token');
});

t.test('a whole item re-keyed under another tenant, its attributes unchanged', async (t) => {
  const { tenantA, tenantB, tokenA } = await twoTenants(t);
  await putUnder(tenantA, 'tenant-b', tokenA, await itemOf(tenantA, 'default', tokenA));
  await assertRefused(t, tenantB, tokenA);
});

t.test('a whole item re-keyed under another tenant, its tenant attribute rewritten to match', async (t) => {
  const { tenantA, tenantB, tokenA } = await twoTenants(t);
  const item = await itemOf(tenantA, 'default', tokenA);
  await putUnder(tenantA, 'tenant-b', tokenA, { ...item, tenant: { S: 'tenant-b' } });
  await assertRefused(t, tenantB, tokenA);
});

t.test("a token's token attribute rewritten alone", async (t) => {
  const { tenantA, tokenA } = await twoTenants(t);
  const other = await tokenize(tenantA, mastercard);
  await setAttribute(tenantA, 'default', tokenA, 'token', { S: other });
  await assertRefused(t, tenantA, tokenA);
});

t.test(
  'a whole item re-keyed onto another token of its tenant, with and without its token attribute',
  async (t) => {
    const { tenantA, tokenA } = await twoTenants(t);
    const item = await itemOf(tenantA, 'default', tokenA);
    const unchanged = await tokenize(tenantA, mastercard);
    await putUnder(tenantA, 'default', unchanged, item);
    await assertRefused(t, tenantA, unchanged);
    const rewritten = await tokenize(tenantA, mastercard);
    await putUnder(tenantA, 'default', rewritten, { ...item, token: { S: rewritten } });
    await assertRefused(t, tenantA, rewritten);
  },
);

t.test('in a batch, a moved item fails alone', async (t) => {
  const { tenantA, tenantB, tokenA, tokenB } = await twoTenants(t);
  await putUnder(tenantA, 'tenant-b', tokenA, await itemOf(tenantA, 'default', tokenA));
  const response = await tenantB.inject({
    method: 'POST',
    url: '/v1/detokenize',
    payload: { tokens: [tokenA, tokenB] },
  });
  t.same(
    response
      .json()
      .results.map(
        (result: { value?: string; error?: { code: string } }) => result.value ?? result.error?.code,
      ),
    ['integrity_error', mastercard],
  );
});

assertNoCardNumberLogged(t);
