import { randomBytes } from 'node:crypto';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  KmsKeyringNode,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import { startLocalKms } from '@tokenization/local-aws/local-kms';
import t, { type Test } from 'tap';
import { EncryptionSdkCipher, encryptionContextPurpose } from '../src/adapters/encryption-sdk-cipher.js';
import { createKmsClient, kmsKeyHealthCheck } from '../src/adapters/kms-client.js';
import { DependencyUnavailableError, IntegrityError } from '../src/domain/errors.js';

const cache = { capacity: 10, maxAgeSeconds: 300, maxMessagesEncrypted: 100_000 };
const card = '4111111111111111';
/** Stands for the digest of a token's facts: the cipher seals whatever bytes it is given. */
const facts = Buffer.alloc(32, 7);

// The keyring is swappable: a raw AES keyring exercises the binding logic without KMS.
function rawAesCipher() {
  const keyring = new RawAesKeyringNode({
    keyName: 'test-key',
    keyNamespace: 'test',
    unencryptedMasterKey: randomBytes(32),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  return new EncryptionSdkCipher({ keyring, cache, checkKeyHealth: async () => {} });
}

async function kmsCipher(
  t: Test,
  options: { cache?: typeof cache | false; suiteId?: AlgorithmSuiteIdentifier } = {},
) {
  const kms = await startLocalKms();
  t.teardown(() => kms.close().catch(() => {}));
  const client = createKmsClient({
    endpoint: kms.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const keyring = new KmsKeyringNode({ generatorKeyId: kms.keyArn, clientProvider: () => client });
  const cipher = new EncryptionSdkCipher({
    keyring,
    cache: options.cache ?? cache,
    ...(options.suiteId ? { suiteId: options.suiteId } : {}),
    checkKeyHealth: kmsKeyHealthCheck(client, kms.keyArn),
  });
  return { kms, cipher };
}

function flipBit(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ 1;
  return copy;
}

t.test('a value round-trips for its own tenant and token', async (t) => {
  const cipher = rawAesCipher();
  const key = { tenant: 'acme', token: 'tok_a' };
  const ciphertext = await cipher.encrypt(key, card, facts);
  t.notOk(
    Buffer.from(ciphertext).toString('latin1').includes(card),
    'the ciphertext does not hold the value',
  );
  t.equal(await cipher.decrypt(key, ciphertext, facts), card);
  t.equal(await cipher.decrypt(key, await cipher.encrypt(key, 'ünïcødé ✓', facts), facts), 'ünïcødé ✓');
});

t.test('a ciphertext is bound to its token and tenant', async (t) => {
  const cipher = rawAesCipher();
  const ciphertext = await cipher.encrypt({ tenant: 'acme', token: 'tok_a' }, card, facts);
  await t.rejects(
    cipher.decrypt({ tenant: 'acme', token: 'tok_b' }, ciphertext, facts),
    IntegrityError,
    'other token',
  );
  await t.rejects(
    cipher.decrypt({ tenant: 'other', token: 'tok_a' }, ciphertext, facts),
    IntegrityError,
    'other tenant',
  );
});

t.test('a ciphertext is bound to the facts sealed with it', async (t) => {
  const cipher = rawAesCipher();
  const key = { tenant: 'acme', token: 'tok_a' };
  const ciphertext = await cipher.encrypt(key, card, facts);
  for (const [name, other] of [
    ['one bit of the facts changed', flipBit(facts, 31)],
    ['facts cut short', facts.subarray(0, 31)],
    ['no facts', Buffer.alloc(0)],
  ] as const) {
    await t.rejects(cipher.decrypt(key, ciphertext, other), IntegrityError, name);
  }
  t.equal(await cipher.decrypt(key, ciphertext, Buffer.from(facts)), card, 'the same facts decrypt');
});

t.test('a frame of version 1 (the token alone, before facts were sealed) is refused', async (t) => {
  const keyring = new RawAesKeyringNode({
    keyName: 'test-key',
    keyNamespace: 'test',
    unencryptedMasterKey: randomBytes(32),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const cipher = new EncryptionSdkCipher({ keyring, cache, checkKeyHealth: async () => {} });
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

t.test('an altered ciphertext is refused, and the error holds no value', async (t) => {
  const cipher = rawAesCipher();
  const key = { tenant: 'acme', token: 'tok_a' };
  const ciphertext = Buffer.from(await cipher.encrypt(key, card, facts));
  for (const [name, altered] of [
    ['bit flip in the body', flipBit(ciphertext, ciphertext.length - 40)],
    ['bit flip in the header', flipBit(ciphertext, 20)],
    ['truncated', ciphertext.subarray(0, ciphertext.length - 10)],
    ['empty', Buffer.alloc(0)],
  ] as const) {
    const error = await cipher.decrypt(key, altered, facts).catch((e: unknown) => e);
    t.type(error, IntegrityError, name);
    t.notOk(String((error as Error).stack).includes(card), `${name}: no value in the error`);
  }
});

t.test('with the KMS keyring, cached data keys keep KMS calls to at most 1 per 1,000 values', async (t) => {
  const { kms, cipher } = await kmsCipher(t);
  const key = { tenant: 'acme', token: 'tok_a' };
  let last: Uint8Array = new Uint8Array();
  for (let i = 0; i < 1000; i++) last = await cipher.encrypt(key, card, facts);
  t.equal(kms.stats().GenerateDataKey, 1, 'one data key for 1,000 encryptions');
  for (let i = 0; i < 1000; i++) await cipher.decrypt(key, last, facts);
  t.equal(kms.stats().Decrypt, 1, 'one KMS Decrypt for 1,000 decryptions');
});

t.test('a cold cache under concurrency still asks KMS once per data key', async (t) => {
  const { kms, cipher } = await kmsCipher(t);
  const keys = Array.from({ length: 100 }, (_, i) => ({ tenant: 'acme', token: `tok_${i}` }));
  const ciphertexts = await Promise.all(keys.map((key) => cipher.encrypt(key, card, facts)));
  t.equal(kms.stats().GenerateDataKey, 1, '100 concurrent encryptions, one data key');
  const values = await Promise.all(
    keys.map((key, i) => cipher.decrypt(key, ciphertexts[i] as Uint8Array, facts)),
  );
  t.ok(values.every((value) => value === card));
  t.equal(kms.stats().Decrypt, 1, '100 concurrent decryptions, one KMS Decrypt');
});

t.test('a per-tenant data key: another tenant gets its own', async (t) => {
  const { kms, cipher } = await kmsCipher(t);
  await cipher.encrypt({ tenant: 'a', token: 'tok_a' }, card, facts);
  await cipher.encrypt({ tenant: 'b', token: 'tok_a' }, card, facts);
  t.equal(kms.stats().GenerateDataKey, 2);
});

t.test('without the cache (the original sample), every value costs a KMS call', async (t) => {
  const { kms, cipher } = await kmsCipher(t, {
    cache: false,
    suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
  });
  const key = { tenant: 'acme', token: 'tok_a' };
  for (let i = 0; i < 5; i++)
    t.equal(await cipher.decrypt(key, await cipher.encrypt(key, card, facts), facts), card);
  t.same(kms.stats(), { GenerateDataKey: 5, Decrypt: 5 });
});

t.test('KMS failing or throttling is a dependency outage, not an integrity error', async (t) => {
  const { kms, cipher } = await kmsCipher(t, { cache: false });
  const key = { tenant: 'acme', token: 'tok_a' };
  const ciphertext = await cipher.encrypt(key, card, facts);
  for (const mode of ['fail', 'throttle'] as const) {
    kms.setFault({ mode });
    await t.rejects(cipher.encrypt(key, card, facts), DependencyUnavailableError, `encrypt, ${mode}`);
    await t.rejects(cipher.decrypt(key, ciphertext, facts), DependencyUnavailableError, `decrypt, ${mode}`);
    await t.rejects(cipher.checkHealth(), DependencyUnavailableError, `health, ${mode}`);
  }
  kms.setFault({ mode: 'none' });
  t.equal(await cipher.decrypt(key, ciphertext, facts), card, 'recovers');
  await kms.close();
  await t.rejects(cipher.encrypt(key, card, facts), DependencyUnavailableError, 'KMS down');
});
