// Deployment settings come from CDK context and are validated before anything is built.
import { App } from 'aws-cdk-lib';
import t from 'tap';
import { readDeploymentConfig } from '../lib/deployment-config.js';
import { buildTokenizationApp } from '../lib/tokenization-app.js';
import { environmentOf, renderString, resourcesOf } from './helpers/cfn.js';
import { synthesize } from './helpers/synth.js';

const configOf = (context: Record<string, unknown>) => readDeploymentConfig(new App({ context }).node);

t.test('defaults', async (t) => {
  t.same(configOf({}), {
    prefix: 'tokenization',
    logLevel: 'info',
    stageName: 'prod',
    reservedConcurrency: undefined,
    selfSignUp: true,
    setApiGatewayAccountLogging: false,
    corsAllowedOrigins: [],
    wafRateLimitPer5Minutes: 500,
    throttling: { rateLimit: 50, burstLimit: 100 },
    deterministicTokenizationsPerMinute: 60,
  });
});

t.test('context overrides, including -c strings', async (t) => {
  const config = configOf({
    'tokenization:prefix': 'acme-pay',
    'tokenization:logLevel': 'debug',
    'tokenization:reserveConcurrency': 'true',
    'tokenization:tokenizerReservedConcurrency': '5',
    'tokenization:wafRateLimitPer5Minutes': 100,
    'tokenization:deterministicTokenizationsPerMinute': '120',
    'tokenization:selfSignUp': 'false',
    'tokenization:setApiGatewayAccountLogging': true,
    'tokenization:corsAllowedOrigins': 'https://shop.example.com, http://localhost:5173',
  });
  t.same(config.selfSignUp, false);
  t.same(config.setApiGatewayAccountLogging, true);
  t.same(config.corsAllowedOrigins, ['https://shop.example.com', 'http://localhost:5173']);
  t.same(
    configOf({ 'tokenization:corsAllowedOrigins': ['https://a.example.com'] }).corsAllowedOrigins,
    ['https://a.example.com'],
    'a JSON list in cdk.json',
  );
  t.equal(config.deterministicTokenizationsPerMinute, 120);
  t.equal(config.prefix, 'acme-pay');
  t.equal(config.logLevel, 'debug');
  t.same(config.reservedConcurrency, { tokenizer: 5, order: 20, auditForwarder: 2 });
  t.equal(
    configOf({ 'tokenization:tokenizerReservedConcurrency': 5 }).reservedConcurrency,
    undefined,
    'the numbers alone reserve nothing: reserveConcurrency opts in',
  );
  t.equal(config.wafRateLimitPer5Minutes, 100);
});

t.test('bad values fail naming the context key', async (t) => {
  t.throws(() => configOf({ 'tokenization:prefix': 'Acme' }), /tokenization:prefix/);
  t.throws(() => configOf({ 'tokenization:logLevel': 'loud' }), /tokenization:logLevel/);
  t.throws(() => configOf({ 'tokenization:stageName': 'prod/v1' }), /tokenization:stageName/);
  t.throws(
    () => configOf({ 'tokenization:reserveConcurrency': true, 'tokenization:orderReservedConcurrency': 0 }),
    /orderReservedConcurrency/,
  );
  t.throws(
    () => configOf({ 'tokenization:reserveConcurrency': 'yes' }),
    /reserveConcurrency" must be true or false/,
  );
  for (const origins of [
    '*',
    'https://*.example.com',
    'http://shop.example.com',
    'https://shop.example.com/app',
  ])
    t.throws(
      () => configOf({ 'tokenization:corsAllowedOrigins': origins }),
      /tokenization:corsAllowedOrigins/,
      `origin ${origins} refused`,
    );
  t.throws(() => configOf({ 'tokenization:throttleRateLimit': 'fast' }), /throttleRateLimit/);
  t.throws(() => configOf({ 'tokenization:prefix': 7 }), /must be a string/);
  for (const bad of [0, 1_000_001, '1.5'])
    t.throws(
      () => configOf({ 'tokenization:deterministicTokenizationsPerMinute': bad }),
      /"tokenization:deterministicTokenizationsPerMinute" must be an integer from 1 to 1000000/,
    );
  t.throws(
    () => buildTokenizationApp(new App({ context: { 'tokenization:lambdaCode': 'docker' } })),
    /tokenization:lambdaCode/,
  );
});

t.test('the prefix names every fixed resource, and the principal ARNs follow it', async (t) => {
  const { tokenizer, application, stacks } = synthesize({
    context: { 'tokenization:prefix': 'acme', 'tokenization:deterministicTokenizationsPerMinute': 30 },
  });
  t.same(
    [stacks.network.stackName, stacks.tokenizer.stackName, stacks.application.stackName],
    ['acme-network', 'acme-tokenizer', 'acme-application'],
  );
  tokenizer.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'acme-token-vault' });
  application.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'acme-customer-orders' });
  const fn = resourcesOf(tokenizer, 'AWS::Lambda::Function').find(([id]) =>
    id.startsWith('TokenizerFunction'),
  );
  const policy = renderString(environmentOf(fn?.[1]).AUTHORIZATION_POLICY);
  t.match(policy, /role\/acme-order-service-\$\{AWS::Region\}/);
  t.equal(
    environmentOf(fn?.[1]).DETERMINISTIC_TOKENIZATIONS_PER_MINUTE,
    '30',
    'the deterministic limit reaches the tokenizer function (same synth, to spare one)',
  );
});
