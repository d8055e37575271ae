// The branch key store in AWS (issue 16 items 1 and 6): its table and KMS key, what the functions may do
// with them (read only), and the tenant key administrator, the only principal that can write branch keys.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultKeyStoreLogicalName,
  keyStoreTableDefinition,
} from '@tokenization/tokenizer-service/adapters/key-store-table';
import t from 'tap';
import { keyStoreLogicalName } from '../lib/key-store.js';
import { ResourceNames } from '../lib/resource-names.js';
import {
  environmentOf,
  list,
  property,
  type Resource,
  render,
  renderString,
  resourcesOf,
  type Statement,
  statementsOf,
} from './helpers/cfn.js';
import { synthesize } from './helpers/synth.js';

// With a connection, so the forwarder (the second reader of branch keys) exists too.
const directory = mkdtempSync(join(tmpdir(), 'key-store-test-'));
const connections = join(directory, 'connections.json');
writeFileSync(
  connections,
  JSON.stringify({
    connections: [
      {
        name: 'payments',
        baseUrl: 'https://payments.example.com/v1',
        routes: [{ method: 'POST', pathTemplate: '/charges' }],
        tokenPointers: ['/card/number'],
      },
    ],
  }),
);
const synth = synthesize({ context: { 'tokenization:connectionsFile': connections } });
const { tokenizer, network, application, stacks } = synth;
const stack = stacks.tokenizer;
const names = new ResourceNames('tokenization');

const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);
const tableId = logicalId(stack.keyStore.table);
const branchKeyId = logicalId(stack.keyStore.key);
const vaultKeyId = logicalId(stack.vaultKey.key);
const adminRoleId = logicalId(stack.tenantKeyAdministratorRole.role);
const tokenizerRoleId = logicalId(stack.tokenizerRole.role);
const forwarderRole = stack.forwarder?.function.function.role;
if (!forwarderRole) throw new Error('no forwarder');
const forwarderRoleId = resourcesOf(tokenizer, 'AWS::IAM::Role').find(([, r]) =>
  renderString(property(r, 'RoleName')).includes('-tokenizer-forwarder-'),
)?.[0] as string;
const arnOf = (id: string) => `\${${id}.Arn}`;
const keyStoreTableArn = `arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/${names.keyStoreTable}`;

/** Writes, creations and re-wraps: none of them may reach the functions' roles. */
const keyStoreWrites = /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|PartiQL.*|\*)$/;
const branchKeyMaking = /^kms:(GenerateDataKey.*|ReEncrypt.*|Encrypt|CreateGrant|\*)$/;

function resource(id: string): Resource {
  const found = resourcesOf(tokenizer).find(([key]) => key === id);
  if (!found) throw new Error(`no resource ${id}`);
  return found[1];
}

function keyPolicy(id: string): Statement[] {
  return statementsOf(render(property(resource(id), 'KeyPolicy')));
}

function principalsOf(statement: Statement): string[] {
  return list((statement.Principal as { AWS?: unknown } | undefined)?.AWS).map(String);
}

/** Every identity policy statement of the three templates, with the roles its policy is attached to. */
function identityStatements(): { roles: string[]; statement: Statement }[] {
  return [tokenizer, network, application].flatMap((template) =>
    [
      ...resourcesOf(template, 'AWS::IAM::ManagedPolicy'),
      ...resourcesOf(template, 'AWS::IAM::Policy'),
    ].flatMap(([, policy]) =>
      statementsOf(render(policy.Properties?.PolicyDocument)).map((statement) => ({
        roles: list(render(policy.Properties?.Roles)).map(String),
        statement,
      })),
    ),
  );
}

function rolePolicyStatements(roleId: string): Statement[] {
  return identityStatements()
    .filter(({ roles }) => roles.includes(`\${${roleId}}`))
    .map(({ statement }) => statement);
}

const touchesKeyStore = (s: Statement) =>
  list(s.Resource).some((r) => r === '*' || String(r).includes(names.keyStoreTable));

t.test(
  "the key store table: BranchKeyStoreNode's schema, on demand, PITR, protected, retained",
  async (t) => {
    const table = resource(tableId);
    const definition = keyStoreTableDefinition(names.keyStoreTable);
    t.equal(property(table, 'TableName'), names.keyStoreTable);
    t.same(property(table, 'KeySchema'), definition.KeySchema, 'branch-key-id (HASH), type (RANGE)');
    t.same(property(table, 'AttributeDefinitions'), definition.AttributeDefinitions, 'both strings');
    t.equal(property(table, 'BillingMode'), 'PAY_PER_REQUEST');
    t.same(property(table, 'PointInTimeRecoverySpecification'), {
      PointInTimeRecoveryEnabled: true,
      RecoveryPeriodInDays: 35,
    });
    t.equal(property(table, 'DeletionProtectionEnabled'), true);
    t.equal(table.DeletionPolicy, 'Retain');
    t.equal(table.UpdateReplacePolicy, 'Retain');
    t.same(property(table, 'SSESpecification'), {
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: { 'Fn::GetAtt': [branchKeyId, 'Arn'] },
    });
    t.equal(table.Properties?.TimeToLiveSpecification, undefined, 'branch keys never expire by themselves');
  },
);

t.test('the branch key KMS key: its own key, rotating, retained, administered by name only', async (t) => {
  t.not(branchKeyId, vaultKeyId, 'not the vault key');
  const key = resource(branchKeyId);
  t.equal(property(key, 'EnableKeyRotation'), true);
  t.equal(key.DeletionPolicy, 'Retain');
  tokenizer.hasResourceProperties('AWS::KMS::Alias', {
    AliasName: names.branchKeyKmsKeyAlias,
    TargetKeyId: { 'Fn::GetAtt': [branchKeyId, 'Arn'] },
  });
  const statements = keyPolicy(branchKeyId);
  t.notOk(
    statements.some((s) => list(s.Action).includes('kms:*')),
    'no kms:* anywhere in the key policy',
  );
  t.notOk(
    statements.some(
      (s) =>
        JSON.stringify(s.Principal).includes(':root') &&
        s.Condition?.ArnEquals?.['aws:PrincipalArn'] === undefined &&
        s.Condition?.StringEquals?.['kms:ViaService'] === undefined,
    ),
    'the account is named nowhere without a condition: an IAM administrator cannot grant itself Decrypt',
  );
  const administration = statements.find((s) => s.Sid === 'NamedAdministratorsAdministerButDoNotUseTheKey');
  t.notOk(
    list(administration?.Action).some((a) => branchKeyMaking.test(a) || a === 'kms:Decrypt'),
    'its administrators cannot use it',
  );
  t.match(
    JSON.stringify(administration?.Condition?.ArnEquals?.['aws:PrincipalArn']),
    /tokenization-vault-key-admin-/,
    'the vault key administrator administers it too',
  );
  const administratorRoleId = logicalId(stack.vaultKey.administratorRole);
  t.ok(
    rolePolicyStatements(administratorRoleId).some(
      (s) =>
        list(s.Resource).includes(arnOf(branchKeyId)) &&
        list(s.Action).includes('kms:ScheduleKeyDeletion') &&
        !list(s.Action).some((a) => branchKeyMaking.test(a) || a === 'kms:Decrypt'),
    ),
    'and its IAM policy names the branch key, with the administration actions only',
  );
});

t.test(
  'the tokenizer and forwarder environments name the key store and its fixed logical name',
  async (t) => {
    const functions = resourcesOf(tokenizer, 'AWS::Lambda::Function').filter(([, f]) =>
      JSON.stringify(f.Properties?.Environment ?? {}).includes('AUTHORIZATION_POLICY'),
    );
    t.equal(functions.length, 2, 'the tokenizer and the forwarder');
    for (const [id, fn] of functions) {
      const environment = environmentOf(fn);
      t.same(environment.KEY_STORE_TABLE_NAME, { Ref: tableId }, `${id}: the key store table`);
      t.same(environment.BRANCH_KEY_KMS_KEY_ARN, { 'Fn::GetAtt': [branchKeyId, 'Arn'] }, `${id}: its key`);
      t.equal(environment.KEY_STORE_LOGICAL_NAME, 'tokenization-branch-keys', `${id}: the logical name`);
      t.same(environment.KMS_KEY_ARN, { 'Fn::GetAtt': [vaultKeyId, 'Arn'] }, `${id}: the vault key stays`);
    }
    t.equal(keyStoreLogicalName, defaultKeyStoreLogicalName, "the tokenizer's default (the local stack's)");
  },
);

t.test(
  'the tokenizer and forwarder read branch keys: GetItem, and Decrypt through the endpoint',
  async (t) => {
    for (const roleId of [tokenizerRoleId, forwarderRoleId]) {
      const onKeyStore = rolePolicyStatements(roleId).filter(touchesKeyStore);
      t.same(
        onKeyStore.filter((s) => list(s.Resource).includes(keyStoreTableArn)).flatMap((s) => list(s.Action)),
        ['dynamodb:GetItem'],
        `${roleId}: GetItem on the key store`,
      );
      t.notOk(
        onKeyStore.some((s) => list(s.Action).some((a) => keyStoreWrites.test(a) || a === 'dynamodb:Query')),
        `${roleId}: no write, delete or query of the key store`,
      );
      t.notOk(
        rolePolicyStatements(roleId).some((s) => list(s.Action).some((a) => a.startsWith('kms:'))),
        `${roleId}: no KMS in its identity policy (the key policy decides)`,
      );
      const naming = keyPolicy(branchKeyId).filter((s) => principalsOf(s).includes(arnOf(roleId)));
      t.same(naming.map((s) => s.Sid).sort(), [
        'ServicesDecryptBranchKeys',
        'TableEncryptionThroughDynamoDb',
      ]);
      const direct = naming.find((s) => s.Sid === 'ServicesDecryptBranchKeys');
      t.same(list(direct?.Action), ['kms:Decrypt'], `${roleId}: Decrypt only`);
      t.equal(direct?.Condition?.StringEquals?.['kms:EncryptionContext:tablename'], keyStoreLogicalName);
      t.ok(direct?.Condition?.StringEquals?.['aws:SourceVpce'], `${roleId}: through the KMS endpoint`);
      const viaDynamoDb = naming.find((s) => s.Sid === 'TableEncryptionThroughDynamoDb');
      t.equal(
        viaDynamoDb?.Condition?.StringEquals?.['kms:EncryptionContext:aws:dynamodb:tableName'],
        names.keyStoreTable,
        `${roleId}: the rest only as the key store table's storage, through DynamoDB`,
      );
      t.ok(viaDynamoDb?.Condition?.StringEquals?.['kms:ViaService']);
    }
    // The DynamoDB gateway endpoint lets them read branch keys, nothing more.
    const [, gateway] = resourcesOf(network, 'AWS::EC2::VPCEndpoint').find(([, r]) =>
      JSON.stringify(property(r, 'ServiceName')).includes('dynamodb'),
    ) as [string, Resource];
    const throughGateway = statementsOf(render(property(gateway, 'PolicyDocument'))).filter((s) =>
      list(s.Resource).includes(keyStoreTableArn),
    );
    t.same(throughGateway.map((s) => s.Sid).sort(), ['ForwarderReadsBranchKeys', 'TokenizerReadsBranchKeys']);
    for (const statement of throughGateway) t.same(list(statement.Action), ['dynamodb:GetItem']);
  },
);

t.test('only the tenant key administrator can write the key store or make branch keys', async (t) => {
  const writers = identityStatements()
    .filter(({ statement }) => touchesKeyStore(statement))
    .filter(({ statement }) => list(statement.Action).some((a) => keyStoreWrites.test(a)))
    .flatMap(({ roles }) => roles);
  t.same([...new Set(writers)], [`\${${adminRoleId}}`], 'identity policies: the administrator only');
  const makers = keyPolicy(branchKeyId)
    .filter((s) => s.Condition?.StringEquals?.['kms:ViaService'] === undefined)
    .filter((s) => list(s.Action).some((a) => branchKeyMaking.test(a)))
    .flatMap(principalsOf);
  t.same(makers, [arnOf(adminRoleId)], 'key policy: the administrator only (outside DynamoDB at rest)');
  const administrator = keyPolicy(branchKeyId).find(
    (s) => s.Sid === 'TenantKeyAdministratorMakesAndReadsBranchKeys',
  );
  t.same(list(administrator?.Action).sort(), [
    'kms:Decrypt',
    'kms:GenerateDataKeyWithoutPlaintext',
    'kms:ReEncryptFrom',
    'kms:ReEncryptTo',
  ]);
  t.equal(
    administrator?.Condition?.StringEquals?.['kms:EncryptionContext:tablename'],
    keyStoreLogicalName,
    "this key store's branch keys only",
  );
});

t.test('the tenant key administrator: MFA only, one-hour sessions, exactly its table rights', async (t) => {
  const role = resource(adminRoleId);
  t.equal(renderString(property(role, 'RoleName')), `tokenization-tenant-key-admin-\${AWS::Region}`);
  t.equal(property(role, 'MaxSessionDuration'), 3600);
  const trust = statementsOf(render(property(role, 'AssumeRolePolicyDocument')));
  t.equal(trust.length, 1);
  t.same(list(trust[0]?.Action), ['sts:AssumeRole']);
  t.same(trust[0]?.Condition, { Bool: { 'aws:MultiFactorAuthPresent': 'true' } }, 'assumed with MFA only');
  t.same(principalsOf(trust[0] as Statement), [`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root`]);
  t.notOk(
    identityStatements().some(({ statement }) =>
      list(statement.Action).some((a) => a.startsWith('sts:AssumeRole')),
    ),
    'no role of the deployment may assume roles (the service roles cannot become the administrator)',
  );
  t.equal(role.Properties?.ManagedPolicyArns, undefined, 'no AWS managed policy');
  const statements = rolePolicyStatements(adminRoleId);
  t.same(
    Object.fromEntries(
      statements.map((s) => [s.Sid, { actions: list(s.Action).sort(), resources: s.Resource }]),
    ),
    {
      AdministerBranchKeys: {
        actions: [
          'dynamodb:DeleteItem',
          'dynamodb:DescribeTable',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
        ],
        resources: keyStoreTableArn,
      },
      TenantRecordsAuditAndReencryption: {
        actions: [
          'dynamodb:ConditionCheckItem',
          'dynamodb:DeleteItem',
          'dynamodb:DescribeTable',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Scan',
          'dynamodb:UpdateItem',
        ],
        resources: keyStoreTableArn.replace(names.keyStoreTable, names.tokenVaultTable),
      },
    },
  );
  const outputs = tokenizer.toJSON().Outputs as Record<string, { Value: unknown }>;
  t.same(outputs.TenantKeyAdministratorRoleArn?.Value, { 'Fn::GetAtt': [adminRoleId, 'Arn'] });
  t.same(outputs.KeyStoreTableName?.Value, { Ref: tableId });
  t.same(outputs.BranchKeyKmsKeyArn?.Value, { 'Fn::GetAtt': [branchKeyId, 'Arn'] });
});

t.test('on the vault key the tenant key administrator only decrypts (legacy items)', async (t) => {
  const naming = keyPolicy(vaultKeyId).filter((s) => principalsOf(s).includes(arnOf(adminRoleId)));
  t.same(naming.map((s) => s.Sid).sort(), [
    'TableEncryptionThroughDynamoDb',
    'TenantKeyAdministratorDecryptsLegacyItems',
  ]);
  const direct = naming.find((s) => s.Sid === 'TenantKeyAdministratorDecryptsLegacyItems');
  t.same(list(direct?.Action), ['kms:Decrypt'], 'no GenerateDataKey: new values go under branch keys');
  t.same(direct?.Condition?.StringEquals?.['kms:EncryptionContext:purpose'], [
    'token-vault',
    'token-fingerprint',
  ]);
  t.same(direct?.Condition?.['ForAllValues:StringEquals']?.['kms:EncryptionContextKeys'], [
    'purpose',
    'tenant',
  ]);
  t.equal(
    naming.find((s) => s.Sid === 'TableEncryptionThroughDynamoDb')?.Condition?.StringEquals?.[
      'kms:EncryptionContext:aws:dynamodb:tableName'
    ],
    names.tokenVaultTable,
  );
});
