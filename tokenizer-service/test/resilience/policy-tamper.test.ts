// A token's immutable facts and its use counter, tampered with in DynamoDB by someone who can write the
// vault table but cannot use the KMS key. The facts (type, format, card facts, maxUses, expiry, creation
// time, metadata, deterministic fingerprint) are sealed with the value: any change is refused on every
// read, detokenize (full and masked) and metadata alike. The use counter only counts up to the sealed
// maxUses: raising it only uses the token up, and a counter that could not have been written by the vault
// is refused.
import { type AttributeValue, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import t, { type Test } from 'tap';
import { tokenKey } from '../../src/adapters/vault-table.js';
import {
  assertNoCardNumberLogged,
  createTestStack,
  type TestStack,
  testCardNumbers,
} from '../helpers/test-stack.js';

const [visa, mastercard] = testCardNumbers;

/** An UpdateItem on a token's item, as the table writer sends it. */
interface Tamper {
  update: string;
  names?: Record<string, string>;
  values?: Record<string, AttributeValue>;
}

async function tamper(stack: TestStack, token: string, { update, names, values }: Tamper): Promise<void> {
  await stack.dynamoDb.send(
    new UpdateItemCommand({
      TableName: stack.tableName,
      Key: { pk: { S: tokenKey('default', token) } },
      UpdateExpression: update,
      ConditionExpression: 'attribute_exists(pk)',
      ...(names ? { ExpressionAttributeNames: names } : {}),
      ...(values ? { ExpressionAttributeValues: values } : {}),
    }),
  );
}

const detokenize = (stack: TestStack, token: string, reveal: 'full' | 'masked' = 'full') =>
  stack.inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [token], reveal } });
const metadataOf = (stack: TestStack, token: string) =>
  stack.inject({ method: 'GET', url: `/v1/tokens/${token}` });

async function assertRefused(t: Test, stack: TestStack, token: string): Promise<void> {
  for (const reveal of ['full', 'masked'] as const) {
    const response = await detokenize(stack, token, reveal);
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
  }
  const metadata = await metadataOf(stack, token);
  t.equal(metadata.statusCode, 500, 'a metadata read is refused');
  t.equal(metadata.json().type, 'urn:tokenization:problem:integrity-error');
  for (const text of [visa, mastercard, 'kyc', 'c-42'])
    t.notOk(metadata.body.includes(text), 'nothing stored echoed');
}

const createdAt = new Date('2026-02-01T10:00:00.000Z');

t.test(
  'each sealed fact, changed in the table, is refused on detokenize and on metadata reads',
  async (t) => {
    let now = createdAt;
    const stack = await createTestStack(t, { clock: () => now });
    const cases: [string, Record<string, unknown>, Tamper][] = [
      [
        'type rewritten',
        { value: visa },
        { update: 'SET #type = :v', names: { '#type': 'type' }, values: { ':v': { S: 'card_number' } } },
      ],
      [
        'format rewritten',
        { value: visa, type: 'card_number' },
        {
          update: 'SET #format = :v',
          names: { '#format': 'format' },
          values: { ':v': { S: 'format_preserving' } },
        },
      ],
      [
        'card last four rewritten',
        { value: visa, type: 'card_number' },
        { update: 'SET card.last4 = :v', values: { ':v': { S: '4444' } } },
      ],
      [
        'card brand rewritten',
        { value: visa, type: 'card_number' },
        { update: 'SET card.brand = :v', values: { ':v': { S: 'mastercard' } } },
      ],
      ['card facts removed', { value: visa, type: 'card_number' }, { update: 'REMOVE card' }],
      [
        'card facts added',
        { value: visa },
        { update: 'SET card = :v', values: { ':v': { M: { last4: { S: '1111' }, brand: { S: 'visa' } } } } },
      ],
      [
        'maxUses raised',
        { value: visa, maxUses: 1 },
        { update: 'SET maxUses = :v', values: { ':v': { N: '100' } } },
      ],
      ['maxUses removed', { value: visa, maxUses: 1 }, { update: 'REMOVE maxUses, usesSpent' }],
      ['expiry deleted', { value: visa, ttlSeconds: 60 }, { update: 'REMOVE expiresAt' }],
      [
        'expiry extended',
        { value: visa, ttlSeconds: 60 },
        { update: 'SET expiresAt = expiresAt + :v', values: { ':v': { N: '86400' } } },
      ],
      [
        'expiry added',
        { value: visa },
        { update: 'SET expiresAt = :v', values: { ':v': { N: '4102444800' } } },
      ],
      [
        'createdAt rewritten',
        { value: visa },
        { update: 'SET createdAt = :v', values: { ':v': { S: '2025-01-01T00:00:00.000Z' } } },
      ],
      [
        'a metadata value rewritten',
        { value: visa, metadata: { purpose: 'kyc', 'customer.id': 'c-42' } },
        { update: 'SET metadata.purpose = :v', values: { ':v': { S: 'payout' } } },
      ],
      [
        'a metadata entry added',
        { value: visa, metadata: { purpose: 'kyc' } },
        { update: 'SET metadata.#k = :v', names: { '#k': 'customer.id' }, values: { ':v': { S: 'c-42' } } },
      ],
      ['metadata removed', { value: visa, metadata: { purpose: 'kyc' } }, { update: 'REMOVE metadata' }],
      [
        'the deterministic fingerprint removed',
        { value: visa, deterministic: true },
        { update: 'REMOVE fingerprint' },
      ],
      [
        'the deterministic fingerprint replaced',
        { value: mastercard, deterministic: true },
        {
          update: 'SET fingerprint = :v',
          values: { ':v': { S: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } },
        },
      ],
      [
        'a fingerprint added',
        { value: visa },
        { update: 'SET fingerprint = :v', values: { ':v': { S: 'AAAA' } } },
      ],
    ];
    for (const [name, request, change] of cases) {
      await t.test(name, async (t) => {
        now = createdAt;
        const created = await stack.inject({ method: 'POST', url: '/v1/tokens', payload: request });
        const { token } = created.json();
        t.equal((await metadataOf(stack, token)).statusCode, 200, 'control: the untouched token reads');
        await tamper(stack, token, change);
        // Past the expiry of the 60-second tokens: an expiry that was not changed answers `expired` instead.
        now = new Date(createdAt.getTime() + 120_000);
        await assertRefused(t, stack, token);
      });
    }
  },
);

t.test('the use counter: raised, the token is used up; out of range or gone, it is refused', async (t) => {
  const stack = await createTestStack(t);
  const oneTime = async () =>
    (await stack.inject({ method: 'POST', url: '/v1/tokens', payload: { value: visa, maxUses: 1 } })).json()
      .token as string;

  const exhausted = await oneTime();
  t.equal((await detokenize(stack, exhausted)).json().results[0].value, visa);
  // The attack on the former `usesRemaining` attribute: it no longer counts for anything.
  await tamper(stack, exhausted, { update: 'SET usesRemaining = :v', values: { ':v': { N: '5' } } });
  t.equal(
    (await detokenize(stack, exhausted)).json().results[0].error.code,
    'exhausted',
    'no revival by usesRemaining',
  );

  const raised = await oneTime();
  await tamper(stack, raised, { update: 'SET usesSpent = :v', values: { ':v': { N: '1' } } });
  t.equal(
    (await detokenize(stack, raised)).json().results[0].error.code,
    'exhausted',
    'raised to maxUses: used up',
  );
  t.match((await metadataOf(stack, raised)).json(), { status: 'exhausted', maxUses: 1, usesRemaining: 0 });

  for (const [name, change] of [
    ['raised past maxUses', { update: 'SET usesSpent = :v', values: { ':v': { N: '2' } } }],
    ['rolled below zero', { update: 'SET usesSpent = :v', values: { ':v': { N: '-1' } } }],
    ['a fraction', { update: 'SET usesSpent = :v', values: { ':v': { N: '0.5' } } }],
    ['not a number', { update: 'SET usesSpent = :v', values: { ':v': { S: '0' } } }],
    ['deleted', { update: 'REMOVE usesSpent' }],
  ] as const) {
    await t.test(name, async (t) => {
      const token = await oneTime();
      await tamper(stack, token, change);
      await assertRefused(t, stack, token);
    });
  }
  await t.test('added to a token without maxUses', async (t) => {
    const token = (await stack.inject({ method: 'POST', url: '/v1/tokens', payload: { value: visa } })).json()
      .token;
    await tamper(stack, token, { update: 'SET usesSpent = :v', values: { ':v': { N: '0' } } });
    await assertRefused(t, stack, token);
  });
});

t.test('a fingerprint entry pointed at another token does not hand out that token', async (t) => {
  const stack = await createTestStack(t);
  const deterministic = (value: string) =>
    stack.inject({
      method: 'POST',
      url: '/v1/tokens',
      payload: { value, type: 'card_number', deterministic: true },
    });
  const visaToken = (await deterministic(visa)).json().token;
  const mastercardToken = (await deterministic(mastercard)).json().token;
  const { Items = [] } = await stack.dynamoDb.send(new ScanCommand({ TableName: stack.tableName }));
  const entry = Items.find((item) => item.pk?.S?.startsWith('fingerprint#') && item.token?.S === visaToken);
  if (!entry?.pk) throw new Error('no fingerprint entry');
  await stack.dynamoDb.send(
    new UpdateItemCommand({
      TableName: stack.tableName,
      Key: { pk: entry.pk },
      UpdateExpression: 'SET #token = :v',
      ExpressionAttributeNames: { '#token': 'token' },
      ExpressionAttributeValues: { ':v': { S: mastercardToken } },
    }),
  );
  const single = await deterministic(visa);
  t.equal(single.statusCode, 500);
  t.equal(single.json().type, 'urn:tokenization:problem:integrity-error');
  t.notOk(single.body.includes(mastercardToken), "the other value's token is not handed out");
  const batch = await stack.inject({
    method: 'POST',
    url: '/v1/tokens/batch',
    payload: { items: [{ value: visa, type: 'card_number', deterministic: true }, { value: 'plain' }] },
  });
  const [refused, fine] = batch.json().results;
  t.equal(refused.error?.code, 'integrity_error', 'in a batch the item fails alone');
  t.ok(fine.token, 'and the others are tokenized');
});

assertNoCardNumberLogged(t);
