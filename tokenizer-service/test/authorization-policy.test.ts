import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import policySchema from '../authorization-policy.schema.json' with { type: 'json' };
import { normalizePrincipalArn } from '../src/auth/api-gateway-authenticator.js';
import {
  AuthorizationPolicy,
  type AuthorizationPolicyDocument,
  AuthorizationPolicyError,
} from '../src/auth/authorization-policy.js';
import { LocalCredentialsError, readLocalCredentials } from '../src/auth/local-credentials.js';
import { permissions } from '../src/auth/permissions.js';

const orders = {
  arn: 'arn:aws:iam::123456789012:role/order-service',
  tenant: 'orders',
  permissions: ['tokenize', 'detokenize', 'metadata:read'],
};
const policyOf = (...principals: unknown[]) => JSON.stringify({ principals });
const localStackConfig = (name: string) =>
  fileURLToPath(import.meta.resolve(`@tokenization/local-aws/config/${name}`));

t.test('a listed principal gets its tenant and exactly its permissions; others get nothing', async (t) => {
  const policy = AuthorizationPolicy.parse(policyOf(orders), 'test');
  const caller = policy.callerFor(orders.arn);
  t.equal(caller?.tenant, 'orders');
  t.same([...(caller?.permissions ?? [])].sort(), ['detokenize', 'metadata:read', 'tokenize']);
  t.equal(policy.callerFor('arn:aws:iam::123456789012:role/other'), undefined, 'deny by default');
  t.equal(policy.callerFor(orders.arn.toUpperCase()), undefined, 'ARNs match exactly');
  t.equal(AuthorizationPolicy.parse(policyOf(), 'test').callerFor(orders.arn), undefined, 'empty policy');
});

t.test('an invalid policy stops the start with a message naming its source and the problem', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"principals": [', /not valid JSON/],
    ['no principals', '{}', /\(root\) must have required property 'principals'/],
    [
      'unknown property',
      policyOf({ ...orders, admin: true }),
      /\/principals\/0 must NOT have additional properties 'admin'/,
    ],
    ['unknown permission', policyOf({ ...orders, permissions: ['read'] }), /\/principals\/0\/permissions\/0/],
    ['repeated permission', policyOf({ ...orders, permissions: ['delete', 'delete'] }), /duplicate items/],
    ['bad tenant', policyOf({ ...orders, tenant: 'Orders!' }), /\/principals\/0\/tenant must match pattern/],
    ['no tenant', policyOf({ arn: orders.arn, permissions: [] }), /required property 'tenant'/],
    ['not an ARN', policyOf({ ...orders, arn: 'order-service' }), /\/principals\/0\/arn/],
    [
      'an assumed-role session',
      policyOf({ ...orders, arn: 'arn:aws:sts::123456789012:assumed-role/order-service/session' }),
      /\/principals\/0\/arn/,
    ],
    ['a role path', policyOf({ ...orders, arn: 'arn:aws:iam::123456789012:role/team/orders' }), /\/arn/],
    ['listed twice', policyOf(orders, { ...orders, tenant: 'other' }), /order-service is listed twice/],
  ];
  for (const [name, json, message] of cases) {
    t.throws(() => AuthorizationPolicy.parse(json, 'AUTHORIZATION_POLICY'), AuthorizationPolicyError, name);
    t.throws(() => AuthorizationPolicy.parse(json, 'AUTHORIZATION_POLICY'), { message }, name);
    t.throws(() => AuthorizationPolicy.parse(json, 'AUTHORIZATION_POLICY'), {
      message: /AUTHORIZATION_POLICY/,
    });
  }
  t.ok(
    AuthorizationPolicy.parse(policyOf({ ...orders, arn: 'arn:aws:iam::123456789012:user/ops/alice' }), 'x'),
    'IAM users, with paths, are fine',
  );
});

t.test('the policy is read inline or from a file', async (t) => {
  const directory = await mkdtemp(join(tmpdir(), 'policy-'));
  const file = join(directory, 'policy.json');
  await writeFile(file, policyOf(orders));
  t.equal(
    AuthorizationPolicy.fromConfig({ AUTHORIZATION_POLICY_FILE: file }).callerFor(orders.arn)?.tenant,
    'orders',
  );
  t.equal(
    AuthorizationPolicy.fromConfig({ AUTHORIZATION_POLICY: policyOf(orders) }).callerFor(orders.arn)?.tenant,
    'orders',
  );
  t.throws(
    () => AuthorizationPolicy.fromConfig({ AUTHORIZATION_POLICY_FILE: join(directory, 'missing.json') }),
    {
      message: /AUTHORIZATION_POLICY_FILE .*missing\.json cannot be read/,
    },
  );
  await writeFile(file, '{"principals": 1}');
  t.throws(() => AuthorizationPolicy.fromConfig({ AUTHORIZATION_POLICY_FILE: file }), {
    message: /AUTHORIZATION_POLICY_FILE .*policy\.json.*\/principals must be array/,
  });
  t.throws(() => AuthorizationPolicy.fromConfig({}), { message: /AUTHORIZATION_POLICY/ });
});

t.test('the committed schema names exactly the permissions the code checks', async (t) => {
  const [named, forward] = policySchema.definitions.principal.properties.permissions.items.anyOf;
  t.same(named?.enum, [...permissions]);
  t.equal(forward?.pattern, '^forward:[a-z0-9][a-z0-9-]{0,62}$', 'forward:<connection>, one per connection');
});

t.test("the local stack's example policy and dev-only credentials are valid and agree", async (t) => {
  const policy = AuthorizationPolicy.fromConfig({
    AUTHORIZATION_POLICY_FILE: localStackConfig('authorization-policy.json'),
  });
  const credentials = readLocalCredentials(localStackConfig('sigv4-credentials.json'));
  t.ok(credentials.length >= 2);
  for (const { principalArn } of credentials)
    t.ok(policy.callerFor(principalArn), `${principalArn} is in the policy`);
  t.ok(policy.callerFor('arn:aws:iam::000000000000:role/order-service')?.permissions.has('tokenize'));
});

t.test('in the local policy only the bench roles tokenize deterministically (a value oracle)', async (t) => {
  const { principals } = JSON.parse(
    await readFile(localStackConfig('authorization-policy.json'), 'utf8'),
  ) as AuthorizationPolicyDocument;
  t.same(
    principals
      .filter(({ permissions }) => permissions.includes('tokenize:deterministic'))
      .map(({ arn }) => arn),
    [
      'arn:aws:iam::000000000000:role/bench',
      'arn:aws:iam::000000000000:role/bench-2',
      'arn:aws:iam::000000000000:role/bench-3',
    ],
  );
});

t.test('local credentials files are validated without echoing secrets', async (t) => {
  const directory = await mkdtemp(join(tmpdir(), 'credentials-'));
  const file = join(directory, 'credentials.json');
  const entry = {
    accessKeyId: 'AKIALOCALTESTKEY0001',
    secretAccessKey: 'a-local-secret-of-some-length',
    principalArn: 'arn:aws:iam::000000000000:role/order-service',
  };
  t.throws(() => readLocalCredentials(undefined), { message: /LOCAL_SIGV4_CREDENTIALS_FILE is required/ });
  await writeFile(file, '[{"accessKeyId": "AKIA", "secretAccessKey": "a-local-secret-of-some-length"');
  t.throws(() => readLocalCredentials(file), LocalCredentialsError);
  t.throws(() => readLocalCredentials(file), { message: /cannot be read as JSON/ });
  const thrown = t.throws(() => readLocalCredentials(file)) as Error;
  t.notOk(thrown.message.includes('a-local-secret'), 'the secret is not in the message');
  await writeFile(file, JSON.stringify([{ ...entry, principalArn: 'nobody' }]));
  t.throws(() => readLocalCredentials(file), { message: /\/0\/principalArn must match pattern/ });
  await writeFile(file, JSON.stringify([entry, entry]));
  t.throws(() => readLocalCredentials(file), { message: /listed twice/ });
  await writeFile(file, JSON.stringify([entry]));
  t.same(readLocalCredentials(file), [entry]);
});

t.test('assumed-role sessions are their role; other ARNs stay as they are', async (t) => {
  t.equal(
    normalizePrincipalArn('arn:aws:sts::123456789012:assumed-role/order-service/i-0abc'),
    'arn:aws:iam::123456789012:role/order-service',
  );
  t.equal(
    normalizePrincipalArn('arn:aws-us-gov:sts::123456789012:assumed-role/Ops/alice@example.com'),
    'arn:aws-us-gov:iam::123456789012:role/Ops',
  );
  for (const arn of [
    'arn:aws:iam::123456789012:user/alice',
    'arn:aws:iam::123456789012:role/order-service',
    'arn:aws:sts::123456789012:federated-user/bob',
    'arn:aws:sts::123456789012:assumed-role/no-session',
  ]) {
    t.equal(normalizePrincipalArn(arn), arn);
  }
});
