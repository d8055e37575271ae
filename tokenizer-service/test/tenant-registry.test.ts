// Tenant records in the vault table (DynamoDB Local): conditional writes only, so concurrent admin
// operations never overwrite each other; and the tokenizer's per-process cache of them.
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from '@tokenization/local-aws/dynamodb-local';
import {
  testDynamoDbClient,
  testDynamoDbEndpoint,
  uniqueTableName,
} from '@tokenization/local-aws/test-support/dynamodb';
import t, { type Test } from 'tap';
import { DynamoDbTenantRegistry } from '../src/adapters/dynamodb-tenant-registry.js';
import { vaultTableDefinition } from '../src/adapters/vault-table.js';
import {
  DependencyUnavailableError,
  TenantNotOnboardedError,
  TenantShreddedError,
  TenantSuspendedError,
} from '../src/domain/errors.js';
import { TenantChangedError, TenantExistsError, type TenantRegistry } from '../src/domain/ports.js';
import { TenantStates } from '../src/domain/tenant-states.js';

async function registryOnFreshTable(t: Test): Promise<DynamoDbTenantRegistry> {
  const client = testDynamoDbClient();
  const tableName = uniqueTableName('tenants');
  await client.send(new CreateTableCommand(vaultTableDefinition(tableName)));
  t.teardown(async () => {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    client.destroy();
  });
  return new DynamoDbTenantRegistry({ client, tableName });
}

/** The real registry, its reads counted per tenant. */
function counted(registry: TenantRegistry): {
  registry: Pick<TenantRegistry, 'get'>;
  reads: Map<string, number>;
} {
  const reads = new Map<string, number>();
  return {
    reads,
    registry: {
      get: (tenant) => {
        reads.set(tenant, (reads.get(tenant) ?? 0) + 1);
        return registry.get(tenant);
      },
    },
  };
}

const createdAt = new Date('2026-03-01T10:00:00.000Z');

t.test('create writes an active record at revision 1, once', async (t) => {
  const registry = await registryOnFreshTable(t);
  const created = await registry.create('acme', createdAt);
  t.same(created, { tenant: 'acme', status: 'active', branchKeyId: 'tenant-acme', createdAt, revision: 1 });
  t.same(await registry.get('acme'), created, 'read back as written');
  await t.rejects(registry.create('acme', new Date()), TenantExistsError, 'a second create is refused');
  t.same(await registry.get('acme'), created, 'and changed nothing');
  t.equal(await registry.get('nobody'), undefined, 'no record: undefined');
});

t.test('update applies its changes at the next revision, and removes what is set to null', async (t) => {
  const registry = await registryOnFreshTable(t);
  const created = await registry.create('acme', createdAt);
  const shredAfter = new Date('2026-03-08T10:00:00.000Z');
  const scheduled = await registry.update(created, { status: 'shred_scheduled', shredAfter });
  t.match(scheduled, { status: 'shred_scheduled', shredAfter, revision: 2 });
  const rotatedAt = new Date('2026-03-02T10:00:00.000Z');
  const restored = await registry.update(scheduled, {
    status: 'active',
    shredAfter: null,
    previousKeyVersion: 'a4f1c1de-0000-4000-8000-000000000001',
    rotatedAt,
    legacyRetired: true,
  });
  t.same(restored, {
    tenant: 'acme',
    status: 'active',
    branchKeyId: 'tenant-acme',
    createdAt,
    previousKeyVersion: 'a4f1c1de-0000-4000-8000-000000000001',
    rotatedAt,
    legacyRetired: true,
    revision: 3,
  });
  t.same(await registry.get('acme'), restored, 'read back as returned');
});

t.test('two concurrent updates from one revision: one wins, the other is TenantChangedError', async (t) => {
  const registry = await registryOnFreshTable(t);
  const read = await registry.create('acme', createdAt);
  const outcomes = await Promise.allSettled([
    registry.update(read, { status: 'shred_scheduled', shredAfter: new Date('2026-03-08T00:00:00Z') }),
    registry.update(read, { previousKeyVersion: 'v2', rotatedAt: new Date('2026-03-02T00:00:00Z') }),
  ]);
  const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
  const lost = outcomes.filter((outcome) => outcome.status === 'rejected');
  t.equal(won.length, 1, 'one update wins');
  t.equal(lost.length, 1, 'one loses');
  t.type(lost[0]?.reason, TenantChangedError);
  const stored = await registry.get('acme');
  t.same(stored, won[0]?.value, 'the stored record is the winner, nothing of the loser');
  t.equal(stored?.revision, 2);
  await t.rejects(
    registry.update(read, { legacyRetired: true }),
    TenantChangedError,
    'a stale revision keeps losing',
  );
  await t.rejects(
    registry.update({ ...read, tenant: 'nobody' }, { legacyRetired: true }),
    TenantChangedError,
    'no record: nothing is created by an update',
  );
  t.equal(await registry.get('nobody'), undefined);
});

t.test('list finds every tenant record and nothing else of the table', async (t) => {
  const registry = await registryOnFreshTable(t);
  for (const tenant of ['zeta', 'acme', 'tenant-audit']) await registry.create(tenant, createdAt);
  t.same(
    (await registry.list()).map((record) => record.tenant),
    ['acme', 'tenant-audit', 'zeta'],
  );
});

t.test('the store down: DependencyUnavailableError(store)', async (t) => {
  const closed = `http://127.0.0.1:${await freePort()}`;
  const client = testDynamoDbClient(closed);
  t.teardown(() => client.destroy());
  const registry = new DynamoDbTenantRegistry({ client, tableName: 'vault' });
  for (const [name, call] of [
    ['get', () => registry.get('acme')],
    ['list', () => registry.list()],
    ['create', () => registry.create('acme', createdAt)],
  ] as const) {
    const error = await (call as () => Promise<unknown>)().catch((error: unknown) => error);
    t.type(error, DependencyUnavailableError, name);
    t.equal((error as DependencyUnavailableError).dependency, 'store', name);
  }
});

t.test('the state cache: one registry read per tenant per cache time, concurrent reads shared', async (t) => {
  const registry = await registryOnFreshTable(t);
  await registry.create('acme', createdAt);
  await registry.create('globex', createdAt);
  let now = Date.parse('2026-03-01T12:00:00Z');
  const { registry: countedRegistry, reads } = counted(registry);
  const states = new TenantStates({
    registry: countedRegistry,
    cacheSeconds: 30,
    clock: () => new Date(now),
  });

  const records = await Promise.all(
    Array.from({ length: 20 }, (_, n) => states.requireActive(n % 2 ? 'acme' : 'globex')),
  );
  t.equal(records.length, 20);
  t.same(Object.fromEntries(reads), { acme: 1, globex: 1 }, '20 concurrent checks, one read per tenant');

  now += 29_999;
  await states.requireActive('acme');
  t.equal(reads.get('acme'), 1, 'within the cache time: no read');
  now += 1;
  await states.requireActive('acme');
  t.equal(reads.get('acme'), 2, 'after it: read again');

  await t.rejects(states.requireActive('newcomer'), TenantNotOnboardedError);
  await t.rejects(states.requireActive('newcomer'), TenantNotOnboardedError);
  t.equal(reads.get('newcomer'), 1, 'a tenant without a record is cached too');
});

t.test('the state cache: a state change is seen once the cache time has passed', async (t) => {
  const registry = await registryOnFreshTable(t);
  let now = Date.parse('2026-03-01T12:00:00Z');
  const states = new TenantStates({ registry, cacheSeconds: 30, clock: () => new Date(now) });
  const active = await registry.create('acme', createdAt);
  await states.requireActive('acme');

  const scheduled = await registry.update(active, { status: 'shred_scheduled', shredAfter: new Date(now) });
  await states.requireActive('acme');
  t.pass('the cached state holds within the cache time');
  now += 30_000;
  await t.rejects(states.requireActive('acme'), TenantSuspendedError, 'then the suspension is seen');

  await registry.update(scheduled, { status: 'active', shredAfter: null });
  now += 30_000;
  t.match(await states.requireActive('acme'), { status: 'active' }, 'a cancelled shred restores the tenant');

  const restored = await registry.get('acme');
  if (!restored) throw new Error('no record');
  await registry.update(restored, { status: 'shredded', shreddedAt: new Date(now) });
  now += 30_000;
  await t.rejects(states.requireActive('acme'), TenantShreddedError);
});

t.test('the state cache: a failed read is answered to every waiter and not kept', async (t) => {
  const closed = `http://127.0.0.1:${await freePort()}`;
  const down = testDynamoDbClient(closed);
  const up = testDynamoDbClient(testDynamoDbEndpoint());
  t.teardown(() => {
    down.destroy();
    up.destroy();
  });
  const tableName = uniqueTableName('tenants');
  await up.send(new CreateTableCommand(vaultTableDefinition(tableName)));
  t.teardown(() => up.send(new DeleteTableCommand({ TableName: tableName })));
  await new DynamoDbTenantRegistry({ client: up, tableName }).create('acme', createdAt);

  let registry: TenantRegistry = new DynamoDbTenantRegistry({ client: down, tableName });
  const { registry: countedRegistry, reads } = counted({
    get: (tenant) => registry.get(tenant),
  } as TenantRegistry);
  const states = new TenantStates({ registry: countedRegistry, cacheSeconds: 30, clock: () => new Date() });
  const failures = await Promise.allSettled([states.requireActive('acme'), states.requireActive('acme')]);
  t.same(
    failures.map(
      (failure) => failure.status === 'rejected' && failure.reason instanceof DependencyUnavailableError,
    ),
    [true, true],
    'both waiters get DependencyUnavailableError',
  );
  t.equal(reads.get('acme'), 1, 'from one read');
  registry = new DynamoDbTenantRegistry({ client: up, tableName });
  t.match(await states.requireActive('acme'), { status: 'active' }, 'the next check reads again');
  t.equal(reads.get('acme'), 2);
});
