// The fixes of the deploy review (issue 18), pinned on the synthesized templates: the default deployment,
// and one with every opt-in setting on.
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import t from 'tap';
import { buildTokenizationApp } from '../lib/tokenization-app.js';
import { vaultKeyAdministratorActions } from '../lib/vault-key.js';
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
import { cdkJsonContext, synthesize } from './helpers/synth.js';

const defaults = synthesize();
const optedIn = synthesize({
  context: {
    'tokenization:reserveConcurrency': 'true',
    'tokenization:setApiGatewayAccountLogging': 'true',
    'tokenization:corsAllowedOrigins': 'https://shop.example.com,https://admin.example.com',
    'tokenization:selfSignUp': 'false',
  },
});
const cryptoActions = /^kms:(Encrypt|Decrypt|ReEncrypt.*|GenerateDataKey.*|CreateGrant|\*)$/;

function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`Expected exactly one ${what}, found ${items.length}`);
  return items[0] as T;
}

function idOf(stack: { getLogicalId(e: never): string }, construct: { node: { defaultChild?: unknown } }) {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

t.test('1. the KMS endpoint admits the tokenizer role without a kms:ResourceAliases condition', async (t) => {
  const endpointId = idOf(defaults.stacks.network, defaults.stacks.network.kmsEndpoint);
  const [, endpoint] = only(
    resourcesOf(defaults.network, 'AWS::EC2::VPCEndpoint').filter(([id]) => id === endpointId),
    'KMS endpoint',
  );
  const statement = only(statementsOf(endpoint.Properties?.PolicyDocument), 'KMS endpoint statement');
  t.same(Object.keys(statement.Condition ?? {}), ['ArnEquals'], 'the principal is the only condition');
  t.match(
    renderString(statement.Condition?.ArnEquals?.['aws:PrincipalArn']),
    /role\/tokenization-tokenizer-/,
  );
  t.notMatch(JSON.stringify(endpoint), /ResourceAliases/);
  // What carries the restriction instead: the vault key's policy (principal, context, endpoint).
  const keyId = idOf(defaults.stacks.tokenizer, defaults.stacks.tokenizer.vaultKey.key);
  const key = resourcesOf(defaults.tokenizer, 'AWS::KMS::Key').find(([id]) => id === keyId)?.[1];
  const direct = only(
    statementsOf(key?.Properties?.KeyPolicy).filter((s) => s.Sid === 'TokenizerEnvelopeEncryption'),
    'envelope statement',
  );
  t.ok(direct.Condition?.StringEquals?.['aws:SourceVpce'], 'through the KMS endpoint only');
  t.ok(direct.Condition?.StringEquals?.['kms:EncryptionContext:purpose'], "with the tokenizer's context");
});

t.test('2. cross-stack references are CloudFormation exports, never Fn::GetStackOutput', async (t) => {
  const { network, tokenizer, application } = defaults;
  for (const [name, template] of Object.entries({ network, tokenizer, application })) {
    t.notMatch(JSON.stringify(template.toJSON()), /Fn::GetStackOutput/, `${name}: no weak reference`);
  }
  const exported = (template: typeof network) =>
    Object.values(
      (template.toJSON() as { Outputs?: Record<string, { Export?: { Name: string } }> }).Outputs ?? {},
    )
      .map((o) => o.Export?.Name)
      .filter((n): n is string => n !== undefined);
  const imported = (template: typeof network) =>
    [...JSON.stringify(template.toJSON()).matchAll(/"Fn::ImportValue":"([^"]+)"/g)].map((m) => m[1]);
  const producers = new Set([...exported(network), ...exported(tokenizer)]);
  t.ok(imported(tokenizer).length > 0, 'the tokenizer imports the endpoints, subnets and groups');
  t.ok(imported(application).length > 0, 'the application imports the tokenizer API id');
  for (const name of [...imported(tokenizer), ...imported(application)]) {
    t.ok(producers.has(name as string), `${name} is exported by a stack deployed before`);
  }
  t.throws(
    () =>
      buildTokenizationApp(
        new App({ context: { ...cdkJsonContext(), '@aws-cdk/core:defaultCrossStackReferences': 'weak' } }),
        { codeMode: 'stub' },
      ),
    /defaultCrossStackReferences" must be "strong"/,
    'the app refuses weak references',
  );
});

t.test('3. reserved concurrency: none by default, the 20 + 20 + 2 on request', async (t) => {
  const reserved = (s: typeof defaults) =>
    Object.values({ tokenizer: s.tokenizer, application: s.application })
      .flatMap((template) => resourcesOf(template, 'AWS::Lambda::Function'))
      .filter(([id]) => !id.startsWith('CustomVpcRestrictDefaultSG'))
      .map(([id, fn]) => [id.replace(/[0-9A-F]{8}$/, ''), fn.Properties?.ReservedConcurrentExecutions])
      .sort();
  t.same(
    reserved(defaults).map(([, value]) => value),
    [undefined, undefined, undefined],
    'no reservation: a new account with a small quota deploys',
  );
  t.same(reserved(optedIn), [
    ['AuditTrailForwarder', 2],
    ['OrderServiceFunction', 20],
    ['TokenizerFunction', 20],
  ]);
});

t.test('4. the Cognito app client has no OAuth; self sign-up is on by default, off on request', async (t) => {
  for (const s of [defaults, optedIn]) {
    const [, client] = only(resourcesOf(s.application, 'AWS::Cognito::UserPoolClient'), 'app client');
    const p = client.Properties ?? {};
    t.equal(p.AllowedOAuthFlowsUserPoolClient, false, 'OAuth disabled');
    for (const key of ['AllowedOAuthFlows', 'AllowedOAuthScopes', 'CallbackURLs', 'LogoutURLs']) {
      t.equal(p[key], undefined, `no ${key}`);
    }
    t.same(p.ExplicitAuthFlows, ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
  }
  defaults.application.hasResourceProperties('AWS::Cognito::UserPool', {
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
    AutoVerifiedAttributes: ['email'],
  });
  optedIn.application.hasResourceProperties('AWS::Cognito::UserPool', {
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
  });
});

t.test('5. the vault key is administered by a dedicated role that cannot use it', async (t) => {
  const vaultKey = defaults.stacks.tokenizer.vaultKey;
  const roleId = idOf(defaults.stacks.tokenizer, vaultKey.administratorRole);
  const [, role] = only(
    resourcesOf(defaults.tokenizer, 'AWS::IAM::Role').filter(([id]) => id === roleId),
    'key administration role',
  );
  t.equal(renderString(property(role, 'RoleName')), `tokenization-vault-key-admin-\${AWS::Region}`);
  const trust = only(statementsOf(property(role, 'AssumeRolePolicyDocument')), 'trust statement');
  t.same(trust.Condition, { Bool: { 'aws:MultiFactorAuthPresent': 'true' } }, 'assumed with MFA only');
  const policies = resourcesOf(defaults.tokenizer, 'AWS::IAM::ManagedPolicy').filter(([, p]) =>
    JSON.stringify(p.Properties?.Roles).includes(roleId),
  );
  const statements = policies.flatMap(([, p]) => statementsOf(p.Properties?.PolicyDocument));
  for (const statement of statements) {
    t.same(list(statement.Action).sort(), [...vaultKeyAdministratorActions].sort());
  }
  t.notOk(
    statements.some((s) => list(s.Action).some((a) => cryptoActions.test(a))),
    'no cryptographic use',
  );
  const keyId = idOf(defaults.stacks.tokenizer, vaultKey.key);
  const branchKeyId = idOf(defaults.stacks.tokenizer, defaults.stacks.tokenizer.keyStore.key);
  t.same(
    statements.map((s) => render(s.Resource)).sort(),
    [`\${${keyId}.Arn}`, `\${${branchKeyId}.Arn}`].sort(),
    'on the vault key and the branch key KMS key only',
  );
});

t.test(
  "5. API Gateway's account-wide logging role: not set by default; on request, trusted for this account only",
  async (t) => {
    defaults.network.resourceCountIs('AWS::ApiGateway::Account', 0);
    t.notOk(
      resourcesOf(defaults.network, 'AWS::IAM::Role').some(([id]) => id.startsWith('ApiGatewayLoggingRole')),
    );
    const [, account] = only(resourcesOf(optedIn.network, 'AWS::ApiGateway::Account'), 'account setting');
    const roleId = (property<{ 'Fn::GetAtt': string[] }>(account, 'CloudWatchRoleArn')['Fn::GetAtt'] ??
      [])[0];
    const role = resourcesOf(optedIn.network, 'AWS::IAM::Role').find(([id]) => id === roleId)?.[1];
    const trust = only(statementsOf(role?.Properties?.AssumeRolePolicyDocument), 'trust statement');
    t.same(trust.Principal, { Service: 'apigateway.amazonaws.com' });
    t.same(trust.Condition, { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
  },
);

t.test('5. the Cognito authorizer caches nothing (a revoked token is not served from a cache)', async (t) => {
  defaults.application.hasResourceProperties('AWS::ApiGateway::Authorizer', {
    Type: 'COGNITO_USER_POOLS',
    AuthorizerResultTtlInSeconds: 0,
  });
  t.pass();
});

t.test('5. the audit forwarder sends what it fails on to an encrypted dead-letter queue', async (t) => {
  const { tokenizer, stacks } = defaults;
  const trail = stacks.tokenizer.auditTrail;
  const queueId = idOf(stacks.tokenizer, trail.failedDeliveries);
  const forwarderId = idOf(stacks.tokenizer, trail.forwarder);
  tokenizer.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
    FunctionName: { Ref: forwarderId },
    MaximumRetryAttempts: 2,
    DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
  });
  const queue = resourcesOf(tokenizer, 'AWS::SQS::Queue').find(([id]) => id === queueId)?.[1] as Resource;
  t.match(renderString(property(queue, 'KmsMasterKeyId')), /LogsKey/, "encrypted with the stack's logs key");
  tokenizer.hasResourceProperties('AWS::SQS::QueuePolicy', {
    PolicyDocument: Match.objectLike({
      Statement: Match.arrayWith([
        Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]),
    }),
  });
  const statements = resourcesOf(tokenizer, 'AWS::IAM::ManagedPolicy')
    .filter(([, p]) => JSON.stringify(p.Properties?.Roles).includes('AuditTrailForwarderRole'))
    .flatMap(([, p]) => statementsOf(p.Properties?.PolicyDocument));
  const send = only(
    statements.filter((s: Statement) => list(s.Action).includes('sqs:SendMessage')),
    'SendMessage statement',
  );
  t.same(render(send.Resource), `\${${queueId}.Arn}`, 'its role may send to that queue only');
});

t.test('5. CORS: no preflight by default; on request, the listed origins and never "*"', async (t) => {
  const preflights = (s: typeof defaults) =>
    resourcesOf(s.application, 'AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties?.HttpMethod === 'OPTIONS',
    );
  t.equal(preflights(defaults).length, 0);
  const options = preflights(optedIn);
  t.equal(options.length, 4, 'one per resource: /, /order, /order/{CustomerOrder}, /paybill');
  for (const [id, method] of options) {
    const text = JSON.stringify(method.Properties?.Integration);
    t.match(text, /https:\/\/shop\.example\.com/, `${id} answers a listed origin`);
    t.match(text, /https:\/\/admin\.example\.com/);
    t.notMatch(text, /'\*'/, `${id} never allows every origin`);
    t.equal(method.Properties?.AuthorizationType, 'NONE', 'preflights carry no token');
  }
  const secured = resourcesOf(optedIn.application, 'AWS::ApiGateway::Method').filter(
    ([, m]) => m.Properties?.HttpMethod !== 'OPTIONS',
  );
  t.ok(secured.every(([, m]) => m.Properties?.AuthorizationType === 'COGNITO_USER_POOLS'));
  // The proxy integration passes the actual answers through: the order service sends their CORS headers.
  const orderEnvironment = (s: typeof defaults) =>
    environmentOf(
      only(
        resourcesOf(s.application, 'AWS::Lambda::Function').filter(([id]) =>
          id.startsWith('OrderServiceFunction'),
        ),
        'order function',
      )[1],
    );
  t.notOk('CORS_ALLOWED_ORIGINS' in orderEnvironment(defaults), 'no origins, no CORS headers');
  t.equal(
    orderEnvironment(optedIn).CORS_ALLOWED_ORIGINS,
    'https://shop.example.com,https://admin.example.com',
    "the preflight's origins, for the service's own answers",
  );
});
