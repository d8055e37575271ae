// Rotation and re-encryption on the real parts (DynamoDB Local, the local KMS stand-in, the tokenizer app):
// every item moves to the active branch key version, values stay readable throughout, deterministic tokens
// stay the same tokens (during and after the fingerprint window), legacy-format items are moved and legacy
// lookups retired, an interrupted pass resumes from its checkpoint, and concurrent traffic loses nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AttributeValue, paginateScan } from '@aws-sdk/client-dynamodb';
import t, { type Test } from 'tap';
import { readCheckpoint } from '../../src/admin/checkpoint.js';
import { AdminRefusedError } from '../../src/admin/exit-codes.js';
import { adminFor, movableClock } from '../helpers/admin-kit.js';
import {
  assertNoCardNumberLogged,
  createTestStack,
  type TestStack,
  testCardNumbers,
} from '../helpers/test-stack.js';

const [visa, mastercard, amex, discover] = testCardNumbers;
/** Short caches, so a rotation reaches the app within a couple of seconds of real time. */
const fastCaches = { BRANCH_KEY_CACHE_TTL_SECONDS: '1', TENANT_STATE_CACHE_SECONDS: '1' };
/** Rotation record, then the new version, then one branch key cache time: every instance uses it. */
const settleMs = 2_200;

async function tokenize(stack: TestStack, payload: Record<string, unknown>): Promise<string> {
  const response = await stack.inject({ method: 'POST', url: '/v1/tokens', payload });
  if (response.statusCode !== 201 && response.statusCode !== 200) {
    throw new Error(`tokenize answered ${response.statusCode}: ${response.body}`);
  }
  return response.json().token as string;
}

async function detokenize(stack: TestStack, tokens: string[]): Promise<Record<string, unknown>[]> {
  const response = await stack.inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens } });
  if (response.statusCode !== 200) throw new Error(`detokenize answered ${response.statusCode}`);
  return response.json().results;
}

async function assertReadable(t: Test, stack: TestStack, values: Map<string, string>, when: string) {
  const tokens = [...values.keys()];
  // One request per token: each answer stands on its own.
  const results: Record<string, unknown>[] = [];
  for (const token of tokens) results.push(...(await detokenize(stack, [token])));
  t.same(
    results.map((result) => result.value),
    tokens.map((token) => values.get(token)),
    `every value detokenizes ${when}`,
  );
}

/** The tenant's token items as stored. */
async function tokenItems(stack: TestStack): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  const pages = paginateScan(
    { client: stack.dynamoDb },
    {
      TableName: stack.tableName,
      ConsistentRead: true,
      FilterExpression: 'begins_with(pk, :prefix)',
      ExpressionAttributeValues: { ':prefix': { S: `token#${stack.tenant}#` } },
    },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

t.test(
  'rotation + re-encryption: every item moves to the new version, readable and stable throughout',
  async (t) => {
    const stack = await createTestStack(t, { env: fastCaches });
    const admin = adminFor(t, stack);
    const values = new Map<string, string>();
    for (const value of ['alpha', 'beta', 'gamma', visa]) values.set(await tokenize(stack, { value }), value);
    const deterministic = new Map<string, string>();
    for (const value of [mastercard, amex]) {
      deterministic.set(value, await tokenize(stack, { value, type: 'card_number', deterministic: true }));
    }
    const fpe = { type: 'card_number', deterministic: true, format: 'format_preserving', preserve: 'last4' };
    deterministic.set(`fpe:${discover}`, await tokenize(stack, { value: discover, ...fpe }));
    for (const [value, token] of deterministic) values.set(token, value.replace('fpe:', ''));
    const before = await tokenItems(stack);
    const [firstVersion] = new Set(before.map((item) => item.keyVersion?.S));
    t.ok(firstVersion, 'items carry the version that sealed them');

    const rotated = await admin.tenants.rotate(stack.tenant);
    t.equal(rotated.previousKeyVersion, firstVersion, 'the record names the version that was active');
    await assertReadable(t, stack, values, 'right after the rotation');
    await sleep(settleMs);
    for (const [value, token] of deterministic) {
      const again = await tokenize(
        stack,
        value.startsWith('fpe:')
          ? { value: value.slice(4), ...fpe }
          : { value, type: 'card_number', deterministic: true },
      );
      t.equal(again, token, 'a deterministic token is found under the previous version during the window');
    }

    const dryRun = await admin.reencryption.run({
      tenant: stack.tenant,
      rate: 1000,
      segments: 2,
      dryRun: true,
    });
    t.match(
      dryRun.counts,
      { examined: values.size, reencrypted: values.size, current: 0 },
      'the dry run counts them',
    );
    t.same(
      (await tokenItems(stack)).map((item) => item.keyVersion?.S),
      before.map(() => firstVersion),
      'and writes nothing',
    );

    const pass = await admin.reencryption.run({ tenant: stack.tenant, rate: 1000, segments: 2 });
    t.not(pass.targetVersion, firstVersion);
    t.match(pass, {
      total: values.size,
      counts: { examined: values.size, reencrypted: values.size, failed: 0 },
    });
    const after = await tokenItems(stack);
    t.same(
      new Set(after.map((item) => item.keyVersion?.S)),
      new Set([pass.targetVersion]),
      'every item is under the new version',
    );
    const fingerprints = after.flatMap((item) => (item.fingerprint?.S ? [item.fingerprint.S] : []));
    t.equal(fingerprints.length, deterministic.size);
    t.ok(
      fingerprints.every((fingerprint) => fingerprint.startsWith(`${pass.targetVersion}.`)),
      'fingerprints too',
    );
    await assertReadable(t, stack, values, 'after the re-encryption');

    for (const [value, token] of deterministic) {
      const again = await tokenize(
        stack,
        value.startsWith('fpe:')
          ? { value: value.slice(4), ...fpe }
          : { value, type: 'card_number', deterministic: true },
      );
      t.equal(again, token, 'a deterministic token is the same token after the re-encryption');
    }
    const second = await admin.reencryption.run({ tenant: stack.tenant, rate: 1000, segments: 3 });
    t.match(second.counts, { reencrypted: 0, current: values.size }, 'a second pass finds nothing to do');
  },
);

t.test('no re-encryption before every instance uses the new version', async (t) => {
  // Instances keep the previous version for BRANCH_KEY_CACHE_TTL_SECONDS (300 here): a deterministic token
  // moved earlier would be missed by their lookups.
  const stack = await createTestStack(t, { env: { TENANT_STATE_CACHE_SECONDS: '1' } });
  const admin = adminFor(t, stack);
  await tokenize(stack, { value: 'alpha' });
  const rotated = await admin.tenants.rotate(stack.tenant);
  await t.rejects(
    admin.reencryption.run({ tenant: stack.tenant, rate: 1000, segments: 1 }),
    AdminRefusedError,
  );
  const later = adminFor(t, stack, {
    clock: () => new Date((rotated.rotatedAt as Date).getTime() + 301_000),
  });
  t.match(await later.reencryption.run({ tenant: stack.tenant, rate: 1000, segments: 1 }), {
    counts: { reencrypted: 1 },
  });
});

t.test('deterministic tokens stay the same after the fingerprint window closes', async (t) => {
  const appClock = movableClock();
  const stack = await createTestStack(t, { env: fastCaches, clock: appClock });
  const admin = adminFor(t, stack);
  const token = await tokenize(stack, { value: visa, type: 'card_number', deterministic: true });
  await admin.tenants.rotate(stack.tenant);
  await sleep(settleMs);
  await admin.reencryption.run({ tenant: stack.tenant, rate: 1000, segments: 1 });
  appClock.advance(stack.config.FINGERPRINT_ROTATION_WINDOW_SECONDS + 86_400);
  t.equal(
    await tokenize(stack, { value: visa, type: 'card_number', deterministic: true }),
    token,
    'found under the active version: the window is not needed any more',
  );
});

t.test('legacy-format items are moved to the branch key and legacy lookups retired', async (t) => {
  const stack = await createTestStack(t, { env: fastCaches });
  // The same vault and tenant, written by a tokenizer that still seals with the vault key.
  const legacy = await createTestStack(t, {
    shareWith: stack,
    env: { ...fastCaches, ENCRYPTION_PROFILE: 'sample-per-item-signing' },
  });
  const admin = adminFor(t, stack);
  const values = new Map<string, string>();
  for (const value of ['one', 'two', visa]) values.set(await tokenize(legacy, { value }), value);
  values.set(await tokenize(stack, { value: 'three' }), 'three');
  t.equal(
    (await tokenItems(stack)).filter((item) => !item.keyVersion).length,
    3,
    'three items in the legacy format',
  );
  t.notOk((await stack.tenantRegistry.get(stack.tenant))?.legacyRetired);

  const pass = await admin.reencryption.run({ tenant: stack.tenant, rate: 1000, segments: 2 });
  t.match(pass, { legacyRetired: true, counts: { reencrypted: 3, current: 1, legacyRemaining: 0 } });
  t.equal((await tokenItems(stack)).filter((item) => !item.keyVersion).length, 0, 'none left');
  t.equal((await stack.tenantRegistry.get(stack.tenant))?.legacyRetired, true, 'the record says so');
  await assertReadable(t, stack, values, 'after the move');
  const { audit } = await admin.tenants.show(stack.tenant);
  t.match(audit.at(-1), { action: 'reencryption-pass', actor: 'test-admin', details: { reencrypted: 3 } });
  t.notMatch(JSON.stringify(audit), visa, 'the audit trail holds no value');
});

t.test('an interrupted pass resumes from its checkpoint', async (t) => {
  const stack = await createTestStack(t, { env: fastCaches });
  const directory = await mkdtemp(join(tmpdir(), 'reencryption-'));
  t.teardown(() => rm(directory, { recursive: true, force: true }));
  const checkpointPath = join(directory, 'checkpoint.json');
  const values = new Map<string, string>();
  for (let i = 0; i < 12; i++) values.set(await tokenize(stack, { value: `value-${i}` }), `value-${i}`);
  const rewrites: string[] = [];
  let crashAfter = 7;
  const admin = adminFor(t, stack, {
    pageSize: 3,
    beforeRewrite: async (token) => {
      if (rewrites.length === crashAfter) throw new Error('interrupted');
      rewrites.push(token);
    },
  });
  await admin.tenants.rotate(stack.tenant);
  await sleep(settleMs);
  const request = { tenant: stack.tenant, rate: 1000, segments: 2, checkpointPath };
  await t.rejects(admin.reencryption.run(request), { message: 'interrupted' });
  const saved = await readCheckpoint(checkpointPath);
  t.ok(
    saved?.segments.some((segment) => segment.after || segment.done),
    'the checkpoint records progress',
  );

  const firstRun = rewrites.length;
  crashAfter = Number.POSITIVE_INFINITY;
  const resumed = await admin.reencryption.run(request);
  t.equal(resumed.resumed, true);
  t.ok(rewrites.length - firstRun < values.size, 'the resumed run does not start from the beginning');
  t.equal(new Set(rewrites).size, values.size, 'every item was rewritten exactly once over both runs');
  t.same(
    new Set((await tokenItems(stack)).map((item) => item.keyVersion?.S)),
    new Set([resumed.targetVersion]),
    'every item is under the new version',
  );
  t.equal(await readCheckpoint(checkpointPath), undefined, 'the finished pass removed its checkpoint');
  await assertReadable(t, stack, values, 'after the resumed pass');
});

t.test('re-encryption under concurrent traffic loses nothing', async (t) => {
  const stack = await createTestStack(t, { env: fastCaches });
  const limited = new Map<string, string>();
  const plain = new Map<string, string>();
  const doomed = new Set<string>();
  for (let i = 0; i < 8; i++)
    limited.set(await tokenize(stack, { value: `limited-${i}`, maxUses: 5 }), `limited-${i}`);
  for (let i = 0; i < 8; i++) plain.set(await tokenize(stack, { value: `plain-${i}` }), `plain-${i}`);
  const deterministic = await tokenize(stack, { value: visa, type: 'card_number', deterministic: true });
  plain.set(deterministic, visa);
  for (const token of [...plain.keys()].slice(0, 3)) doomed.add(token);
  const spent = new Map<string, number>();
  const spend = async (token: string) => {
    const [result] = await detokenize(stack, [token]);
    if (result?.value === limited.get(token)) spent.set(token, (spent.get(token) ?? 0) + 1);
  };
  const created = new Map<string, string>();
  let n = 0;
  const admin = adminFor(t, stack, {
    // Between the job's read of an item and its write: a use spent, a delete, a new token.
    beforeRewrite: async (token) => {
      if (limited.has(token)) await spend(token);
      if (doomed.has(token)) {
        const deleted = await stack.inject({ method: 'DELETE', url: `/v1/tokens/${token}` });
        t.equal(deleted.statusCode, 204, 'deleted while the job holds it');
      }
      const value = `during-${n++}`;
      created.set(await tokenize(stack, { value }), value);
    },
  });
  await admin.tenants.rotate(stack.tenant);
  await sleep(settleMs);
  // And free-running traffic beside the job.
  let running = true;
  const background = (async () => {
    const tokens = [...limited.keys()];
    for (let i = 0; running; i++) await spend(tokens[i % tokens.length] as string);
  })();
  const pass = await admin.reencryption.run({ tenant: stack.tenant, rate: 1000, segments: 3 });
  running = false;
  await background;

  t.equal(pass.counts.vanished, doomed.size, 'each token deleted mid-flight is skipped and counted');
  t.equal(pass.counts.failed, 0);
  for (const token of doomed) {
    const [result] = await detokenize(stack, [token]);
    t.notOk(result?.value, 'a deleted token stays deleted');
  }
  t.notOk(
    (await tokenItems(stack)).some((item) => doomed.has((item.pk?.S ?? '').split('#')[2] ?? '')),
    'no deleted item was written back',
  );
  for (const [token] of limited) {
    const metadata = await stack.inject({ method: 'GET', url: `/v1/tokens/${token}` });
    const used = spent.get(token) ?? 0;
    t.equal(metadata.json().usesRemaining, Math.max(0, 5 - used), 'no use was lost or given back');
  }
  for (const token of doomed) plain.delete(token);
  await assertReadable(t, stack, plain, 'after the pass');
  await assertReadable(t, stack, created, '(the tokens created during the pass)');
  t.equal(
    await tokenize(stack, { value: visa, type: 'card_number', deterministic: true }),
    deterministic,
    'the deterministic token is still the same token',
  );
});

assertNoCardNumberLogged(t);
