// The security invariants of the deployment, pinned on the synthesized templates.
import { Match } from 'aws-cdk-lib/assertions';
import t from 'tap';
import { ResourceNames } from '../lib/resource-names.js';
import { routesFor, tokenizerRoutes } from '../lib/tokenizer-access.js';
import { orderServiceClient } from '../lib/tokenizer-clients.js';
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

const synth = synthesize();
const { network, tokenizer, application, stacks } = synth;
const templates = { network, tokenizer, application };
/** The default prefix (cdk.json sets none). */
const names = new ResourceNames('tokenization');
const viaDynamoDb = `dynamodb.\${AWS::Region}.amazonaws.com`;

const cryptoActions = /^kms:(Encrypt|Decrypt|ReEncrypt.*|GenerateDataKey.*|CreateGrant|\*)$/;

function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`Expected exactly one ${what}, found ${items.length}`);
  return items[0] as T;
}

function logicalId(
  stack: { getLogicalId(e: never): string },
  construct: { node: { defaultChild?: unknown } },
) {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

const tokenizerRoleId = logicalId(stacks.tokenizer, stacks.tokenizer.tokenizerRole.role);
const tenantKeyAdministratorId = logicalId(
  stacks.tokenizer,
  stacks.tokenizer.tenantKeyAdministratorRole.role,
);
const vaultKeyId = logicalId(stacks.tokenizer, stacks.tokenizer.vaultKey.key);
const orderRoleId = logicalId(stacks.application, stacks.application.orderRole.role);
const executeApiEndpointId = logicalId(stacks.network, stacks.network.executeApiEndpoint);

const [, restApi] = only(resourcesOf(tokenizer, 'AWS::ApiGateway::RestApi'), 'tokenizer REST API');
const resourcePolicy = statementsOf(restApi.Properties?.Policy);
/** The execute-api endpoint ID as the tokenizer template reads it from the network stack. */
const endpointConfiguration = property<{ Types: string[]; VpcEndpointIds: unknown[] }>(
  restApi,
  'EndpointConfiguration',
);
const endpointRef = render(endpointConfiguration.VpcEndpointIds[0]);

t.test('the tokenizer API is PRIVATE, bound to the execute-api VPC endpoint', async (t) => {
  t.same(endpointConfiguration.Types, ['PRIVATE']);
  t.match(
    endpointRef,
    new RegExp(`^\\$\\{import:tokenization-network:ExportsOutputRef${executeApiEndpointId}`),
  );
});

t.test('every tokenizer method uses AWS_IAM, one per contract route, no proxy resource', async (t) => {
  const methods = resourcesOf(tokenizer, 'AWS::ApiGateway::Method').map(([, m]) => m.Properties ?? {});
  // Forward exists only with connections configured (test/forwarder.test.ts); this deployment has none.
  const routes = tokenizerRoutes.filter((r) => r.operationId !== 'forward');
  t.equal(methods.length, routes.length);
  for (const method of methods) {
    t.equal(method.AuthorizationType, 'AWS_IAM', `${String(method.OperationName)} uses AWS_IAM`);
    t.not(method.HttpMethod, 'ANY');
  }
  t.same(methods.map((m) => m.OperationName).sort(), routes.map((r) => r.operationId).sort());
  const paths = resourcesOf(tokenizer, 'AWS::ApiGateway::Resource').map(([, r]) => r.Properties?.PathPart);
  t.notOk(
    paths.some((p) => String(p).includes('+')),
    'no greedy {proxy+} resource',
  );
});

t.test('the resource policy denies any request that does not come through the VPC endpoint', async (t) => {
  const deny = resourcePolicy.find(
    (s) => s.Effect === 'Deny' && s.Condition?.StringNotEquals?.['aws:SourceVpce'] !== undefined,
  );
  t.ok(deny, 'a Deny on aws:SourceVpce');
  t.same(deny?.Principal, '*');
  t.same(deny?.Action, 'execute-api:Invoke');
  t.same(deny?.Resource, 'execute-api:/*', 'for every stage, method and path');
  t.same(
    render(deny?.Condition?.StringNotEquals?.['aws:SourceVpce']),
    endpointRef,
    'the execute-api endpoint',
  );
  t.notOk(deny?.Condition && Object.keys(deny.Condition).length > 1, 'unconditional otherwise');
});

t.test('the resource policy denies every principal outside the authorization policy', async (t) => {
  const policyPrincipals = authorizationPolicyPrincipals();
  const deny = only(
    resourcePolicy.filter((s) => s.Effect === 'Deny' && s.Condition?.ArnNotEquals !== undefined),
    'deny of unlisted principals',
  );
  t.same(deny.Resource, 'execute-api:/*');
  t.same(
    list(render(deny.Condition?.ArnNotEquals?.['aws:PrincipalArn'])).sort(),
    policyPrincipals.map((p) => p.arn).sort(),
  );
  for (const allow of resourcePolicy.filter((s) => s.Effect === 'Allow')) {
    t.same(
      render(allow.Condition?.StringEquals?.['aws:SourceVpce']),
      endpointRef,
      `${allow.Sid} needs the endpoint`,
    );
    const principal = render(allow.Condition?.ArnEquals?.['aws:PrincipalArn']);
    t.ok(
      policyPrincipals.some((p) => p.arn === principal),
      `${allow.Sid} is for a listed principal`,
    );
    t.same(allow.Principal, '*');
  }
});

t.test('each principal is denied every route it does not call', async (t) => {
  const clients = [orderServiceClient(names)];
  for (const principal of authorizationPolicyPrincipals()) {
    const deny = only(
      resourcePolicy.filter(
        (s) => s.Effect === 'Deny' && render(s.Condition?.ArnEquals?.['aws:PrincipalArn']) === principal.arn,
      ),
      `route deny for ${principal.arn}`,
    );
    const calls =
      clients.find((c) => renderString(stacks.tokenizer.resolve(c.roleArn)) === principal.arn)?.calls ?? [];
    t.ok(calls.length > 0, `${principal.arn} is a known client`);
    t.same(
      list(deny.NotResource).map(String).sort(),
      calls.map((r) => `execute-api:/prod/${r.method}${r.path.replace(/\{[^}]+\}/g, '*')}`).sort(),
      'exactly the routes it calls',
    );
    const allow = only(
      resourcePolicy.filter(
        (s) => s.Effect === 'Allow' && render(s.Condition?.ArnEquals?.['aws:PrincipalArn']) === principal.arn,
      ),
      `allow for ${principal.arn}`,
    );
    t.same(list(allow.Resource).map(String).sort(), list(deny.NotResource).map(String).sort());
    t.notOk(
      list(deny.NotResource).some((r) => String(r).includes('/batch') || String(r).includes('/health/')),
      'not the batch route or the probes, which its permissions would allow but it never calls',
    );
    t.notOk(
      list(deny.NotResource).some((r) => String(r).includes('GET/v1/tokens')),
      'the order service may not read metadata',
    );
    t.ok(
      list(deny.NotResource).some((r) => String(r).endsWith('DELETE/v1/tokens/*')),
      'it may delete the tokens it could not use',
    );
  }
});

t.test(
  'no deployed principal may tokenize deterministically (a value oracle nobody here needs)',
  async (t) => {
    const principals = authorizationPolicyPrincipals();
    t.ok(principals.length > 0);
    t.same(
      principals.filter((p) => p.permissions.includes('tokenize:deterministic')).map((p) => p.arn),
      [],
    );
  },
);

t.test(
  'the resource policy, AUTHORIZATION_POLICY and the order role come from one principal list',
  async (t) => {
    const [policyPrincipal] = authorizationPolicyPrincipals();
    const [, role] = only(
      resourcesOf(application, 'AWS::IAM::Role').filter(([id]) => id === orderRoleId),
      'order role',
    );
    const roleName = renderString(role.Properties?.RoleName);
    t.equal(policyPrincipal?.arn, `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${roleName}`);
    t.same(policyPrincipal?.tenant, 'orders');
    t.same(policyPrincipal?.permissions, ['tokenize', 'verify', 'forward:payments', 'delete']);
    const endpoint = resourcesOf(network, 'AWS::EC2::VPCEndpoint').find(
      ([id]) => id === executeApiEndpointId,
    )?.[1];
    const endpointPrincipals = statementsOf(endpoint?.Properties?.PolicyDocument).map((s) =>
      render(s.Condition?.ArnEquals?.['aws:PrincipalArn']),
    );
    t.same(endpointPrincipals, [policyPrincipal?.arn], 'the execute-api endpoint admits the same principals');
  },
);

t.test('only the tokenizer role can use the vault key (the tenant key administrator decrypts)', async (t) => {
  const [, key] = only(
    resourcesOf(tokenizer, 'AWS::KMS::Key').filter(([id]) => id === vaultKeyId),
    'vault key',
  );
  t.equal(key.Properties?.EnableKeyRotation, true);
  const tokenizerRole = `\${${tokenizerRoleId}.Arn}`;
  const grantsUse = (s: Statement) =>
    s.Effect === 'Allow' && list(s.Action).some((a) => cryptoActions.test(a));
  const statements = statementsOf(key.Properties?.KeyPolicy);
  t.ok(statements.some(grantsUse));
  for (const statement of statements.filter(grantsUse)) {
    const principals = list(render((statement.Principal as { AWS: unknown }).AWS)).map(String);
    const equals = statement.Condition?.StringEquals ?? {};
    if (principals.every((p) => p === tokenizerRole)) {
      t.ok(equals['aws:SourceVpce'], `${statement.Sid}: the tokenizer, through the KMS endpoint only`);
      continue;
    }
    if (principals.every((p) => p === `\${${tenantKeyAdministratorId}.Arn}`) && !equals['kms:ViaService']) {
      // The re-encryption reads the items written before branch keys: Decrypt, the tokenizer's contexts.
      t.same(list(statement.Action), ['kms:Decrypt'], `${statement.Sid}: the administrator only decrypts`);
      t.same(equals['kms:EncryptionContext:purpose'], ['token-vault', 'token-fingerprint']);
      continue;
    }
    // Anyone else (the account's IAM principals that create or restore the table): through DynamoDB only,
    // for the vault table's storage, or to let DynamoDB create its own grant.
    t.equal(render(equals['kms:ViaService']), viaDynamoDb, `${statement.Sid}: through DynamoDB only`);
    const forVaultTable = equals['kms:EncryptionContext:aws:dynamodb:tableName'] === names.tokenVaultTable;
    const grantForDynamoDb =
      statement.Condition?.Bool?.['kms:GrantIsForAWSResource'] === 'true' &&
      list(statement.Action).every((a) => a === 'kms:CreateGrant');
    t.ok(forVaultTable || grantForDynamoDb, `${statement.Sid}: for the vault table only`);
  }
  const administration = only(
    statements.filter((s) => s.Sid === 'NamedAdministratorsAdministerButDoNotUseTheKey'),
    'administration statement',
  );
  t.notOk(
    list(administration.Action).some((a) => cryptoActions.test(a) || a === 'kms:Create*'),
    'admins cannot use it',
  );
  t.same(
    list(render(administration.Condition?.ArnEquals?.['aws:PrincipalArn'])).map(String),
    [
      `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/tokenization-vault-key-admin-\${AWS::Region}`,
      `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root`,
      `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-\${AWS::AccountId}-\${AWS::Region}`,
    ],
    'administered by the key-administration role, the root user (break-glass) and CloudFormation only',
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
  t.notOk(
    statements.some((s) => list(s.Action).includes('kms:*')),
    'no kms:* anywhere in the key policy',
  );
  t.notOk(JSON.stringify(key).includes(orderRoleId), 'the order role is not mentioned');
});

t.test('the order role has no KMS permission and nothing on the vault table or vault key', async (t) => {
  const policies = resourcesOf(application, 'AWS::IAM::ManagedPolicy').filter(([, p]) =>
    JSON.stringify(p.Properties?.Roles).includes(orderRoleId),
  );
  t.equal(policies.length, 1);
  const statements = policies.flatMap(([, p]) => statementsOf(p.Properties?.PolicyDocument));
  t.notOk(
    statements.some((s) => list(s.Action).some((a) => a.startsWith('kms:'))),
    'no kms: action in the order role',
  );
  t.notOk(resourcesOf(application, 'AWS::IAM::Policy').length, 'and no other policy attached anywhere');
  const text = JSON.stringify(application.toJSON());
  t.notOk(text.includes(names.tokenVaultTable), 'the application never names the vault table');
  t.notOk(/VaultKey|VaultTable/.test(text), 'nor references the vault key or table');
  const invoke = only(
    statements.filter((s) => list(s.Action).includes('execute-api:Invoke')),
    'execute-api statement',
  );
  t.same(
    list(render(invoke.Resource))
      .map((arn) => String(arn).replace(/^.*:\$\{[^}]+\}\//, ''))
      .sort(),
    [
      'prod/DELETE/v1/tokens/*',
      'prod/POST/v1/connections/payments/forward',
      'prod/POST/v1/tokens',
      'prod/POST/v1/tokens/*/verify',
    ],
    'only the four routes the order service calls, path parameters as `*`, forward on payments only',
  );
  t.same(routesFor(orderServiceClient(names)).length, 7, '(its permissions allow 3 more)');
});

t.test('the order table key lets the order role in through DynamoDB only', async (t) => {
  const keyId = logicalId(stacks.application, stacks.application.orderTableKey);
  const key = resourcesOf(application, 'AWS::KMS::Key').find(([id]) => id === keyId)?.[1] as Resource;
  const naming = statementsOf(key.Properties?.KeyPolicy).filter((s) =>
    JSON.stringify(s.Principal).includes(orderRoleId),
  );
  t.equal(naming.length, 1);
  for (const statement of naming) {
    t.equal(
      render(statement.Condition?.StringEquals?.['kms:ViaService']),
      viaDynamoDb,
      `${statement.Sid} via DynamoDB`,
    );
    t.equal(
      statement.Condition?.StringEquals?.['kms:EncryptionContext:aws:dynamodb:tableName'],
      names.customerOrderTable,
    );
  }
});

t.test('no IAM statement uses a "*" resource where an ARN exists', async (t) => {
  // Actions that support no resource-level permissions (or, for Lambda's VPC ENIs, no ARN before they exist).
  const starOnly = new Set([
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
  ]);
  let checked = 0;
  for (const [name, template] of Object.entries(templates)) {
    const documents = [
      ...resourcesOf(template, 'AWS::IAM::ManagedPolicy').map(([id, r]) => [
        id,
        r.Properties?.PolicyDocument,
      ]),
      ...resourcesOf(template, 'AWS::IAM::Policy').map(([id, r]) => [id, r.Properties?.PolicyDocument]),
      ...resourcesOf(template, 'AWS::IAM::Role').flatMap(([id, r]) =>
        list(r.Properties?.Policies as { PolicyDocument: unknown }[]).map((p) => [id, p.PolicyDocument]),
      ),
      ...resourcesOf(template, 'AWS::EC2::VPCEndpoint').map(([id, r]) => [id, r.Properties?.PolicyDocument]),
    ] as [string, unknown][];
    for (const [id, document] of documents) {
      for (const statement of statementsOf(document)) {
        checked++;
        if (!list(statement.Resource).includes('*')) continue;
        const actions = list(statement.Action);
        t.ok(
          actions.every((a) => starOnly.has(a)),
          `${name}/${id}: "*" only for actions without resource-level permissions (${actions.join(', ')})`,
        );
      }
    }
  }
  t.ok(checked > 10, `${checked} statements checked`);
});

t.test('both tables are encrypted with their customer managed key', async (t) => {
  tokenizer.hasResourceProperties('AWS::DynamoDB::Table', {
    TableName: names.tokenVaultTable,
    SSESpecification: {
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: { 'Fn::GetAtt': [vaultKeyId, 'Arn'] },
    },
  });
  application.hasResourceProperties('AWS::DynamoDB::Table', {
    TableName: names.customerOrderTable,
    SSESpecification: {
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: {
        'Fn::GetAtt': [logicalId(stacks.application, stacks.application.orderTableKey), 'Arn'],
      },
    },
  });
  t.pass();
});

t.test('log groups never use the vault key', async (t) => {
  for (const [, group] of resourcesOf(tokenizer, 'AWS::Logs::LogGroup')) {
    t.ok(group.Properties?.KmsKeyId, 'encrypted');
    t.notMatch(JSON.stringify(group.Properties?.KmsKeyId), vaultKeyId);
  }
});

t.test('every VPC endpoint has a policy naming what is used through it', async (t) => {
  const endpoints = resourcesOf(network, 'AWS::EC2::VPCEndpoint');
  t.equal(endpoints.length, 5, 'execute-api, KMS, CloudWatch Logs, X-Ray, DynamoDB');
  for (const [id, endpoint] of endpoints) {
    const statements = statementsOf(endpoint.Properties?.PolicyDocument);
    t.ok(statements.length > 0, `${id} has a policy`);
    for (const s of statements) {
      t.ok(s.Condition?.ArnEquals?.['aws:PrincipalArn'], `${id}/${s.Sid} is limited to named roles`);
      t.notOk(
        list(s.Action).some((a) => a.endsWith('*')),
        `${id}/${s.Sid} lists its actions`,
      );
    }
  }
  network.hasResourceProperties('AWS::EC2::VPCEndpoint', {
    ServiceName: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
    PrivateDnsEnabled: true,
  });
});

/** AUTHORIZATION_POLICY of the tokenizer function, rendered and parsed. */
function authorizationPolicyPrincipals(): { arn: string; tenant: string; permissions: string[] }[] {
  const fn = resourcesOf(tokenizer, 'AWS::Lambda::Function').find(([, f]) =>
    JSON.stringify(f.Properties?.Environment).includes('AUTHORIZATION_POLICY'),
  )?.[1];
  const variables = environmentOf(fn);
  return (JSON.parse(renderString(variables.AUTHORIZATION_POLICY)) as { principals: never[] }).principals;
}
