// The vault on the tenants' branch keys, with its production adapters on real parts: the vault table and a
// key store table on DynamoDB Local, the local KMS stand-in (its first key the vault key of the legacy
// format, its second the branch keys' KMS key), tenant records as onboarding writes them. Each `container()`
// is a tokenizer as one process builds it, starting cold; rotations are made as the admin makes them.

import { KmsKeyringNode } from '@aws-crypto/client-node';
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteTableCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type LocalKms, startLocalKms } from '@tokenization/local-aws/local-kms';
import { testDynamoDbClient, uniqueTableName } from '@tokenization/local-aws/test-support/dynamodb';
import t, { type Test } from 'tap';
import { DynamoDbTenantRegistry } from '../src/adapters/dynamodb-tenant-registry.js';
import { DynamoDbVaultStore } from '../src/adapters/dynamodb-vault-store.js';
import { EncryptionSdkCipher } from '../src/adapters/encryption-sdk-cipher.js';
import { createKmsClient } from '../src/adapters/kms-client.js';
import { tokenKey, vaultTableDefinition } from '../src/adapters/vault-table.js';
import { TokenVault } from '../src/domain/vault.js';
import { createVaultCrypto, type VaultCryptoConfig } from '../src/vault-crypto.js';
import {
  activeKeyVersion,
  adminKeyStore,
  branchKeyKmsKeyArn,
  createBranchKey,
  createKeyStoreTable,
  testKeyStoreLogicalName,
} from './helpers/tenant-keys.js';

type Item = Record<string, AttributeValue>;
const card = '4111111111111111';
const windowSeconds = 3600;

async function vaultParts(t: Test, tenants: readonly string[] = ['acme', 'globex']) {
  const kms: LocalKms = await startLocalKms({ keys: 2 });
  t.teardown(() => kms.close().catch(() => {}));
  const dynamoDb = testDynamoDbClient();
  const tableName = uniqueTableName('vault');
  await dynamoDb.send(new CreateTableCommand(vaultTableDefinition(tableName)));
  t.teardown(() => dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => {}));
  const keyStoreTableName = await createKeyStoreTable(t, dynamoDb);
  t.teardown(() => dynamoDb.destroy());
  const registry = new DynamoDbTenantRegistry({ client: dynamoDb, tableName });
  const admin = adminKeyStore(t, { kms, dynamoDb, tableName: keyStoreTableName });
  let now = Date.parse('2026-06-01T12:00:00Z');
  const clock = () => new Date(now);
  for (const tenant of tenants) {
    await registry.create(tenant, clock());
    await createBranchKey(admin, tenant);
  }
  const kmsClient = createKmsClient({
    endpoint: kms.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  t.teardown(() => kmsClient.destroy());
  const config: VaultCryptoConfig = {
    TOKEN_VAULT_TABLE_NAME: tableName,
    KMS_KEY_ARN: kms.keyArn,
    KEY_STORE_TABLE_NAME: keyStoreTableName,
    BRANCH_KEY_KMS_KEY_ARN: branchKeyKmsKeyArn(kms),
    KEY_STORE_LOGICAL_NAME: testKeyStoreLogicalName,
    BRANCH_KEY_CACHE_TTL_SECONDS: 300,
    BRANCH_KEY_CACHE_SIZE: 1000,
    FINGERPRINT_ROTATION_WINDOW_SECONDS: windowSeconds,
    ENCRYPTION_PROFILE: 'cached-committing',
    DATA_KEY_CACHE_CAPACITY: 100,
    DATA_KEY_CACHE_MAX_AGE_SECONDS: 300,
    DATA_KEY_CACHE_MAX_MESSAGES: 100_000,
  };
  const store = new DynamoDbVaultStore({ client: dynamoDb, tableName });
  /** A tokenizer process: cold caches, the tenant records read as they are now. */
  const container = () => {
    const crypto = createVaultCrypto(config, { dynamoDb, kms: kmsClient, tenants: registry, clock });
    return {
      crypto,
      vault: new TokenVault({ store, cipher: crypto.cipher, fingerprinter: crypto.fingerprinter, clock }),
    };
  };
  /**
   * A tokenizer from before the tenant keys: values in the legacy format (the vault key behind the data
   * key cache, token and facts sealed in the plaintext) and fingerprints under the vault-wide HMAC key.
   */
  const legacyContainer = () => {
    const { crypto } = container();
    const keyring = new KmsKeyringNode({ generatorKeyId: kms.keyArn, clientProvider: () => kmsClient });
    const legacy = { keyring, cache: { capacity: 100, maxAgeSeconds: 300, maxMessagesEncrypted: 100_000 } };
    const cipher = new EncryptionSdkCipher({
      keyring,
      legacy,
      writeLegacyFormat: true,
      checkKeyHealth: async () => {},
    });
    const fingerprinter = {
      fingerprints: async (tenant: string, scope: string, value: string) => ({
        active: await crypto.legacyFingerprinter.fingerprint(tenant, scope, value),
        earlier: [],
      }),
    };
    return new TokenVault({ store, cipher, fingerprinter, clock });
  };
  /** Versions the tenant's branch key and records it, as the admin's rotate does. */
  const rotate = async (tenant: string) => {
    const previous = await activeKeyVersion(admin, tenant);
    await admin.versionKey({ branchKeyIdentifier: `tenant-${tenant}` });
    const record = await registry.get(tenant);
    if (!record) throw new Error('no tenant record');
    await registry.update(record, { previousKeyVersion: previous, rotatedAt: clock() });
    return { previous, active: await activeKeyVersion(admin, tenant) };
  };
  const item = async (tenant: string, token: string): Promise<Item> => {
    const { Item } = await dynamoDb.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: tokenKey(tenant, token) } } }),
    );
    if (!Item) throw new Error('no such item');
    return Item;
  };
  const put = (attributes: Item) =>
    dynamoDb.send(new PutItemCommand({ TableName: tableName, Item: attributes }));
  return {
    kms,
    admin,
    registry,
    container,
    legacyContainer,
    rotate,
    item,
    put,
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
  };
}

async function revealed(vault: TokenVault, tenant: string, token: string): Promise<string> {
  const [result] = await vault.detokenize(tenant, [token]);
  return result && 'value' in result
    ? result.value
    : `error: ${result && 'error' in result ? result.error.code : '?'}`;
}

t.test("an item copied under another tenant's key does not decrypt there", async (t) => {
  const parts = await vaultParts(t);
  const { vault } = parts.container();
  const { token } = await vault.tokenize('acme', { value: card, type: 'card_number' });
  const acme = await parts.item('acme', token);
  t.match(acme, { keyVersion: { S: /^[0-9a-f-]{36}$/ } }, 'the item records its branch key version');
  // Rewritten whole as globex's: key, tenant attribute, everything but the ciphertext's own binding.
  await parts.put({ ...acme, pk: { S: tokenKey('globex', token) }, tenant: { S: 'globex' } });
  t.equal(await revealed(vault, 'globex', token), 'error: integrity_error');
  t.equal(await revealed(parts.container().vault, 'globex', token), 'error: integrity_error', 'cold too');
  t.equal(await revealed(vault, 'acme', token), card, 'acme still reads its own');
});

t.test('the ciphertext is bound to its token and facts: swapped, it is refused', async (t) => {
  const parts = await vaultParts(t);
  const { vault } = parts.container();
  const first = await vault.tokenize('acme', { value: card, type: 'card_number', metadata: { order: '1' } });
  const second = await vault.tokenize('acme', { value: '5555555555554444', type: 'card_number' });
  const firstItem = await parts.item('acme', first.token);
  const secondItem = await parts.item('acme', second.token);
  await parts.put({ ...secondItem, ciphertext: firstItem.ciphertext as AttributeValue });
  t.equal(await revealed(vault, 'acme', second.token), 'error: integrity_error', 'token swapped');
  await parts.put({ ...firstItem, metadata: { M: { order: { S: '2' } } } });
  t.equal(await revealed(vault, 'acme', first.token), 'error: integrity_error', 'facts changed');
});

t.test('rotation: old values stay readable, new values use the new version', async (t) => {
  const parts = await vaultParts(t);
  const before = await parts.container().vault.tokenize('acme', { value: 'before rotation' });
  const { previous, active } = await parts.rotate('acme');
  t.equal((await parts.item('acme', before.token)).keyVersion?.S, previous);
  const { vault } = parts.container(); // a container started after the rotation (or after the cache time)
  const after = await vault.tokenize('acme', { value: 'after rotation' });
  t.equal((await parts.item('acme', after.token)).keyVersion?.S, active, 'new writes: the new version');
  t.equal(await revealed(vault, 'acme', before.token), 'before rotation');
  t.equal(await revealed(vault, 'acme', after.token), 'after rotation');
});

t.test('deterministic tokens stay the same across a rotation, within the window', async (t) => {
  const parts = await vaultParts(t);
  const request = { value: card, type: 'card_number' as const, deterministic: true };
  const original = await parts.container().vault.tokenize('acme', request);
  const { previous, active } = await parts.rotate('acme');
  t.match((await parts.item('acme', original.token)).fingerprint?.S, new RegExp(`^${previous}\\.`));

  const { vault } = parts.container();
  t.equal((await vault.tokenize('acme', request)).token, original.token, 'found by the previous version');
  const other = await vault.tokenize('acme', { ...request, value: '5555555555554444' });
  t.match((await parts.item('acme', other.token)).fingerprint?.S, new RegExp(`^${active}\\.`), 'new: active');
  t.equal((await vault.tokenize('acme', { ...request, value: '5555555555554444' })).token, other.token);
  t.not((await vault.tokenize('globex', request)).token, original.token, 'another tenant: its own token');

  parts.advance(windowSeconds + 1);
  t.not(
    (await parts.container().vault.tokenize('acme', request)).token,
    original.token,
    'after the window, a value not re-encrypted gets a new token: the window bounds the lookups',
  );
});

t.test('items of the legacy format keep working: values decrypt, deterministic tokens stay', async (t) => {
  const parts = await vaultParts(t);
  const old = parts.legacyContainer();
  const plain = await old.tokenize('acme', { value: card, type: 'card_number' });
  const deterministic = await old.tokenize('acme', { value: card, type: 'card_number', deterministic: true });
  const oldItem = await parts.item('acme', plain.token);
  t.equal(oldItem.keyVersion, undefined, 'written without a key version');
  t.notMatch((await parts.item('acme', deterministic.token)).fingerprint?.S, /\./, 'a legacy fingerprint');

  const { vault } = parts.container();
  t.equal(await revealed(vault, 'acme', plain.token), card);
  t.equal(await revealed(vault, 'acme', deterministic.token), card);
  const again = await vault.tokenize('acme', { value: card, type: 'card_number', deterministic: true });
  t.equal(again.token, deterministic.token, 'found by its legacy fingerprint');

  await parts.put({ ...oldItem, pk: { S: tokenKey('globex', plain.token) }, tenant: { S: 'globex' } });
  t.equal(await revealed(vault, 'globex', plain.token), 'error: integrity_error', 'still tenant-bound');

  const record = await parts.registry.get('acme');
  if (!record) throw new Error('no tenant record');
  await parts.registry.update(record, { legacyRetired: true });
  const retired = await parts.container().vault.tokenize('acme', {
    value: card,
    type: 'card_number',
    deterministic: true,
  });
  t.not(retired.token, deterministic.token, 'legacyRetired: legacy fingerprints are no longer looked up');
});

t.test(
  'KMS calls per 1,000 with three tenants once warm: tokenize at most 1, detokenize at most 10',
  async (t) => {
    const tenants = ['acme', 'globex', 'initech'];
    const parts = await vaultParts(t, tenants);
    const { vault } = parts.container();
    const tenantOf = (i: number) => tenants[i % tenants.length] as string;
    const request = (i: number) =>
      i % 10 === 0
        ? { value: `4111${String(100_000_000_000 + i).slice(-12)}`, deterministic: true }
        : { value: `value ${i}` };
    // Warm-up: each tenant's branch key for values, for fingerprints and for reading.
    for (const tenant of tenants) {
      for (const input of [{ value: 'warm' }, { value: 'warm', deterministic: true }]) {
        const { token } = await vault.tokenize(tenant, input);
        await vault.detokenize(tenant, [token]);
      }
    }
    parts.kms.resetStats();
    const tokens: string[] = [];
    for (let i = 0; i < 1000; i++) tokens.push((await vault.tokenize(tenantOf(i), request(i))).token);
    const tokenizeCalls = Object.values(parts.kms.stats()).reduce((sum, calls) => sum + calls, 0);
    parts.kms.resetStats();
    let wrong = 0;
    for (const [i, token] of tokens.entries()) {
      if ((await revealed(vault, tenantOf(i), token)) !== request(i).value) wrong++;
    }
    const detokenizeCalls = Object.values(parts.kms.stats()).reduce((sum, calls) => sum + calls, 0);
    t.equal(wrong, 0, 'every token reveals its value');
    t.ok(tokenizeCalls <= 1, `1,000 tokenizations (1 in 10 deterministic): ${tokenizeCalls} KMS calls`);
    t.ok(detokenizeCalls <= 10, `1,000 detokenizations: ${detokenizeCalls} KMS calls`);
    t.comment(
      `KMS calls per 1,000, three tenants, warm: tokenize ${tokenizeCalls}, detokenize ${detokenizeCalls}`,
    );
  },
);
