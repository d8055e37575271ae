// Onboarding and the two-step crypto-shred on the real parts: schedule (the tenant is suspended), too
// early is refused, cancel restores it, and the shred deletes every version of its branch key so that
// nothing recovers its values (not even a fresh process holding the tables and every remaining key),
// while another tenant on the same vault is untouched. Every step is audited.
import { type AttributeValue, DynamoDBClient, paginateScan, QueryCommand } from '@aws-sdk/client-dynamodb';
import t from 'tap';
import { fromItem } from '../../src/adapters/dynamodb-vault-store.js';
import { createKmsClient } from '../../src/adapters/kms-client.js';
import { AdminNotFoundError, AdminRefusedError, AdminUsageError } from '../../src/admin/exit-codes.js';
import { tokenFactsDigest } from '../../src/domain/token-facts.js';
import { createVaultCrypto } from '../../src/vault-crypto.js';
import { adminFor, movableClock } from '../helpers/admin-kit.js';
import {
  allPermissions,
  assertNoCardNumberLogged,
  createTestStack,
  policyFor,
  type TestStack,
  testCaller,
  testCallerNamed,
  testCardNumbers,
} from '../helpers/test-stack.js';

const [visa, mastercard] = testCardNumbers;
const globexCaller = testCallerNamed('globex-app');

async function tokenItems(stack: TestStack, tenant: string) {
  const items: Record<string, AttributeValue>[] = [];
  const pages = paginateScan(
    { client: stack.dynamoDb },
    {
      TableName: stack.tableName,
      ConsistentRead: true,
      FilterExpression: 'begins_with(pk, :prefix)',
      ExpressionAttributeValues: { ':prefix': { S: `token#${tenant}#` } },
    },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

async function keyStoreItems(stack: TestStack, tenant: string) {
  const { Items = [] } = await stack.dynamoDb.send(
    new QueryCommand({
      TableName: stack.keyStoreTableName,
      KeyConditionExpression: '#id = :id',
      ExpressionAttributeNames: { '#id': 'branch-key-id' },
      ExpressionAttributeValues: { ':id': { S: `tenant-${tenant}` } },
      ConsistentRead: true,
    }),
  );
  return Items;
}

t.test(
  'crypto-shred: schedule, refuse early, cancel, execute; one tenant gone, the other intact',
  async (t) => {
    const appClock = movableClock();
    const stack = await createTestStack(t, {
      tenant: 'acme',
      onboard: false,
      clock: appClock,
      callers: [testCaller, globexCaller],
      policy: policyFor([
        { caller: testCaller, tenant: 'acme', permissions: allPermissions },
        { caller: globexCaller, tenant: 'globex', permissions: allPermissions },
      ]),
      env: { BRANCH_KEY_CACHE_TTL_SECONDS: '1', TENANT_STATE_CACHE_SECONDS: '1' },
    });
    const adminClock = movableClock();
    const admin = adminFor(t, stack, { clock: adminClock });
    /** Past the app's tenant state cache: it sees what the admin did. */
    const appSeesChanges = () => appClock.advance(2);
    const tokenizeAs = async (caller: typeof testCaller, payload: Record<string, unknown>) =>
      (await stack.injectAs(caller, { method: 'POST', url: '/v1/tokens', payload })).json().token as string;
    const detokenizeAs = (caller: typeof testCaller, token: string) =>
      stack.injectAs(caller, { method: 'POST', url: '/v1/detokenize', payload: { tokens: [token] } });

    await admin.tenants.create('acme');
    await admin.tenants.create('globex');
    await t.rejects(admin.tenants.create('acme'), AdminRefusedError, 'an existing tenant is refused');
    await t.rejects(admin.tenants.create('Not_A_Tenant'), AdminUsageError);
    t.same(
      (await admin.tenants.list()).map((record) => [record.tenant, record.status]),
      [
        ['acme', 'active'],
        ['globex', 'active'],
      ],
    );
    appSeesChanges();
    const acme = new Map<string, string>();
    for (const value of ['acme-1', 'acme-2', visa]) acme.set(await tokenizeAs(testCaller, { value }), value);
    acme.set(
      await tokenizeAs(testCaller, { value: mastercard, type: 'card_number', deterministic: true }),
      mastercard,
    );
    const globexToken = await tokenizeAs(globexCaller, { value: 'globex-1' });

    await t.rejects(
      admin.tenants.scheduleShred('acme', 3600),
      AdminRefusedError,
      'not before a re-encryption pass',
    );
    await admin.reencryption.run({ tenant: 'acme', rate: 1000, segments: 1 });
    await t.rejects(
      admin.tenants.scheduleShred('acme', 1),
      AdminUsageError,
      'a waiting period below the caches',
    );
    const scheduled = await admin.tenants.scheduleShred('acme', 3600);
    t.equal(scheduled.status, 'shred_scheduled');
    appSeesChanges();
    const suspended = await detokenizeAs(testCaller, [...acme.keys()][0] as string);
    t.match(
      [suspended.statusCode, suspended.json().type],
      [403, /tenant-suspended$/],
      'suspended while scheduled',
    );
    await t.rejects(admin.tenants.shred('acme'), AdminRefusedError, 'too early');
    await t.rejects(admin.reencryption.run({ tenant: 'acme', rate: 1000, segments: 1 }), AdminRefusedError);

    t.equal((await admin.tenants.cancelShred('acme')).status, 'active');
    await t.rejects(admin.tenants.cancelShred('acme'), AdminRefusedError, 'nothing to cancel');
    appSeesChanges();
    const restored = await detokenizeAs(testCaller, [...acme.keys()][0] as string);
    t.equal(restored.json().results[0].value, 'acme-1', 'cancel restores the tenant');

    await admin.tenants.scheduleShred('acme', 3600);
    adminClock.advance(3601);
    const shredded = await admin.tenants.shred('acme');
    t.equal(shredded.status, 'shredded');
    t.same(await keyStoreItems(stack, 'acme'), [], 'no version of its branch key is left');
    t.ok((await keyStoreItems(stack, 'globex')).length >= 3, "the other tenant's branch key is untouched");
    await t.rejects(admin.tenants.shred('acme'), AdminRefusedError, 'a shredded tenant stays shredded');
    await t.rejects(admin.tenants.show('nobody'), AdminNotFoundError);

    appSeesChanges();
    const gone = await detokenizeAs(testCaller, [...acme.keys()][0] as string);
    t.match([gone.statusCode, gone.json().type], [410, /tenant-shredded$/]);
    const other = await detokenizeAs(globexCaller, globexToken);
    t.equal(other.json().results[0].value, 'globex-1', 'the other tenant still detokenizes');

    // A fresh process holding the tables and every key that remains, told the tenant is active.
    const dynamoDb = new DynamoDBClient({
      region: stack.config.AWS_REGION,
      endpoint: stack.config.DYNAMODB_ENDPOINT,
    });
    const kms = createKmsClient({ region: stack.config.AWS_REGION, endpoint: stack.config.KMS_ENDPOINT });
    t.teardown(() => {
      dynamoDb.destroy();
      kms.destroy();
    });
    const active = { get: async (tenant: string) => ({ ...shredded, tenant, status: 'active' as const }) };
    const fresh = createVaultCrypto(stack.config, {
      dynamoDb,
      kms,
      tenants: active,
      clock: () => new Date(),
    });
    const items = await tokenItems(stack, 'acme');
    t.equal(items.length, acme.size, 'the ciphertexts are still in the table');
    for (const item of items) {
      const token = (item.pk?.S ?? '').split('#')[2] as string;
      const record = fromItem(item, { tenant: 'acme', token });
      if (record instanceof Error) throw record;
      const digest = tokenFactsDigest(record);
      await t.rejects(fresh.cipher.decrypt(record, record.ciphertext, digest), 'no branch key opens it');
      const { keyVersion: _, ...asLegacy } = record;
      await t.rejects(fresh.cipher.decrypt(asLegacy, record.ciphertext, digest), 'nor the vault key');
    }
    const [globexItem] = await tokenItems(stack, 'globex');
    const globexRecord = fromItem(globexItem as Record<string, AttributeValue>, {
      tenant: 'globex',
      token: globexToken,
    });
    if (globexRecord instanceof Error) throw globexRecord;
    t.equal(
      (await fresh.cipher.decrypt(globexRecord, globexRecord.ciphertext, tokenFactsDigest(globexRecord)))
        .value,
      'globex-1',
      'the same fresh process opens the other tenant',
    );

    const { audit, record } = await admin.tenants.show('acme');
    t.equal(record.status, 'shredded');
    t.same(
      audit.map((item) => item.action),
      [
        'tenant-created',
        'reencryption-pass',
        'shred-scheduled',
        'shred-cancelled',
        'shred-scheduled',
        'shred-started',
        'tenant-shredded',
      ],
    );
    t.ok(audit.every((item) => item.actor === 'test-admin'));
    const auditText = JSON.stringify(audit);
    for (const value of acme.values()) t.notMatch(auditText, value, 'no value in the audit trail');
  },
);

assertNoCardNumberLogged(t);
