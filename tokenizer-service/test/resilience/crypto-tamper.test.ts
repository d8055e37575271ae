// Crypto tamper tests over the whole stack: a vault item's ciphertext is replaced in DynamoDB (as someone
// with write access to the table could) by another token's, another tenant's, a truncated or bit-flipped
// one, or a fresh encryption under another encryption context, branch key, format or algorithm suite. Detokenize must
// refuse each (`integrity_error`, no value), keep answering the untouched tokens of the same request, and
// record the refusal in the audit event. tokens-api.test.ts covers the plain copies without the audit;
// encryption-sdk-cipher.test.ts the cipher alone.
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  type KmsHierarchicalKeyRingNode,
  KmsKeyringNode,
} from '@aws-crypto/client-node';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { KMS, KMSClient } from '@aws-sdk/client-kms';
import t, { type Test } from 'tap';
import { DynamoDbVaultStore } from '../../src/adapters/dynamodb-vault-store.js';
import { encryptionContextPurpose } from '../../src/adapters/encryption-sdk-cipher.js';
import { createTenantKeyStore, tenantKeyring } from '../../src/adapters/tenant-keyring.js';
import { tokenKey } from '../../src/adapters/vault-table.js';
import { tokenFactsDigest } from '../../src/domain/token-facts.js';
import {
  assertNoCardNumberLogged,
  createTestStack,
  type TestStack,
  testCardNumbers,
} from '../helpers/test-stack.js';

const [visa, mastercard, amex, discover, jcb] = testCardNumbers;

const committing = buildClient({
  commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
  maxEncryptedDataKeys: 1,
});
// Only to forge a downgraded ciphertext: the tokenizer itself requires a committing suite.
const nonCommitting = buildClient(CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT);

/**
 * The legacy format's plaintext frame (`version 2 | token length | token | facts length | facts | value`),
 * as an attacker who knows the format would build it.
 */
function frame(token: string, facts: Uint8Array, value: string): Buffer {
  const length = (bytes: Uint8Array) => Buffer.of(bytes.length >> 8, bytes.length & 0xff);
  const tokenBytes = Buffer.from(token);
  return Buffer.concat([
    Buffer.of(2),
    length(tokenBytes),
    tokenBytes,
    length(facts),
    facts,
    Buffer.from(value),
  ]);
}

/** The digest of a token's facts as the vault seals it (facts are not secret: they are in the item). */
async function factsOf(stack: TestStack, token: string): Promise<Uint8Array> {
  const record = await new DynamoDbVaultStore({ client: stack.dynamoDb, tableName: stack.tableName }).get({
    tenant: 'default',
    token,
  });
  if (!record) throw new Error('no such item');
  return tokenFactsDigest(record);
}

function keyringFor(endpoint: string, keyArn: string): KmsKeyringNode {
  const client = new KMS({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: () => client });
}

/** The tenants' keyring over the stack's key store, as a holder of the branch keys' KMS key could build it. */
function tenantKeyringOf(t: Test, stack: TestStack): KmsHierarchicalKeyRingNode {
  const client = new KMSClient({
    endpoint: stack.kms.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  t.teardown(() => client.destroy());
  const keyStore = createTenantKeyStore({
    logicalName: stack.config.KEY_STORE_LOGICAL_NAME,
    tableName: stack.config.KEY_STORE_TABLE_NAME,
    dynamoDb: stack.dynamoDb,
    kms: client,
    kmsKeyArn: stack.config.BRANCH_KEY_KMS_KEY_ARN,
  });
  return tenantKeyring(keyStore, { cacheTtlSeconds: 300, cacheSize: 10 });
}

/** The encryption context the tokenizer gives the token's value (the facts are not secret: they are in the item). */
async function contextOf(stack: TestStack, token: string): Promise<Record<string, string>> {
  const facts = Buffer.from(await factsOf(stack, token)).toString('base64url');
  return { purpose: encryptionContextPurpose, tenant: 'default', token, facts };
}

function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const at = index < 0 ? copy.length + index : index;
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}

async function ciphertextOf(stack: TestStack, tenant: string, token: string): Promise<Uint8Array> {
  const { Item } = await stack.dynamoDb.send(
    new GetItemCommand({ TableName: stack.tableName, Key: { pk: { S: tokenKey(tenant, token) } } }),
  );
  const bytes = Item?.ciphertext?.B;
  if (!bytes) throw new Error('no such item');
  return bytes;
}

async function replaceCiphertext(stack: TestStack, tenant: string, token: string, ciphertext: Uint8Array) {
  await stack.dynamoDb.send(
    new UpdateItemCommand({
      TableName: stack.tableName,
      Key: { pk: { S: tokenKey(tenant, token) } },
      UpdateExpression: 'SET ciphertext = :c',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':c': { B: ciphertext } },
    }),
  );
}

async function tokenize(stack: TestStack, value: string, options: Record<string, unknown> = {}) {
  const response = await stack.inject({ method: 'POST', url: '/v1/tokens', payload: { value, ...options } });
  return response.json().token as string;
}

t.test('tampered ciphertexts are refused as integrity_error, and the audit event says so', async (t) => {
  const tenantA = await createTestStack(t);
  const tenantB = await createTestStack(t, { shareWith: tenantA, tenant: 'tenant-b' });
  const vaultKeyring = keyringFor(tenantA.kms.endpoint, tenantA.kms.keyArn);
  const tenantKeyring = tenantKeyringOf(t, tenantA);

  const neighbour = await tokenize(tenantA, mastercard as string);
  const otherTenantToken = await tokenize(tenantB, amex as string);
  const good = await tokenize(tenantA, discover as string);

  /** How each case makes the victim's new ciphertext from its own. */
  const cases: [string, (victim: string, own: Uint8Array) => Promise<Uint8Array>][] = [
    [
      'the ciphertext of another token of the tenant',
      async () => ciphertextOf(tenantA, 'default', neighbour),
    ],
    [
      "the ciphertext of another tenant's token",
      async () => ciphertextOf(tenantA, 'tenant-b', otherTenantToken),
    ],
    ['truncated by one byte', async (_, own) => own.subarray(0, own.length - 1)],
    ['truncated to its first half', async (_, own) => own.subarray(0, Math.floor(own.length / 2))],
    ['truncated to 8 bytes', async (_, own) => own.subarray(0, 8)],
    ['a bit flipped in the algorithm suite id', async (_, own) => flipBit(own, 2)],
    ['a bit flipped in the header (message id)', async (_, own) => flipBit(own, 10)],
    ['a bit flipped in the encrypted body', async (_, own) => flipBit(own, Math.floor(own.length * 0.8))],
    ['a bit flipped in the authentication tag', async (_, own) => flipBit(own, -1)],
    [
      'encrypted again under another purpose',
      async (victim) =>
        (
          await committing.encrypt(tenantKeyring, Buffer.from(jcb as string), {
            encryptionContext: { ...(await contextOf(tenantA, victim)), purpose: 'other' },
          })
        ).result,
    ],
    [
      "encrypted again under another tenant's branch key",
      async (victim) =>
        (
          await committing.encrypt(tenantKeyring, Buffer.from(jcb as string), {
            encryptionContext: { ...(await contextOf(tenantA, victim)), tenant: 'tenant-b' },
          })
        ).result,
    ],
    [
      'encrypted again for another token',
      async (victim) =>
        (
          await committing.encrypt(tenantKeyring, Buffer.from(jcb as string), {
            encryptionContext: { ...(await contextOf(tenantA, victim)), token: neighbour },
          })
        ).result,
    ],
    [
      "encrypted again with another token's facts",
      async (victim) =>
        (
          await committing.encrypt(tenantKeyring, Buffer.from(jcb as string), {
            encryptionContext: {
              ...(await contextOf(tenantA, victim)),
              facts: (await contextOf(tenantA, neighbour)).facts as string,
            },
          })
        ).result,
    ],
    [
      'in the legacy format (the vault key, token and facts sealed in the plaintext) on a new item',
      async (victim) =>
        (
          await committing.encrypt(
            vaultKeyring,
            frame(victim, await factsOf(tenantA, victim), jcb as string),
            {
              encryptionContext: { purpose: encryptionContextPurpose, tenant: 'default' },
            },
          )
        ).result,
    ],
    [
      'downgraded to a non-committing suite, with the right branch key and context',
      async (victim) =>
        (
          await nonCommitting.encrypt(tenantKeyring, Buffer.from(jcb as string), {
            encryptionContext: await contextOf(tenantA, victim),
            suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256,
          })
        ).result,
    ],
  ];

  for (const [name, forge] of cases) {
    await t.test(name, async (t) => {
      const victim = await tokenize(tenantA, visa as string);
      await replaceCiphertext(
        tenantA,
        'default',
        victim,
        await forge(victim, await ciphertextOf(tenantA, 'default', victim)),
      );
      const from = tenantA.auditEvents.length;
      const response = await tenantA.inject({
        method: 'POST',
        url: '/v1/detokenize',
        payload: { tokens: [victim, good] },
      });
      t.equal(response.statusCode, 200, 'the request is answered item by item');
      const [refused, revealed] = response.json().results;
      t.same(refused, {
        token: victim,
        error: {
          code: 'integrity_error',
          message: 'The stored record of this token failed its integrity check; it was refused.',
        },
      });
      t.same(revealed, { token: good, value: discover }, 'the untouched token still detokenizes');
      for (const card of [visa, mastercard, amex, jcb])
        t.notOk(response.body.includes(card as string), 'no value');
      t.match(tenantA.auditEvents.slice(from), [
        {
          audit: true,
          event: 'detokenize',
          outcome: 'allowed',
          tokens: [victim, good],
          results: [
            { token: victim, outcome: 'integrity_error' },
            { token: good, outcome: 'revealed' },
          ],
        },
      ]);
      const masked = await tenantA.inject({
        method: 'POST',
        url: '/v1/detokenize',
        payload: { tokens: [victim], reveal: 'masked' },
      });
      t.equal(masked.json().results[0].error.code, 'integrity_error', 'a masked reveal is refused too');
    });
  }
});

t.test(
  'control: the forged frame is the real one, so each forgery above fails for what it names',
  async (t) => {
    // Only someone who can use the branch keys' KMS key can do this; the table writer cannot.
    const stack = await createTestStack(t);
    const victim = await tokenize(stack, visa as string);
    const forged = await committing.encrypt(tenantKeyringOf(t, stack), Buffer.from(jcb as string), {
      encryptionContext: await contextOf(stack, victim),
    });
    await replaceCiphertext(stack, 'default', victim, forged.result);
    const response = await stack.inject({
      method: 'POST',
      url: '/v1/detokenize',
      payload: { tokens: [victim] },
    });
    t.same(response.json().results, [{ token: victim, value: jcb }]);
  },
);

t.test('a tampered one-time token spends no use: restored, it reveals once', async (t) => {
  const stack = await createTestStack(t);
  const token = await tokenize(stack, visa as string, { maxUses: 1 });
  const original = await ciphertextOf(stack, 'default', token);
  await replaceCiphertext(stack, 'default', token, flipBit(original, -1));
  const detokenize = () =>
    stack.inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [token] } });
  t.equal((await detokenize()).json().results[0].error.code, 'integrity_error');
  t.match(stack.auditEvents.at(-1), { results: [{ token, outcome: 'integrity_error' }] });
  await replaceCiphertext(stack, 'default', token, original);
  t.same((await detokenize()).json().results[0], { token, value: visa }, 'the use was still there');
  t.equal((await detokenize()).json().results[0].error.code, 'exhausted');
});

assertNoCardNumberLogged(t);
