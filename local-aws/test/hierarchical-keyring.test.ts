// The Encryption SDK's AWS KMS Hierarchical keyring and its DynamoDB branch key store, run on the local
// parts: the local KMS stand-in over HTTP and DynamoDB Local. Nothing here is faked.
import {
  AlgorithmSuiteIdentifier,
  BranchKeyStoreNode,
  buildClient,
  CommitmentPolicy,
  KmsHierarchicalKeyRingNode,
  type MessageHeader,
} from '@aws-crypto/client-node';
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import t, { type Test } from 'tap';
import { type LocalKms, startLocalKms } from '../src/kms/local-kms.js';
import { testDynamoDbClient, uniqueTableName } from '../src/test-support/dynamodb.js';

const { encrypt, decrypt } = buildClient({
  commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
  maxEncryptedDataKeys: 1,
});
const suiteId = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;
const CACHE_TTL_SECONDS = 600;

interface KeyStoreFixture {
  kms: LocalKms;
  ddb: DynamoDBClient;
  table: string;
  keyStore: BranchKeyStoreNode;
}

/** A local KMS and a fresh key store table with the schema the branch key store reads and writes. */
async function keyStoreFixture(tt: Test): Promise<KeyStoreFixture> {
  const kms = await startLocalKms();
  tt.teardown(() => kms.close());
  const ddb = testDynamoDbClient();
  const table = uniqueTableName('branch-keys');
  await ddb.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [
        { AttributeName: 'branch-key-id', KeyType: 'HASH' },
        { AttributeName: 'type', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'branch-key-id', AttributeType: 'S' },
        { AttributeName: 'type', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  tt.teardown(async () => {
    await ddb.send(new DeleteTableCommand({ TableName: table }));
    ddb.destroy();
  });
  const kmsClient = new KMSClient({
    endpoint: kms.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1, // fault tests expect the first error, not the SDK's retries
  });
  tt.teardown(() => kmsClient.destroy());
  const keyStore = new BranchKeyStoreNode({
    logicalKeyStoreName: table,
    storage: { ddbTableName: table, ddbClient: ddb },
    keyManagement: { kmsClient },
    kmsConfiguration: { identifier: kms.keyArn },
  });
  return { kms, ddb, table, keyStore };
}

/** One branch key per tenant, its id derived from the tenant: the supplier must answer synchronously. */
const branchKeyIdOf = (tenant: string) => `tenant-${tenant}`;

async function createTenantKey(keyStore: BranchKeyStoreNode, tenant: string): Promise<string> {
  const { branchKeyIdentifier } = await keyStore.createKey({
    branchKeyIdentifier: branchKeyIdOf(tenant),
    encryptionContext: { tenant },
  });
  return branchKeyIdentifier;
}

/** Picks the branch key from the message's encryption context (on decrypt: the authenticated header's). */
function tenantKeyring(keyStore: BranchKeyStoreNode): KmsHierarchicalKeyRingNode {
  return new KmsHierarchicalKeyRingNode({
    keyStore,
    branchKeyIdSupplier: {
      getBranchKeyId(encryptionContext) {
        const tenant = encryptionContext.tenant;
        if (!tenant) throw new Error('the encryption context names no tenant');
        return branchKeyIdOf(tenant);
      },
    },
    cacheLimitTtl: CACHE_TTL_SECONDS,
    maxCacheSize: 1000,
  });
}

function seal(keyring: KmsHierarchicalKeyRingNode, tenant: string, value: string): Promise<Buffer> {
  return encrypt(keyring, Buffer.from(value), {
    suiteId,
    encryptionContext: { purpose: 'token-vault', tenant },
  }).then(({ result }) => result);
}

async function open(keyring: KmsHierarchicalKeyRingNode, ciphertext: Buffer): Promise<string> {
  const { plaintext } = await decrypt(keyring, ciphertext);
  return plaintext.toString();
}

async function items(fixture: KeyStoreFixture, branchKeyId: string) {
  const { Items = [] } = await fixture.ddb.send(
    new QueryCommand({
      TableName: fixture.table,
      KeyConditionExpression: '#id = :id',
      ExpressionAttributeNames: { '#id': 'branch-key-id' },
      ExpressionAttributeValues: { ':id': { S: branchKeyId } },
      ConsistentRead: true,
    }),
  );
  return Items;
}

function activeVersion(records: Record<string, AttributeValue>[]): string {
  const active = records.find((item) => item.type?.S === 'branch:ACTIVE');
  const version = active?.version?.S;
  if (!version) throw new Error('no branch:ACTIVE item');
  return version.slice('branch:version:'.length);
}

/** The branch key version a message's data key was wrapped with: bytes 28-44 of the EDK (after salt, IV). */
function messageVersion(header: MessageHeader): string {
  const edk = header.encryptedDataKeys[0]?.encryptedDataKey;
  if (!edk) throw new Error('no encrypted data key');
  const hex = Buffer.from(edk.subarray(28, 44)).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

t.test('createKey writes the three branch key items, bound to KMS by their encryption context', async (t) => {
  const fixture = await keyStoreFixture(t);
  const { kms, keyStore } = fixture;
  t.equal(await createTenantKey(keyStore, 'acme'), 'tenant-acme');
  t.same(kms.stats(), { GenerateDataKeyWithoutPlaintext: 2, ReEncrypt: 1 });

  const records = await items(fixture, 'tenant-acme');
  const types = records.map((item) => item.type?.S).sort();
  t.equal(types.length, 3);
  t.equal(types[0], 'beacon:ACTIVE');
  t.equal(types[1], 'branch:ACTIVE');
  t.match(types[2], /^branch:version:[0-9a-f-]{36}$/);
  const version = records.find((item) => item.type?.S === types[2]);
  t.match(version, {
    'branch-key-id': { S: 'tenant-acme' },
    'create-time': { S: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/ },
    'kms-arn': { S: kms.keyArn },
    'hierarchy-version': { N: '1' },
    'aws-crypto-ec:tenant': { S: 'acme' },
    enc: { B: Uint8Array },
  });
  t.notOk(version && 'tablename' in version, 'the logical key store name is bound by KMS, not stored');
  t.equal(activeVersion(records), types[2]?.slice('branch:version:'.length));

  const materials = await keyStore.getActiveBranchKey('tenant-acme');
  t.equal(materials.branchKeyIdentifier, 'tenant-acme');
  t.equal(materials.branchKey().length, 32);
  t.same(materials.encryptionContext, { tenant: 'acme' });
  t.same(kms.stats(), { GenerateDataKeyWithoutPlaintext: 2, ReEncrypt: 1, Decrypt: 1 });

  await t.rejects(
    createTenantKey(keyStore, 'acme'),
    { name: 'TransactionCanceledException' },
    'no overwrite',
  );
  t.same(
    (await items(fixture, 'tenant-acme')).map((item) => item.enc?.B),
    records.map((item) => item.enc?.B),
    'the existing branch key is untouched',
  );

  // Someone holding the table copies another tenant's wrapped key, or edits an attribute: KMS refuses it.
  await createTenantKey(keyStore, 'globex');
  const activeItem = async (tenant: string) => {
    const item = (await items(fixture, branchKeyIdOf(tenant))).find((i) => i.type?.S === 'branch:ACTIVE');
    if (!item) throw new Error(`no branch:ACTIVE item for ${tenant}`);
    return item;
  };
  const globex = await activeItem('globex');
  const acmeKey = (await activeItem('acme')).enc as AttributeValue;
  await fixture.ddb.send(new PutItemCommand({ TableName: fixture.table, Item: { ...globex, enc: acmeKey } }));
  kms.resetStats();
  await t.rejects(keyStore.getActiveBranchKey('tenant-globex'), { name: 'InvalidCiphertextException' });
  await fixture.ddb.send(
    new PutItemCommand({
      TableName: fixture.table,
      Item: { ...globex, 'aws-crypto-ec:tenant': { S: 'acme' } },
    }),
  );
  await t.rejects(keyStore.getActiveBranchKey('tenant-globex'), { name: 'InvalidCiphertextException' });
  await fixture.ddb.send(new PutItemCommand({ TableName: fixture.table, Item: globex }));
  t.equal((await keyStore.getActiveBranchKey('tenant-globex')).branchKeyIdentifier, 'tenant-globex');
  t.same(kms.stats(), { Decrypt: 3 });
});

t.test("a tenant's ciphertext does not decrypt under another tenant's branch key", async (t) => {
  const { keyStore } = await keyStoreFixture(t);
  await createTenantKey(keyStore, 'acme');
  await createTenantKey(keyStore, 'globex');
  const keyring = tenantKeyring(keyStore);
  const acme = await seal(keyring, 'acme', 'acme value');
  const globex = await seal(keyring, 'globex', 'globex value');

  const { plaintext, messageHeader } = await decrypt(keyring, acme);
  t.equal(plaintext.toString(), 'acme value');
  t.match(messageHeader.encryptionContext, { purpose: 'token-vault', tenant: 'acme' });
  t.match(messageHeader.encryptedDataKeys, [
    { providerId: 'aws-kms-hierarchy', providerInfo: 'tenant-acme' },
  ]);
  t.equal(await open(keyring, globex), 'globex value');

  const globexOnly = new KmsHierarchicalKeyRingNode({
    keyStore,
    branchKeyId: 'tenant-globex',
    cacheLimitTtl: CACHE_TTL_SECONDS,
  });
  await t.rejects(open(globexOnly, acme), /encrypted data key that matches/);
  t.equal(await open(globexOnly, globex), 'globex value');

  // A supplier that answers globex's branch key for acme's message: its data key was not wrapped by it.
  const misrouted = new KmsHierarchicalKeyRingNode({
    keyStore,
    branchKeyIdSupplier: { getBranchKeyId: () => 'tenant-globex' },
    cacheLimitTtl: CACHE_TTL_SECONDS,
  });
  await t.rejects(open(misrouted, acme), /encrypted data key that matches/);
});

t.test('VersionKey: new messages use the new version, older ones still decrypt', async (t) => {
  const fixture = await keyStoreFixture(t);
  const { kms, keyStore } = fixture;
  await createTenantKey(keyStore, 'acme');
  const v1 = activeVersion(await items(fixture, 'tenant-acme'));
  const warm = tenantKeyring(keyStore);
  const before = await seal(warm, 'acme', 'before rotation');
  t.equal(messageVersion((await decrypt(warm, before)).messageHeader), v1);

  kms.resetStats();
  await keyStore.versionKey({ branchKeyIdentifier: 'tenant-acme' });
  t.same(kms.stats(), { ReEncrypt: 2, GenerateDataKeyWithoutPlaintext: 1 });
  const records = await items(fixture, 'tenant-acme');
  const v2 = activeVersion(records);
  t.not(v2, v1);
  t.equal(records.filter((item) => item.type?.S?.startsWith('branch:version:')).length, 2);

  const fresh = tenantKeyring(keyStore);
  const after = await seal(fresh, 'acme', 'after rotation');
  t.equal(messageVersion((await decrypt(fresh, after)).messageHeader), v2, 'new messages use v2');
  t.equal(await open(fresh, before), 'before rotation', 'v1 messages still decrypt');
  t.equal(await open(warm, after), 'after rotation');

  kms.resetStats();
  const cached = await seal(warm, 'acme', 'from a warm cache');
  t.equal(
    messageVersion((await decrypt(fresh, cached)).messageHeader),
    v1,
    'a keyring that cached the active key keeps encrypting under v1 until cacheLimitTtl',
  );
  t.same(kms.stats(), {}, 'and asks KMS nothing for it');
});

t.test("deleting a tenant's branch key items makes its values unrecoverable, others intact", async (t) => {
  const fixture = await keyStoreFixture(t);
  const { keyStore } = fixture;
  await createTenantKey(keyStore, 'acme');
  await createTenantKey(keyStore, 'globex');
  const warm = tenantKeyring(keyStore);
  const acmeOld = await seal(warm, 'acme', 'acme v1');
  await keyStore.versionKey({ branchKeyIdentifier: 'tenant-acme' });
  const acmeNew = await seal(tenantKeyring(keyStore), 'acme', 'acme v2');
  const globex = await seal(warm, 'globex', 'globex value');
  t.equal(await open(warm, acmeOld), 'acme v1'); // warms the decrypt cache for acme v1

  const records = await items(fixture, 'tenant-acme');
  t.equal(records.length, 4, 'two versions, the active copy and the beacon key');
  for (const { 'branch-key-id': id, type } of records) {
    await fixture.ddb.send(
      new DeleteItemCommand({
        TableName: fixture.table,
        Key: { 'branch-key-id': id as AttributeValue, type: type as AttributeValue },
      }),
    );
  }

  const cold = tenantKeyring(keyStore);
  await t.rejects(open(cold, acmeOld), /not found/, 'v1 values are gone');
  await t.rejects(open(cold, acmeNew), /not found/, 'v2 values are gone');
  await t.rejects(seal(cold, 'acme', 'new value'), /not found/, 'and nothing new can be written');
  t.equal(await open(cold, globex), 'globex value', 'other tenants decrypt');
  t.equal(await open(cold, await seal(cold, 'globex', 'still writing')), 'still writing');
  t.equal(
    await open(warm, acmeOld),
    'acme v1',
    'a keyring that cached the branch key still decrypts until cacheLimitTtl: shredding completes after it',
  );
});

t.test('KMS calls per 1,000 encrypts and decrypts with three tenants', async (t) => {
  const fixture = await keyStoreFixture(t);
  const { kms, keyStore } = fixture;
  const tenants = ['acme', 'globex', 'initech'];
  for (const tenant of tenants) await createTenantKey(keyStore, tenant);
  const writer = tenantKeyring(keyStore);
  const reader = tenantKeyring(keyStore);

  // Each phase starts cold, so its count is the cold start's; every call after those would be steady state.
  kms.resetStats();
  const sealed: Buffer[] = [];
  for (let i = 0; i < 1000; i++) {
    sealed.push(await seal(writer, tenants[i % tenants.length] as string, `value ${i}`));
  }
  const encryptCalls = kms.stats();
  t.same(encryptCalls, { Decrypt: tenants.length }, 'one GetActiveBranchKey per tenant, none after');

  kms.resetStats();
  let wrong = 0;
  for (const [i, ciphertext] of sealed.entries()) {
    if ((await open(reader, ciphertext)) !== `value ${i}`) wrong++;
  }
  t.equal(wrong, 0, 'every value decrypts to what was encrypted');
  const decryptCalls = kms.stats();
  t.same(
    decryptCalls,
    { Decrypt: tenants.length },
    'one GetBranchKeyVersion per tenant and version, none after',
  );
  t.comment(
    `KMS calls per 1,000 from cold with ${tenants.length} tenants: ${JSON.stringify(encryptCalls)} to encrypt, ` +
      `${JSON.stringify(decryptCalls)} to decrypt; 0 at steady state (within cacheLimitTtl)`,
  );
});

t.test('KMS faults reach the caller and leave no partial branch key', async (t) => {
  const fixture = await keyStoreFixture(t);
  const { kms, keyStore } = fixture;
  kms.setFault({ mode: 'fail', operations: ['ReEncrypt'] });
  await t.rejects(createTenantKey(keyStore, 'acme'), { name: 'KMSInternalException' });
  t.same(await items(fixture, 'tenant-acme'), [], 'nothing written');
  kms.setFault({ mode: 'none' });
  await createTenantKey(keyStore, 'acme');

  kms.setFault({ mode: 'throttle', operations: ['Decrypt'] });
  const keyring = tenantKeyring(keyStore);
  await t.rejects(seal(keyring, 'acme', 'value'), { name: 'ThrottlingException' });
  kms.setFault({ mode: 'fail', operations: ['ReEncrypt'] });
  await t.rejects(keyStore.versionKey({ branchKeyIdentifier: 'tenant-acme' }), {
    name: 'KMSInternalException',
  });
  t.equal((await items(fixture, 'tenant-acme')).length, 3, 'a failed rotation writes nothing');
  kms.setFault({ mode: 'none' });
  t.equal(await open(keyring, await seal(keyring, 'acme', 'value')), 'value');
  t.same(kms.stats(), {
    GenerateDataKeyWithoutPlaintext: 3,
    ReEncrypt: 3,
    Decrypt: 3,
  });
});
