// The cipher on real parts: the tenants' branch keys in a key store table on DynamoDB Local under the local
// KMS stand-in's second key (the hierarchical keyring), and the legacy format under its first (the vault
// key). A raw AES keyring stands in for KMS only where the legacy frame itself is under test.
import { randomBytes } from 'node:crypto';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  KmsHierarchicalKeyRingNode,
  KmsKeyringNode,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import { type LocalKms, startLocalKms } from '@tokenization/local-aws/local-kms';
import { testDynamoDbClient } from '@tokenization/local-aws/test-support/dynamodb';
import t, { type Test } from 'tap';
import {
  type DataKeyCacheOptions,
  EncryptionSdkCipher,
  encryptionContextPurpose,
} from '../src/adapters/encryption-sdk-cipher.js';
import { createKmsClient, kmsKeyHealthCheck } from '../src/adapters/kms-client.js';
import { createTenantKeyStore, tenantKeyring } from '../src/adapters/tenant-keyring.js';
import { DependencyUnavailableError, IntegrityError } from '../src/domain/errors.js';
import {
  activeKeyVersion,
  adminKeyStore,
  branchKeyKmsKeyArn,
  createBranchKey,
  createKeyStoreTable,
  testKeyStoreLogicalName,
} from './helpers/tenant-keys.js';

const cache: DataKeyCacheOptions = { capacity: 10, maxAgeSeconds: 300, maxMessagesEncrypted: 100_000 };
const card = '4111111111111111';
/** Stands for the digest of a token's facts: the cipher binds whatever bytes it is given. */
const facts = Buffer.alloc(32, 7);
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface CipherOptions {
  legacyCache?: DataKeyCacheOptions | false;
  writeLegacyFormat?: boolean;
  suiteId?: AlgorithmSuiteIdentifier;
  /** Replaces the tenant keyring (a misrouted one). */
  keyring?: (keyStore: ReturnType<typeof createTenantKeyStore>) => KmsHierarchicalKeyRingNode;
}

/**
 * A local KMS with two keys, a key store table with a branch key per tenant, and `cipher()`: a cipher as
 * one tokenizer container builds it (its own key store reads and keyring cache, so it starts cold).
 */
async function tenantKeys(t: Test, tenants: readonly string[] = ['acme', 'globex']) {
  const kms: LocalKms = await startLocalKms({ keys: 2 });
  t.teardown(() => kms.close().catch(() => {}));
  const dynamoDb = testDynamoDbClient();
  const tableName = await createKeyStoreTable(t, dynamoDb);
  t.teardown(() => dynamoDb.destroy());
  const admin = adminKeyStore(t, { kms, dynamoDb, tableName });
  for (const tenant of tenants) await createBranchKey(admin, tenant);
  const kmsClient = createKmsClient({
    endpoint: kms.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  t.teardown(() => kmsClient.destroy());
  const cipher = (options: CipherOptions = {}) => {
    const keyStore = createTenantKeyStore({
      logicalName: testKeyStoreLogicalName,
      tableName,
      dynamoDb,
      kms: kmsClient,
      kmsKeyArn: branchKeyKmsKeyArn(kms),
    });
    return new EncryptionSdkCipher({
      keyring:
        options.keyring?.(keyStore) ?? tenantKeyring(keyStore, { cacheTtlSeconds: 300, cacheSize: 1000 }),
      legacy: {
        keyring: new KmsKeyringNode({ generatorKeyId: kms.keyArn, clientProvider: () => kmsClient }),
        cache: options.legacyCache ?? cache,
        ...(options.suiteId ? { suiteId: options.suiteId } : {}),
      },
      writeLegacyFormat: options.writeLegacyFormat ?? false,
      checkKeyHealth: kmsKeyHealthCheck(kmsClient, kms.keyArn),
    });
  };
  return { kms, admin, cipher };
}

function flipBit(bytes: Uint8Array, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ 1;
  return copy;
}

t.test('a value round-trips for its own tenant and token, under the tenant branch key version', async (t) => {
  const { admin, cipher: newCipher } = await tenantKeys(t);
  const cipher = newCipher();
  const key = { tenant: 'acme', token: 'tok_a' };
  const { ciphertext, keyVersion } = await cipher.encrypt(key, card, facts);
  t.equal(keyVersion, await activeKeyVersion(admin, 'acme'), "the tenant's active branch key version");
  t.notOk(
    Buffer.from(ciphertext).toString('latin1').includes(card),
    'the ciphertext does not hold the value',
  );
  t.same(await cipher.decrypt({ ...key, keyVersion }, ciphertext, facts), { value: card, keyVersion });
  const unicode = await cipher.encrypt(key, 'ünïcødé ✓', facts);
  t.equal((await cipher.decrypt({ ...key, ...unicode }, unicode.ciphertext, facts)).value, 'ünïcødé ✓');
});

t.test('the encryption context binds the ciphertext to its tenant, token and facts', async (t) => {
  const { cipher: newCipher } = await tenantKeys(t);
  const cipher = newCipher();
  const { ciphertext, keyVersion } = await cipher.encrypt({ tenant: 'acme', token: 'tok_a' }, card, facts);
  const read = (tenant: string, token: string, withFacts: Uint8Array) =>
    cipher.decrypt({ tenant, token, keyVersion }, ciphertext, withFacts);
  await t.rejects(read('acme', 'tok_b', facts), IntegrityError, 'another token');
  await t.rejects(read('globex', 'tok_a', facts), IntegrityError, 'another tenant');
  for (const [name, other] of [
    ['one bit of the facts changed', flipBit(facts, 31)],
    ['facts cut short', facts.subarray(0, 31)],
    ['no facts', Buffer.alloc(0)],
  ] as const) {
    await t.rejects(read('acme', 'tok_a', other), IntegrityError, name);
  }
  t.equal((await read('acme', 'tok_a', Buffer.from(facts))).value, card, 'the same facts decrypt');
});

t.test("a tenant's ciphertext does not decrypt under another tenant's branch key", async (t) => {
  const { cipher: newCipher } = await tenantKeys(t);
  const { ciphertext, keyVersion } = await newCipher().encrypt(
    { tenant: 'acme', token: 'tok_a' },
    card,
    facts,
  );
  // A keyring that answers globex's branch key for every message: acme's data key was not wrapped by it.
  const misrouted = newCipher({
    keyring: (keyStore) =>
      new KmsHierarchicalKeyRingNode({
        keyStore,
        branchKeyIdSupplier: { getBranchKeyId: () => 'tenant-globex' },
        cacheLimitTtl: 300,
      }),
  });
  const error = await misrouted
    .decrypt({ tenant: 'acme', token: 'tok_a', keyVersion }, ciphertext, facts)
    .catch((e: unknown) => e);
  t.type(error, IntegrityError);
  t.notOk(String((error as Error).stack).includes(card), 'no value in the error');
});

t.test('the keyVersion attribute only picks the format: tampering with it is refused', async (t) => {
  const { cipher: newCipher } = await tenantKeys(t);
  const cipher = newCipher();
  const key = { tenant: 'acme', token: 'tok_a' };
  const current = await cipher.encrypt(key, card, facts);
  await t.rejects(cipher.decrypt(key, current.ciphertext, facts), IntegrityError, 'keyVersion removed');
  const legacy = await newCipher({ writeLegacyFormat: true }).encrypt(key, card, facts);
  t.equal(legacy.keyVersion, undefined, 'a legacy write has no key version');
  await t.rejects(
    cipher.decrypt({ ...key, keyVersion: current.keyVersion }, legacy.ciphertext, facts),
    IntegrityError,
    'keyVersion added to a legacy item',
  );
});

t.test('an altered ciphertext is refused, and the error holds no value', async (t) => {
  const { cipher: newCipher } = await tenantKeys(t);
  const cipher = newCipher();
  const key = { tenant: 'acme', token: 'tok_a' };
  const { ciphertext, keyVersion } = await cipher.encrypt(key, card, facts);
  const bytes = Buffer.from(ciphertext);
  for (const [name, altered] of [
    ['bit flip in the body', flipBit(bytes, bytes.length - 40)],
    ['bit flip in the header', flipBit(bytes, 20)],
    ['truncated', bytes.subarray(0, bytes.length - 10)],
    ['empty', Buffer.alloc(0)],
  ] as const) {
    const error = await cipher.decrypt({ ...key, keyVersion }, altered, facts).catch((e: unknown) => e);
    t.type(error, IntegrityError, name);
    t.notOk(String((error as Error).stack).includes(card), `${name}: no value in the error`);
  }
});

t.test('rotation: new values use the new branch key version, older ones still decrypt', async (t) => {
  const { admin, cipher: newCipher } = await tenantKeys(t);
  const warm = newCipher();
  const key = { tenant: 'acme', token: 'tok_a' };
  const before = await warm.encrypt(key, 'before', facts);
  await admin.versionKey({ branchKeyIdentifier: 'tenant-acme' });
  const v2 = await activeKeyVersion(admin, 'acme');
  t.not(v2, before.keyVersion);

  const fresh = newCipher(); // another container, or this one after BRANCH_KEY_CACHE_TTL_SECONDS
  const after = await fresh.encrypt(key, 'after', facts);
  t.equal(after.keyVersion, v2, 'new values use the new version');
  t.same(await fresh.decrypt({ ...key, keyVersion: before.keyVersion }, before.ciphertext, facts), {
    value: 'before',
    keyVersion: before.keyVersion,
  });
  t.same(await warm.decrypt({ ...key, keyVersion: v2 }, after.ciphertext, facts), {
    value: 'after',
    keyVersion: v2,
  });
});

t.test('items in the legacy format keep decrypting, still bound to their token', async (t) => {
  const { cipher: newCipher } = await tenantKeys(t);
  const legacyWriter = newCipher({ writeLegacyFormat: true });
  const cipher = newCipher();
  const key = { tenant: 'acme', token: 'tok_a' };
  const { ciphertext } = await legacyWriter.encrypt(key, card, facts);
  t.same(await cipher.decrypt(key, ciphertext, facts), { value: card }, 'no key version: legacy');
  await t.rejects(cipher.decrypt({ ...key, token: 'tok_b' }, ciphertext, facts), IntegrityError);
  await t.rejects(cipher.decrypt(key, ciphertext, flipBit(facts, 0)), IntegrityError);
});

t.test('a legacy frame of version 1 (the token alone, before facts were sealed) is refused', async (t) => {
  const keyring = new RawAesKeyringNode({
    keyName: 'test-key',
    keyNamespace: 'test',
    unencryptedMasterKey: randomBytes(32),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const cipher = new EncryptionSdkCipher({
    keyring,
    legacy: { keyring, cache },
    checkKeyHealth: async () => {},
  });
  const token = Buffer.from('tok_a');
  const version1 = Buffer.concat([Buffer.of(1, 0, token.length), token, Buffer.from(card)]);
  const { result } = await buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT).encrypt(
    keyring,
    version1,
    { encryptionContext: { purpose: encryptionContextPurpose, tenant: 'acme' } },
  );
  const error = await cipher.decrypt({ tenant: 'acme', token: 'tok_a' }, result, facts).catch((e) => e);
  t.type(error, IntegrityError);
  t.notOk(String(error.stack).includes(card), 'no value in the error');
});

t.test('KMS calls per 1,000 values with three tenants: none once the branch keys are cached', async (t) => {
  const tenants = ['acme', 'globex', 'initech'];
  const { kms, cipher: newCipher } = await tenantKeys(t, tenants);
  const writer = newCipher();
  const reader = newCipher();
  kms.resetStats();
  const sealed: { tenant: string; token: string; ciphertext: Uint8Array; keyVersion?: string }[] = [];
  for (let i = 0; i < 1000; i++) {
    const key = { tenant: tenants[i % tenants.length] as string, token: `tok_${i}` };
    sealed.push({ ...key, ...(await writer.encrypt(key, `value ${i}`, facts)) });
  }
  const coldEncrypt = kms.stats();
  t.same(coldEncrypt, { Decrypt: tenants.length }, 'from cold: one branch key read per tenant');
  kms.resetStats();
  for (let i = 0; i < 1000; i++) {
    const key = { tenant: tenants[i % tenants.length] as string, token: `tok_warm_${i}` };
    await writer.encrypt(key, `value ${i}`, facts);
  }
  const warmEncrypt = Object.values(kms.stats()).reduce((sum, calls) => sum + calls, 0);
  t.ok(warmEncrypt <= 1, `at most 1 KMS call per 1,000 tokenizations once warm (${warmEncrypt})`);

  kms.resetStats();
  let wrong = 0;
  for (const [i, item] of sealed.entries()) {
    if ((await reader.decrypt(item, item.ciphertext, facts)).value !== `value ${i}`) wrong++;
  }
  t.equal(wrong, 0, 'every value decrypts to what was encrypted');
  const coldDecrypt = kms.stats();
  t.same(coldDecrypt, { Decrypt: tenants.length }, 'from cold: one read per tenant and version');
  kms.resetStats();
  for (const item of sealed) await reader.decrypt(item, item.ciphertext, facts);
  const warmDecrypt = Object.values(kms.stats()).reduce((sum, calls) => sum + calls, 0);
  t.ok(warmDecrypt <= 10, `at most 10 KMS calls per 1,000 detokenizations once warm (${warmDecrypt})`);
  t.comment(
    `KMS calls per 1,000 with ${tenants.length} tenants: encrypt ${JSON.stringify(coldEncrypt)} cold, ` +
      `${warmEncrypt} warm; decrypt ${JSON.stringify(coldDecrypt)} cold, ${warmDecrypt} warm`,
  );
});

t.test('a cold burst asks KMS once per branch key: concurrent lookups share one', async (t) => {
  const { kms, cipher: newCipher } = await tenantKeys(t);
  const writer = newCipher();
  const keys = Array.from({ length: 100 }, (_, i) => ({ tenant: 'acme', token: `tok_${i}` }));
  kms.resetStats();
  const sealed = await Promise.all(keys.map((key) => writer.encrypt(key, card, facts)));
  t.same(kms.stats(), { Decrypt: 1 }, '100 concurrent encryptions, one branch key read');
  const reader = newCipher();
  kms.resetStats();
  const values = await Promise.all(
    keys.map((key, i) => {
      const { ciphertext, keyVersion } = sealed[i] as (typeof sealed)[number];
      return reader.decrypt({ ...key, keyVersion }, ciphertext, facts);
    }),
  );
  t.ok(values.every(({ value }) => value === card));
  t.same(kms.stats(), { Decrypt: 1 }, '100 concurrent decryptions, one branch key version read');
  // Every caller of the shared lookup cached its result: the cached branch keys must still be whole.
  const again = await writer.encrypt({ tenant: 'acme', token: 'tok_again' }, card, facts);
  const [first] = sealed;
  const reread = await reader.decrypt(
    { ...(keys[0] as (typeof keys)[number]), ...first },
    first?.ciphertext as Uint8Array,
    facts,
  );
  t.equal(reread.value, card, 'the reader decrypts from its cache after the burst');
  t.equal(
    (await reader.decrypt({ tenant: 'acme', token: 'tok_again', ...again }, again.ciphertext, facts)).value,
    card,
    'what the writer encrypts from its cache after the burst decrypts',
  );
  t.same(kms.stats(), { Decrypt: 1 }, 'from the caches: no more KMS calls');
});

t.test('KMS failing or throttling is a dependency outage, not an integrity error', async (t) => {
  const { kms, cipher: newCipher } = await tenantKeys(t);
  const key = { tenant: 'acme', token: 'tok_a' };
  const { ciphertext, keyVersion } = await newCipher().encrypt(key, card, facts);
  const legacy = await newCipher({ writeLegacyFormat: true, legacyCache: false }).encrypt(key, card, facts);
  for (const mode of ['fail', 'throttle'] as const) {
    kms.setFault({ mode });
    const cold = newCipher({ legacyCache: false });
    await t.rejects(cold.encrypt(key, card, facts), DependencyUnavailableError, `encrypt, ${mode}`);
    const reads = await Promise.allSettled(
      Array.from({ length: 5 }, () => cold.decrypt({ ...key, keyVersion }, ciphertext, facts)),
    );
    t.ok(
      reads.every((read) => read.status === 'rejected' && read.reason instanceof DependencyUnavailableError),
      `decrypt, ${mode}: every one of 5 concurrent reads sharing the failed lookup`,
    );
    await t.rejects(
      cold.decrypt(key, legacy.ciphertext, facts),
      DependencyUnavailableError,
      `legacy, ${mode}`,
    );
    await t.rejects(cold.checkHealth(), DependencyUnavailableError, `health, ${mode}`);
  }
  kms.setFault({ mode: 'none' });
  t.equal((await newCipher().decrypt({ ...key, keyVersion }, ciphertext, facts)).value, card, 'recovers');
  await kms.close();
  await t.rejects(newCipher().encrypt(key, card, facts), DependencyUnavailableError, 'KMS down');
});

t.test('the sample profile writes the legacy format without a cache: a KMS call per value', async (t) => {
  const { kms, cipher: newCipher } = await tenantKeys(t);
  const cipher = newCipher({
    writeLegacyFormat: true,
    legacyCache: false,
    suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
  });
  const key = { tenant: 'acme', token: 'tok_a' };
  kms.resetStats();
  for (let i = 0; i < 5; i++) {
    const { ciphertext, keyVersion } = await cipher.encrypt(key, card, facts);
    t.equal(keyVersion, undefined);
    t.equal((await cipher.decrypt(key, ciphertext, facts)).value, card);
  }
  t.same(kms.stats(), { GenerateDataKey: 5, Decrypt: 5 });
});

t.test('legacy reads share cached data keys: one KMS call for 1,000 of them', async (t) => {
  const { kms, cipher: newCipher } = await tenantKeys(t);
  const key = { tenant: 'acme', token: 'tok_a' };
  const { ciphertext } = await newCipher({ writeLegacyFormat: true }).encrypt(key, card, facts);
  const cipher = newCipher();
  kms.resetStats();
  for (let i = 0; i < 1000; i++) await cipher.decrypt(key, ciphertext, facts);
  t.same(kms.stats(), { Decrypt: 1 });
  t.ok(uuid.test((await newCipher().encrypt(key, card, facts)).keyVersion ?? ''), 'new writes: tenant keys');
});
