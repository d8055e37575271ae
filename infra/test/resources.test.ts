// What the stacks deploy: outputs, functions, keys, tables, logs, the network, the public API and its users.
import { operationRoutes } from '@tokenization/contracts/operations';
import { orderDocument } from '@tokenization/contracts/order-document';
import { orderTableDefinition } from '@tokenization/order-service/order-table';
import { Match } from 'aws-cdk-lib/assertions';
import t from 'tap';
import { ResourceNames } from '../lib/resource-names.js';
import { environmentOf, list, property, render, renderString, resourcesOf } from './helpers/cfn.js';
import { synthesize } from './helpers/synth.js';

const { network, tokenizer, application, stacks } = synthesize();
const templates = { network, tokenizer, application };
const names = new ResourceNames('tokenization');

t.test('outputs carry the sample names, with these exact logical IDs', async (t) => {
  for (const key of [
    'PaymentMethodApiURL',
    'UserPoolAppClientId',
    'UserPoolId',
    'Region',
    'CustomerOrderTableName',
  ]) {
    application.hasOutput(key, {});
  }
  for (const key of ['TokenizerApiUrl', 'TokenVaultTableName']) tokenizer.hasOutput(key, {});
  const outputs = application.toJSON().Outputs as Record<string, { Value: unknown }>;
  t.match(
    renderString(outputs.PaymentMethodApiURL?.Value),
    /^https:\/\/\$\{OrderApi\w+\}\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}\/prod$/,
  );
  t.same(outputs.Region?.Value, { Ref: 'AWS::Region' });
  const tokenizerOutputs = tokenizer.toJSON().Outputs as Record<string, { Value: unknown }>;
  t.match(
    renderString(tokenizerOutputs.TokenizerApiUrl?.Value),
    /^https:\/\/\$\{TokenizerApi\w+\}\.execute-api\./,
  );
});

t.test(
  'every function: Node.js 22 on arm64, traced, no reserved concurrency by default, in the VPC, own log group',
  async (t) => {
    let functions = 0;
    for (const [name, template] of Object.entries(templates)) {
      for (const [id, fn] of resourcesOf(template, 'AWS::Lambda::Function')) {
        // CDK's own custom-resource provider (the VPC default security group lockdown) is not ours to shape.
        if (id.startsWith('CustomVpcRestrictDefaultSG')) continue;
        functions++;
        const p = fn.Properties ?? {};
        t.equal(p.Runtime, 'nodejs22.x', `${name}/${id} runtime`);
        t.same(p.Architectures, ['arm64'], `${name}/${id} architecture`);
        t.same(p.TracingConfig, { Mode: 'Active' }, `${name}/${id} tracing`);
        t.equal(p.ReservedConcurrentExecutions, undefined, `${name}/${id} reserves nothing (opt-in)`);
        t.ok(
          (p.VpcConfig as { SubnetIds?: unknown[] })?.SubnetIds?.length === 2,
          `${name}/${id} in two subnets`,
        );
        t.ok((p.LoggingConfig as { LogGroup?: unknown })?.LogGroup, `${name}/${id} log group`);
      }
    }
    t.equal(functions, 3, 'tokenizer, audit forwarder, order service');
  },
);

t.test('function environments use the names the services read', async (t) => {
  const environment = (template: typeof tokenizer, entry: string) => {
    const fn = resourcesOf(template, 'AWS::Lambda::Function').find(([id]) => id.startsWith(entry))?.[1];
    return environmentOf(fn);
  };
  const tokenizerEnv = environment(tokenizer, 'TokenizerFunction');
  t.same(Object.keys(tokenizerEnv).sort(), [
    'AUTHORIZATION_POLICY',
    'BRANCH_KEY_KMS_KEY_ARN',
    'DETERMINISTIC_TOKENIZATIONS_PER_MINUTE',
    'KEY_STORE_LOGICAL_NAME',
    'KEY_STORE_TABLE_NAME',
    'KMS_KEY_ARN',
    'LOG_LEVEL',
    'METRICS_NAMESPACE',
    'METRICS_SERVICE_NAME',
    'TOKEN_VAULT_TABLE_NAME',
  ]);
  const orderEnv = environment(application, 'OrderServiceFunction');
  t.same(Object.keys(orderEnv).sort(), [
    'AWS_URL_SUFFIX',
    'COGNITO_CLIENT_ID',
    'COGNITO_USER_POOL_ID',
    'LOG_LEVEL',
    'METRICS_NAMESPACE',
    'METRICS_SERVICE_NAME',
    'ORDER_TABLE_NAME',
    'TOKENIZER_API_URL',
  ]);
  t.notOk('AWS_REGION' in orderEnv, 'Lambda sets AWS_REGION itself');
  t.same(orderEnv.AWS_URL_SUFFIX, { Ref: 'AWS::URLSuffix' }, "the issuer's domain is the partition's");
  t.match(
    renderString(orderEnv.TOKENIZER_API_URL),
    /^https:\/\/\$\{[^}]+\}\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}\/prod$/,
  );
  t.equal(tokenizerEnv.LOG_LEVEL, 'info');
  t.equal(tokenizerEnv.DETERMINISTIC_TOKENIZATIONS_PER_MINUTE, '60', "the tokenizer's own default");
});

t.test('KMS keys rotate and survive stack deletion', async (t) => {
  let keys = 0;
  for (const template of Object.values(templates)) {
    for (const [id, key] of resourcesOf(template, 'AWS::KMS::Key')) {
      keys++;
      t.equal(key.Properties?.EnableKeyRotation, true, `${id} rotates`);
      t.equal(key.DeletionPolicy, 'Retain', `${id} retained`);
      t.equal(key.Properties?.PendingWindowInDays, 30);
    }
  }
  t.equal(keys, 6, 'vault, branch keys, order table, and one logs key per stack');
  tokenizer.hasResourceProperties('AWS::KMS::Alias', { AliasName: names.vaultKeyAlias });
  tokenizer.hasResourceProperties('AWS::KMS::Alias', { AliasName: names.branchKeyKmsKeyAlias });
});

t.test('tables: point-in-time recovery, deletion protection, TTL, retained', async (t) => {
  for (const [template, tableName, keySchema] of [
    [tokenizer, names.tokenVaultTable, [{ AttributeName: 'pk', KeyType: 'HASH' }]],
    [application, names.customerOrderTable, orderTableDefinition('any').KeySchema],
  ] as const) {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: keySchema,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    });
  }
  t.pass();
});

t.test(
  'the order table is keyed by owner and CustomerOrder, as the service and the local stack key it',
  async (t) => {
    const [table, ...others] = resourcesOf(application, 'AWS::DynamoDB::Table').map(
      ([, resource]) => resource,
    );
    t.equal(others.length, 0, 'one table in the application stack');
    t.same(
      table?.Properties?.KeySchema,
      [
        { AttributeName: 'owner', KeyType: 'HASH' },
        { AttributeName: 'CustomerOrder', KeyType: 'RANGE' },
      ],
      "the owner's Cognito sub first: a CustomerOrder is unique per owner only",
    );
    const { KeySchema, AttributeDefinitions } = orderTableDefinition('any');
    t.same(table?.Properties?.KeySchema, KeySchema, "the service's own definition (order-table.ts)");
    t.same(table?.Properties?.AttributeDefinitions, AttributeDefinitions, 'with the same attribute types');
  },
);

t.test('log groups: encrypted, retained, with a retention; the audit group keeps seven years', async (t) => {
  for (const [name, template] of Object.entries(templates)) {
    for (const [id, group] of resourcesOf(template, 'AWS::Logs::LogGroup')) {
      t.ok(group.Properties?.KmsKeyId, `${name}/${id} encrypted`);
      t.ok(Number(group.Properties?.RetentionInDays) >= 365, `${name}/${id} keeps a year or more`);
      t.equal(group.DeletionPolicy, 'Retain', `${name}/${id} retained`);
    }
  }
  tokenizer.hasResourceProperties('AWS::Logs::LogGroup', {
    LogGroupName: names.auditLogGroup,
    RetentionInDays: 2557,
  });
});

t.test('audit events are routed by a subscription filter on the tokenizer log group', async (t) => {
  const [, filter] = resourcesOf(tokenizer, 'AWS::Logs::SubscriptionFilter')[0] ?? [];
  t.equal(filter?.Properties?.FilterPattern, '{ $.audit IS TRUE }');
  const tokenizerFn = resourcesOf(tokenizer, 'AWS::Lambda::Function').find(([id]) =>
    id.startsWith('TokenizerFunction'),
  );
  t.same(
    render(filter?.Properties?.LogGroupName),
    render(property<{ LogGroup: unknown }>(tokenizerFn?.[1], 'LoggingConfig').LogGroup),
    'the tokenizer function log group is the source',
  );
  t.match(renderString(filter?.Properties?.DestinationArn), /AuditTrailForwarder/);
  const forwarder = resourcesOf(tokenizer, 'AWS::Lambda::Function').find(([id]) =>
    id.startsWith('AuditTrailForwarder'),
  );
  t.same(environmentOf(forwarder?.[1]), {
    AUDIT_LOG_GROUP_NAME: names.auditLogGroup,
  });
});

t.test('the network: two isolated subnets, no internet path, flow logs, endpoints', async (t) => {
  network.resourceCountIs('AWS::EC2::Subnet', 2);
  network.resourceCountIs('AWS::EC2::InternetGateway', 0);
  network.resourceCountIs('AWS::EC2::NatGateway', 0);
  for (const [, subnet] of resourcesOf(network, 'AWS::EC2::Subnet')) {
    t.equal(subnet.Properties?.MapPublicIpOnLaunch, false);
  }
  network.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
  network.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  const services = resourcesOf(network, 'AWS::EC2::VPCEndpoint').map(([, e]) =>
    renderString(e.Properties?.ServiceName).replace(/^.*\.\$\{AWS::Region\}\./, ''),
  );
  t.same(services.sort(), ['dynamodb', 'execute-api', 'kms', 'logs', 'xray']);
  for (const [id, group] of resourcesOf(network, 'AWS::EC2::SecurityGroup')) {
    t.notOk(
      list(group.Properties?.SecurityGroupIngress as { CidrIp?: string }[]).some(
        (r) => r.CidrIp === '0.0.0.0/0',
      ),
      `${id} admits nothing from anywhere`,
    );
  }
  network.resourceCountIs('AWS::ApiGateway::Account', 0);
});

t.test('the order API: Cognito on every method, validation, logs, throttling, WAF', async (t) => {
  application.hasResourceProperties('AWS::ApiGateway::RestApi', {
    EndpointConfiguration: { Types: ['REGIONAL'] },
  });
  const methods = resourcesOf(application, 'AWS::ApiGateway::Method').map(([, m]) => m.Properties ?? {});
  t.same(methods.map((m) => m.OperationName).sort(), ['createOrder', 'getOrder', 'payBill']);
  for (const method of methods) {
    t.equal(method.AuthorizationType, 'COGNITO_USER_POOLS', `${String(method.OperationName)} Cognito`);
    t.ok(method.AuthorizerId, 'with the authorizer');
    t.ok(method.RequestValidatorId, 'with the validator');
  }
  application.hasResourceProperties('AWS::ApiGateway::Authorizer', {
    Type: 'COGNITO_USER_POOLS',
    IdentitySource: 'method.request.header.Authorization',
  });
  application.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
    ValidateRequestBody: true,
    ValidateRequestParameters: true,
  });
  application.hasResourceProperties('AWS::ApiGateway::Model', {
    Name: 'CreateOrder',
    Schema: Match.objectLike({
      required: ['CustomerOrder', 'CustomerName', 'CreditCard', 'Address'],
      additionalProperties: false,
      properties: Match.objectLike({
        CustomerOrder: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' },
      }),
    }),
  });
  application.hasResourceProperties('AWS::ApiGateway::Model', {
    Name: 'PayBill',
    Schema: Match.objectLike({ required: ['CustomerOrder'], additionalProperties: false }),
  });
  application.hasResourceProperties('AWS::ApiGateway::Method', {
    HttpMethod: 'GET',
    RequestParameters: { 'method.request.path.CustomerOrder': true },
  });
  for (const template of [application, tokenizer]) {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
        }),
      ],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['API-Gateway-Execution-Logs_'])] }),
    });
  }
  application.hasResourceProperties('AWS::WAFv2::WebACL', {
    Scope: 'REGIONAL',
    DefaultAction: { Allow: {} },
    Rules: Match.arrayWith([
      Match.objectLike({
        Name: 'RateLimitPerIp',
        Action: { Block: {} },
        Statement: { RateBasedStatement: { Limit: 500, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
      }),
    ]),
  });
  application.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
  application.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
    RedactedFields: [{ SingleHeader: { Name: 'authorization' } }],
  });
  application.hasResourceProperties('AWS::Logs::LogGroup', {
    LogGroupName: 'aws-waf-logs-tokenization-order-api',
  });
});

t.test("the order API's request models validate what contracts/order.openapi.yaml says", async (t) => {
  const keywords = ['type', 'minLength', 'maxLength', 'pattern'];
  const validation = (schema: Record<string, unknown>) => ({
    type: schema.type,
    additionalProperties: schema.additionalProperties,
    required: schema.required,
    properties: Object.fromEntries(
      Object.entries(schema.properties as Record<string, Record<string, unknown>>).map(([name, property]) => [
        name,
        Object.fromEntries(keywords.filter((k) => k in property).map((k) => [k, property[k]])),
      ]),
    ),
  });
  const models = Object.fromEntries(
    resourcesOf(application, 'AWS::ApiGateway::Model').map(([, m]) => [
      m.Properties?.Name,
      m.Properties?.Schema as Record<string, unknown>,
    ]),
  );
  const routes = operationRoutes(orderDocument);
  for (const [operationId, model] of [
    ['createOrder', 'CreateOrder'],
    ['payBill', 'PayBill'],
  ] as const) {
    const body = routes.find((r) => r.operationId === operationId)?.schema.body;
    t.ok(body, `${operationId} has a body schema in the contract`);
    t.same(validation(models[model] ?? {}), validation(body ?? {}), `${model} matches ${operationId}`);
  }
  const paths = routes.filter((r) => !r.path.startsWith('/health')).map((r) => `${r.method} ${r.path}`);
  t.same(
    paths.sort(),
    ['GET /order/{CustomerOrder}', 'POST /order', 'POST /paybill'],
    'the routes the API exposes',
  );
});

t.test(
  'Cognito: self sign-up with email verification, strong passwords, optional TOTP, USER_PASSWORD_AUTH client',
  async (t) => {
    application.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        MfaConfiguration: 'OPTIONAL',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        DeletionProtection: 'ACTIVE',
        UserPoolTier: 'PLUS',
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
        AutoVerifiedAttributes: ['email'],
        VerificationMessageTemplate: Match.objectLike({ DefaultEmailOption: 'CONFIRM_WITH_CODE' }),
        Policies: {
          PasswordPolicy: {
            MinimumLength: 14,
            RequireLowercase: true,
            RequireUppercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
            TemporaryPasswordValidityDays: 3,
          },
        },
      }),
    });
    application.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_PASSWORD_AUTH']),
      GenerateSecret: false,
      PreventUserExistenceErrors: 'ENABLED',
    });
    t.pass();
  },
);

t.test('deploy order: network, then tokenizer, then application', async (t) => {
  const dependencies = (stack: { dependencies: { stackName: string }[] }) =>
    stack.dependencies.map((d) => d.stackName).sort();
  t.same(dependencies(stacks.network), []);
  t.same(dependencies(stacks.tokenizer), [names.networkStack]);
  t.same(dependencies(stacks.application), [names.networkStack, names.tokenizerStack]);
});
