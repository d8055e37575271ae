import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  KmsKeyringNode,
} from '@aws-crypto/client-node';
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  KMS,
  KMSClient,
  type KMSClientConfig,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import t, { type Test } from 'tap';
import {
  type LocalKms,
  type LocalKmsKey,
  type LocalKmsOptions,
  startLocalKms,
} from '../src/kms/local-kms.js';

async function start(tt: Test, options?: LocalKmsOptions): Promise<LocalKms> {
  const kms = await startLocalKms(options);
  tt.teardown(() => kms.close());
  return kms;
}

function clientConfig(kms: LocalKms): KMSClientConfig {
  return {
    endpoint: kms.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1, // fault tests expect the first error, not the SDK's retries
  };
}

/** A raw KMS call, for what the SDK would never send. */
function rawCall(kms: LocalKms, target: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${kms.endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
      authorization: 'AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/kms/aws4_request',
      ...headers,
    },
    body,
  });
}

const context = { tenant: 'acme', purpose: 'test' };

t.test('GenerateDataKey then Decrypt returns the data key and the key ARN', async (t) => {
  const kms = await start(t);
  const client = new KMSClient(clientConfig(kms));
  t.match(kms.keyArn, /^arn:aws:kms:us-east-1:000000000000:key\/[0-9a-f-]{36}$/);

  const generated = await client.send(
    new GenerateDataKeyCommand({ KeyId: kms.keyArn, KeySpec: 'AES_256', EncryptionContext: context }),
  );
  t.equal(generated.KeyId, kms.keyArn);
  t.equal(generated.Plaintext?.length, 32);

  const decrypted = await client.send(
    new DecryptCommand({
      CiphertextBlob: generated.CiphertextBlob,
      // same context, other order: it is canonicalised
      EncryptionContext: { purpose: 'test', tenant: 'acme' },
    }),
  );
  t.equal(decrypted.KeyId, kms.keyArn);
  t.equal(decrypted.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
  t.same(Buffer.from(decrypted.Plaintext ?? []), Buffer.from(generated.Plaintext ?? []));

  const keyId = kms.keyArn.split('/')[1];
  t.same(kms.keys, [{ keyId, arn: kms.keyArn, alias: 'alias/local-1' }]);
  for (const name of [keyId, 'alias/local-1', 'arn:aws:kms:us-east-1:000000000000:alias/local-1']) {
    const byName = await client.send(new GenerateDataKeyCommand({ KeyId: name, NumberOfBytes: 16 }));
    t.equal(byName.KeyId, kms.keyArn, `KeyId ${name} resolves to the key ARN`);
    t.equal(byName.Plaintext?.length, 16);
  }
  const withoutPlaintext = await client.send(
    new GenerateDataKeyWithoutPlaintextCommand({ KeyId: 'alias/local-1', KeySpec: 'AES_128' }),
  );
  t.notOk('Plaintext' in withoutPlaintext);
  const later = await client.send(new DecryptCommand({ CiphertextBlob: withoutPlaintext.CiphertextBlob }));
  t.equal(later.Plaintext?.length, 16);

  await t.rejects(client.send(new GenerateDataKeyCommand({ KeyId: 'alias/nope', KeySpec: 'AES_256' })), {
    name: 'NotFoundException',
  });
});

t.test('Decrypt rejects a wrong context, a tampered blob and another key', async (t) => {
  const kms = await start(t, { keys: 2 });
  const client = new KMSClient(clientConfig(kms));
  const { CiphertextBlob } = await client.send(
    new GenerateDataKeyCommand({ KeyId: kms.keyArn, KeySpec: 'AES_256', EncryptionContext: context }),
  );
  if (!CiphertextBlob) throw new Error('no CiphertextBlob');
  const invalid = { name: 'InvalidCiphertextException' };

  await t.rejects(
    client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { ...context, tenant: 'other' } })),
    invalid,
  );
  await t.rejects(client.send(new DecryptCommand({ CiphertextBlob })), invalid, 'missing context');

  const tampered = Uint8Array.from(CiphertextBlob);
  const last = tampered.length - 1;
  tampered[last] = (tampered[last] as number) ^ 1;
  await t.rejects(
    client.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: context })),
    invalid,
  );

  await t.rejects(
    client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context, KeyId: kms.keys[1]?.arn })),
    { name: 'IncorrectKeyException' },
  );
  const ok = await client.send(
    new DecryptCommand({ CiphertextBlob, EncryptionContext: context, KeyId: kms.keys[0]?.alias }),
  );
  t.equal(ok.KeyId, kms.keyArn);
});

t.test('ReEncrypt moves a ciphertext to another key and context, checking the source', async (t) => {
  const kms = await start(t, { keys: 2 });
  const client = new KMSClient(clientConfig(kms));
  const [first, second] = kms.keys as [LocalKmsKey, LocalKmsKey];
  const generated = await client.send(
    new GenerateDataKeyWithoutPlaintextCommand({
      KeyId: first.arn,
      NumberOfBytes: 32,
      EncryptionContext: context,
    }),
  );
  const CiphertextBlob = generated.CiphertextBlob;
  if (!CiphertextBlob) throw new Error('no CiphertextBlob');
  const destinationContext = { ...context, stage: 'active' };

  const moved = await client.send(
    new ReEncryptCommand({
      CiphertextBlob,
      SourceKeyId: first.arn,
      SourceEncryptionContext: context,
      DestinationKeyId: second.alias,
      DestinationEncryptionContext: destinationContext,
      GrantTokens: ['grant-token-1'],
    }),
  );
  t.match(moved, {
    SourceKeyId: first.arn,
    KeyId: second.arn,
    SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
  });
  const original = await client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
  const after = await client.send(
    new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob, EncryptionContext: destinationContext }),
  );
  t.equal(after.KeyId, second.arn);
  t.same(Buffer.from(after.Plaintext ?? []), Buffer.from(original.Plaintext ?? []), 'same plaintext');
  const invalid = { name: 'InvalidCiphertextException' };
  await t.rejects(
    client.send(new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob, EncryptionContext: context })),
    invalid,
    'the source context no longer opens it',
  );
  await t.rejects(
    client.send(
      new DecryptCommand({
        CiphertextBlob: moved.CiphertextBlob,
        EncryptionContext: destinationContext,
        KeyId: first.arn,
      }),
    ),
    { name: 'IncorrectKeyException' },
    'it is under the destination key now',
  );

  const reEncrypt = (input: Partial<ConstructorParameters<typeof ReEncryptCommand>[0]>) =>
    client.send(
      new ReEncryptCommand({
        CiphertextBlob,
        SourceEncryptionContext: context,
        DestinationKeyId: first.arn,
        ...input,
      }),
    );
  await reEncrypt({}); // no SourceKeyId: a symmetric ciphertext names its key, and no destination context
  await t.rejects(reEncrypt({ SourceEncryptionContext: { ...context, tenant: 'other' } }), invalid);
  await t.rejects(reEncrypt({ SourceEncryptionContext: undefined }), invalid, 'missing source context');
  await t.rejects(reEncrypt({ SourceKeyId: second.arn }), { name: 'IncorrectKeyException' });
  await t.rejects(reEncrypt({ DestinationKeyId: 'alias/nope' }), { name: 'NotFoundException' });
  await t.rejects(reEncrypt({ DestinationKeyId: '' }), {
    name: 'ValidationException',
    message: /DestinationKeyId/,
  });
  await t.rejects(reEncrypt({ DestinationEncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }), {
    name: 'InvalidKeyUsageException',
  });
  await t.rejects(reEncrypt({ GrantTokens: Array.from({ length: 11 }, (_, i) => `grant-${i}`) }), {
    name: 'ValidationException',
    message: /GrantTokens/,
  });
  t.same(kms.stats(), { GenerateDataKeyWithoutPlaintext: 1, ReEncrypt: 9, Decrypt: 4 });

  kms.setFault({ mode: 'throttle', operations: ['ReEncrypt'] });
  await t.rejects(reEncrypt({}), { name: 'ThrottlingException' });
  await client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
  kms.setFault({ mode: 'fail' });
  await t.rejects(reEncrypt({}), { name: 'KMSInternalException', $metadata: { httpStatusCode: 500 } });
  kms.setFault({ mode: 'none' });
  await reEncrypt({});
  t.same(
    kms.stats(),
    { GenerateDataKeyWithoutPlaintext: 1, ReEncrypt: 12, Decrypt: 5 },
    'faulted calls count',
  );
});

t.test('Encrypt/Decrypt round trip and DescribeKey', async (t) => {
  const kms = await start(t);
  const client = new KMSClient(clientConfig(kms));
  const plaintext = Buffer.from('hello kms');
  const encrypted = await client.send(
    new EncryptCommand({ KeyId: 'alias/local-1', Plaintext: plaintext, EncryptionContext: context }),
  );
  t.equal(encrypted.KeyId, kms.keyArn);
  const decrypted = await client.send(
    new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context }),
  );
  t.same(Buffer.from(decrypted.Plaintext ?? []), plaintext);

  await t.rejects(client.send(new EncryptCommand({ KeyId: kms.keyArn, Plaintext: Buffer.alloc(4097) })), {
    name: 'ValidationException',
  });

  const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: 'alias/local-1' }));
  t.match(KeyMetadata, {
    KeyId: kms.keys[0]?.keyId,
    Arn: kms.keyArn,
    Enabled: true,
    KeyState: 'Enabled',
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeySpec: 'SYMMETRIC_DEFAULT',
  });
  t.ok(KeyMetadata?.CreationDate instanceof Date, 'CreationDate parses as a date');
  t.ok(Math.abs((KeyMetadata?.CreationDate?.getTime() ?? 0) - Date.now()) < 60_000);
});

t.test('counters count calls per operation', async (t) => {
  const kms = await start(t);
  const client = new KMSClient(clientConfig(kms));
  t.same(kms.stats(), {});
  const { CiphertextBlob } = await client.send(
    new GenerateDataKeyCommand({ KeyId: kms.keyArn, NumberOfBytes: 32 }),
  );
  await client.send(new GenerateDataKeyCommand({ KeyId: kms.keyArn, NumberOfBytes: 32 }));
  await client.send(new DecryptCommand({ CiphertextBlob }));
  await t.rejects(client.send(new DescribeKeyCommand({ KeyId: 'alias/missing' })));
  t.same(kms.stats(), { GenerateDataKey: 2, Decrypt: 1, DescribeKey: 1 }, 'failed calls count too');
  kms.resetStats();
  t.same(kms.stats(), {});
});

t.test('faults, admin routes and protocol errors', async (t) => {
  const kms = await start(t);
  const client = new KMSClient(clientConfig(kms));
  const generate = () => client.send(new GenerateDataKeyCommand({ KeyId: kms.keyArn, KeySpec: 'AES_256' }));

  kms.setFault({ mode: 'fail' });
  await t.rejects(generate(), { name: 'KMSInternalException', $metadata: { httpStatusCode: 500 } });
  kms.setFault({ mode: 'throttle', operations: ['Decrypt'] });
  const { CiphertextBlob } = await generate();
  await t.rejects(client.send(new DecryptCommand({ CiphertextBlob })), {
    name: 'ThrottlingException',
    message: 'Rate exceeded',
  });
  kms.setFault({ mode: 'none' });
  await client.send(new DecryptCommand({ CiphertextBlob }));
  t.throws(() => kms.setFault({ mode: 'fail', operations: ['Decrypts'] }), /Fault operations/);

  t.same(await (await fetch(`${kms.endpoint}/_local/stats`)).json(), { GenerateDataKey: 2, Decrypt: 2 });
  t.equal((await fetch(`${kms.endpoint}/_local/stats/reset`, { method: 'POST' })).status, 204);
  t.same(kms.stats(), {});
  const setFault = (body: string) => fetch(`${kms.endpoint}/_local/fault`, { method: 'POST', body });
  t.equal((await setFault('{"mode":"throttle"}')).status, 204);
  await t.rejects(generate(), { name: 'ThrottlingException' });
  t.equal((await setFault('{"mode":"sometimes"}')).status, 400);
  t.equal((await setFault('{"mode":"none"}')).status, 204);
  await generate();
  t.same(kms.stats(), { GenerateDataKey: 2 });

  const errorOf = async (res: Response) => ({
    status: res.status,
    header: res.headers.get('x-amzn-errortype'),
    type: ((await res.json()) as { __type: string }).__type,
  });
  const describe = JSON.stringify({ KeyId: kms.keyArn });
  t.same(await errorOf(await rawCall(kms, 'TrentService.DescribeKey', describe, { authorization: '' })), {
    status: 400,
    header: 'MissingAuthenticationTokenException',
    type: 'MissingAuthenticationTokenException',
  });
  t.match(await errorOf(await rawCall(kms, 'TrentService.ListKeys', '{}')), {
    status: 400,
    type: 'UnsupportedOperationException',
  });
  t.match(await errorOf(await rawCall(kms, 'TrentService.DescribeKey', '{"KeyId":')), {
    status: 400,
    type: 'SerializationException',
  });
  t.equal((await rawCall(kms, 'TrentService.DescribeKey', 'x'.repeat(64 * 1024 + 1))).status, 413);
  t.equal((await rawCall(kms, 'TrentService.DescribeKey', describe)).status, 200);
});

t.test('keyMaterialFile keeps ciphertexts decryptable across restarts', async (t) => {
  const keyMaterialFile = join(t.testdir(), 'kms-keys.json');
  const first = await startLocalKms({ keyMaterialFile });
  const { CiphertextBlob, Plaintext } = await new KMSClient(clientConfig(first)).send(
    new GenerateDataKeyCommand({ KeyId: first.keyArn, KeySpec: 'AES_256', EncryptionContext: context }),
  );
  await first.close();
  t.equal((await stat(keyMaterialFile)).mode & 0o777, 0o600);

  const second = await start(t, { keyMaterialFile, keys: 1 });
  t.same(second.keys, first.keys, 'the keys of the file');
  const decrypted = await new KMSClient(clientConfig(second)).send(
    new DecryptCommand({ CiphertextBlob, EncryptionContext: context }),
  );
  t.same(Buffer.from(decrypted.Plaintext ?? []), Buffer.from(Plaintext ?? []));
});

t.test('keyMaterialFile keeps its keys and gains the ones a later start asks for', async (t) => {
  const keyMaterialFile = join(t.testdir(), 'kms-keys.json');
  const first = await startLocalKms({ keyMaterialFile });
  const { CiphertextBlob, Plaintext } = await new KMSClient(clientConfig(first)).send(
    new GenerateDataKeyCommand({ KeyId: first.keyArn, KeySpec: 'AES_256', EncryptionContext: context }),
  );
  await first.close();

  const second = await startLocalKms({ keyMaterialFile, keys: 2 });
  t.teardown(() => second.close().catch(() => {})); // closed below already when nothing failed
  t.equal(second.keys.length, 2, 'a second key added');
  t.same(second.keys[0], first.keys[0], 'the first key kept');
  t.equal(second.keys[1]?.alias, 'alias/local-2');
  const decrypted = await new KMSClient(clientConfig(second)).send(
    new DecryptCommand({ CiphertextBlob, EncryptionContext: context }),
  );
  t.same(Buffer.from(decrypted.Plaintext ?? []), Buffer.from(Plaintext ?? []), 'its material unchanged');
  const wrapped = await new KMSClient(clientConfig(second)).send(
    new GenerateDataKeyCommand({ KeyId: second.keys[1]?.arn, KeySpec: 'AES_256' }),
  );
  await second.close();
  t.equal((await stat(keyMaterialFile)).mode & 0o777, 0o600);

  const third = await start(t, { keyMaterialFile, keys: 2 });
  t.same(third.keys, second.keys, 'the grown file is read back as it is');
  const again = await new KMSClient(clientConfig(third)).send(
    new DecryptCommand({ CiphertextBlob: wrapped.CiphertextBlob }),
  );
  t.same(Buffer.from(again.Plaintext ?? []), Buffer.from(wrapped.Plaintext ?? []), 'the added key persisted');
});

t.test('the AWS Encryption SDK KMS keyring works against it', async (t) => {
  const kms = await start(t);
  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  // The keyring calls the lower-case methods (generateDataKey, decrypt...) of the aggregated KMS client;
  // the bare KMSClient only has send().
  const keyring = new KmsKeyringNode({
    generatorKeyId: kms.keyArn,
    clientProvider: () => new KMS(clientConfig(kms)),
  });
  const message = Buffer.from('card 4111 1111 1111 1111');

  const { result } = await encrypt(keyring, message, {
    suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
    encryptionContext: context,
  });
  const { plaintext, messageHeader } = await decrypt(keyring, result);
  t.same(plaintext, message);
  t.match(messageHeader.encryptionContext, context);
  t.equal(messageHeader.encryptedDataKeys[0]?.providerInfo, kms.keyArn);
  t.same(kms.stats(), { GenerateDataKey: 1, Decrypt: 1 });
});
