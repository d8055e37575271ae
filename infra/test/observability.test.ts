// Observability as deployed: encrypted alarm topics, dashboards, the alarms each notify, the functions'
// metrics settings, X-Ray on functions and stages, and the X-Ray endpoint the isolated functions need.
import { Match } from 'aws-cdk-lib/assertions';
import t from 'tap';
import { ResourceNames } from '../lib/resource-names.js';
import {
  environmentOf,
  list,
  type Resource,
  render,
  renderString,
  resourcesOf,
  statementsOf,
} from './helpers/cfn.js';
import { synthesize } from './helpers/synth.js';

const { network, tokenizer, application } = synthesize();
const names = new ResourceNames('tokenization');
const namespace = 'Tokenization/tokenization';

type Template = typeof tokenizer;

function alarms(template: Template): Record<string, Resource> {
  return Object.fromEntries(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
}

function topicOf(template: Template): string {
  const topics = resourcesOf(template, 'AWS::SNS::Topic');
  if (topics.length !== 1) throw new Error(`expected one topic, got ${topics.length}`);
  return (topics[0] as [string, Resource])[0];
}

/** The alarm whose description starts with `text`. */
function alarmNamed(template: Template, text: string): Resource {
  const found = Object.values(alarms(template)).filter((alarm) =>
    String(alarm.Properties?.AlarmDescription).includes(text),
  );
  if (found.length !== 1) throw new Error(`expected one alarm "${text}", got ${found.length}`);
  return found[0] as Resource;
}

/** The alarm's metric (namespace, name, dimensions), whether it is a plain metric or a math expression. */
function metricsOf(
  alarm: Resource,
): { namespace: string; name: string; dimensions: Record<string, unknown> }[] {
  const properties = render(alarm.Properties) as Record<string, unknown>;
  const plain = properties.MetricName
    ? [
        {
          Namespace: properties.Namespace,
          MetricName: properties.MetricName,
          Dimensions: properties.Dimensions,
        },
      ]
    : list(properties.Metrics as { MetricStat?: { Metric: Record<string, unknown> } }[])
        .map((query) => query.MetricStat?.Metric)
        .filter((metric) => metric !== undefined);
  return plain.map((metric) => ({
    namespace: String(metric.Namespace),
    name: String(metric.MetricName),
    dimensions: Object.fromEntries(
      list(metric.Dimensions as { Name: string; Value: unknown }[]).map((d) => [d.Name, d.Value]),
    ),
  }));
}

t.test('each service stack: one SNS topic, encrypted with its logs key, TLS only', async (t) => {
  for (const template of [tokenizer, application]) {
    const topicId = topicOf(template);
    const topic = resourcesOf(template, 'AWS::SNS::Topic')[0]?.[1];
    t.match(render(topic?.Properties?.KmsMasterKeyId), /^\$\{LogsKey\w+\.Arn\}$/, `${topicId}: KMS`);
    const policies = resourcesOf(template, 'AWS::SNS::TopicPolicy');
    t.ok(
      policies.some(([, policy]) =>
        statementsOf(policy.Properties?.PolicyDocument).some(
          (s) => s.Effect === 'Deny' && JSON.stringify(s.Condition).includes('"aws:SecureTransport":"false"'),
        ),
      ),
      'publishing without TLS is denied',
    );
    const keyStatements = resourcesOf(template, 'AWS::KMS::Key').flatMap(([, key]) =>
      statementsOf(key.Properties?.KeyPolicy),
    );
    const cloudWatch = keyStatements.find(
      (s) => JSON.stringify(s.Principal) === '{"Service":"cloudwatch.amazonaws.com"}',
    );
    t.same(
      list(cloudWatch?.Action).sort(),
      ['kms:Decrypt', 'kms:GenerateDataKey*'],
      'CloudWatch may encrypt',
    );
    t.match(
      renderString(cloudWatch?.Condition?.ArnLike?.['aws:SourceArn']),
      /:cloudwatch:\$\{AWS::Region\}:\$\{AWS::AccountId\}:alarm:\*$/,
      "for this account's alarms only",
    );
  }
});

t.test(
  'every alarm notifies its stack topic, on alarm and back to OK, and is quiet without data',
  async (t) => {
    for (const template of [tokenizer, application]) {
      const topic = `\${${topicOf(template)}}`;
      const all = Object.values(alarms(template));
      t.ok(all.length >= 6);
      for (const alarm of all) {
        t.same(render(alarm.Properties?.AlarmActions), [topic]);
        t.same(render(alarm.Properties?.OKActions), [topic]);
        t.equal(alarm.Properties?.TreatMissingData, 'notBreaching');
        t.match(alarm.Properties?.AlarmDescription, /See docs\/observability\.md\.$/);
      }
    }
  },
);

t.test('the alarms the issue lists, on the metrics they name', async (t) => {
  for (const [template, functionId, apiStage] of [
    [tokenizer, /^TokenizerFunction/, /^\$\{TokenizerApiDeploymentStageprod/],
    [application, /^OrderServiceFunction/, /^\$\{OrderApiDeploymentStageprod/],
  ] as const) {
    const rate = alarmNamed(template, 'requests answered 5xx');
    const rateMetrics = metricsOf(rate);
    t.same(
      rateMetrics.map((m) => `${m.namespace}:${m.name}`).sort(),
      ['AWS/ApiGateway:5XXError', 'AWS/ApiGateway:Count'],
      '5xx rate: API Gateway 5XXError over Count',
    );
    const [, api] = resourcesOf(template, 'AWS::ApiGateway::RestApi')[0] as [string, Resource];
    t.equal(rateMetrics[0]?.dimensions.ApiName, api.Properties?.Name, 'of the API by its name');
    t.match(String(rateMetrics[0]?.dimensions.Stage), apiStage, 'and its stage');
    for (const [text, metricName, statistic] of [
      ['throttled', 'Throttles', 'Sum'],
      ['Lambda: invocations failed', 'Errors', 'Sum'],
      ['p99 duration', 'Duration', 'p99'],
    ] as const) {
      const alarm = alarmNamed(template, text);
      const [metric] = metricsOf(alarm);
      t.equal(`${metric?.namespace}:${metric?.name}`, `AWS/Lambda:${metricName}`, text);
      t.match(String(metric?.dimensions.FunctionName), /^\$\{\w*Function\w*\}$/);
      t.match(String(metric?.dimensions.FunctionName), new RegExp(`^\\$\\{${functionId.source.slice(1)}`));
      t.equal(alarm.Properties?.ExtendedStatistic ?? alarm.Properties?.Statistic, statistic);
    }
  }
  for (const [template, service, dependencies] of [
    [tokenizer, 'tokenizer', { Kms: 'kms', DynamoDb: 'store' }],
    [application, 'order-service', { DynamoDb: 'order-store', Tokenizer: 'tokenizer' }],
  ] as const) {
    for (const [label, dependency] of Object.entries(dependencies)) {
      const [metric] = metricsOf(alarmNamed(template, `${service}: ${label} unavailable`));
      t.same(
        metric,
        { namespace, name: 'DependencyErrors', dimensions: { service, dependency } },
        `${service} ${label}: the EMF dependency-error metric`,
      );
    }
  }
  const forwarderErrors = metricsOf(alarmNamed(tokenizer, 'Audit forwarder: invocations failed'))[0];
  t.match(forwarderErrors, { namespace: 'AWS/Lambda', name: 'Errors' });
  t.match(String(forwarderErrors?.dimensions.FunctionName), /^\$\{AuditTrailForwarder/);
  const deadLetters = metricsOf(alarmNamed(tokenizer, 'dead-letter queue'))[0];
  t.match(deadLetters, { namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible' });
  t.match(String(deadLetters?.dimensions.QueueName), /^\$\{AuditTrailFailedDeliveries\w*\.QueueName\}$/);
});

t.test(
  'dashboards: requests, 5xx, p99, outcomes, KMS calls, cache hits, dependency errors, forward',
  async (t) => {
    const bodyOf = (template: Template) =>
      JSON.stringify(
        render(resourcesOf(template, 'AWS::CloudWatch::Dashboard')[0]?.[1].Properties?.DashboardBody),
      );
    const tokenizerBody = bodyOf(tokenizer);
    for (const text of [
      'API requests and 5xx',
      'API latency p99',
      'Lambda duration p99',
      'tokenize by outcome',
      'detokenize by outcome',
      'forward by outcome',
      'Dependency errors',
      '\\"KmsCalls\\"',
      '\\"DataKeyCacheHits\\"',
      'MetricName=\\\\\\"Requests\\\\\\" service=\\\\\\"tokenizer\\\\\\" operation=\\\\\\"detokenize\\\\\\"',
    ]) {
      t.ok(tokenizerBody.includes(text), `tokenizer dashboard: ${text}`);
    }
    const orderBody = bodyOf(application);
    for (const text of ['createOrder by outcome', 'payBill by outcome', 'Dependency errors']) {
      t.ok(orderBody.includes(text), `order dashboard: ${text}`);
    }
    tokenizer.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'tokenization-tokenizer',
    });
    application.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'tokenization-order-service',
    });
  },
);

t.test('the functions emit into the deployment namespace, under their service names', async (t) => {
  for (const [template, service] of [
    [tokenizer, 'tokenizer'],
    [application, 'order-service'],
  ] as const) {
    const [fn] = resourcesOf(template, 'AWS::Lambda::Function').filter(
      ([, f]) => environmentOf(f).METRICS_SERVICE_NAME !== undefined,
    );
    t.ok(fn, `${service}: a function with the metrics settings`);
    const environment = environmentOf(fn?.[1] as Resource);
    t.equal(environment.METRICS_NAMESPACE, namespace);
    t.equal(environment.METRICS_SERVICE_NAME, service);
  }
});

t.test('X-Ray: functions traced, stages traced, an endpoint for the traced functions only', async (t) => {
  for (const template of [tokenizer, application]) {
    for (const [id, fn] of resourcesOf(template, 'AWS::Lambda::Function')) {
      t.same(fn.Properties?.TracingConfig, { Mode: 'Active' }, `${id} traced`);
    }
    template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
  }
  const endpoints = resourcesOf(network, 'AWS::EC2::VPCEndpoint').filter(([, endpoint]) =>
    renderString(endpoint.Properties?.ServiceName).endsWith('.xray'),
  );
  t.equal(endpoints.length, 1, 'one X-Ray interface endpoint');
  const [, endpoint] = endpoints[0] as [string, Resource];
  t.equal(endpoint.Properties?.VpcEndpointType, 'Interface');
  t.equal(endpoint.Properties?.PrivateDnsEnabled, true, 'the SDKs reach it by the regional name');
  const statements = statementsOf(endpoint.Properties?.PolicyDocument);
  t.equal(statements.length, 1);
  t.same(list(statements[0]?.Action).sort(), ['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  t.same(
    (render(list(statements[0]?.Condition?.ArnEquals?.['aws:PrincipalArn'])) as string[]).map((arn) =>
      arn.replace(/^.*:role\//, ''),
    ),
    ['tokenizer', 'order-service', 'audit-forwarder'].map(
      (role) => `${names.prefix}-${role}-\${AWS::Region}`,
    ),
    'only the three traced functions',
  );
  network.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
    Description: Match.stringLikeRegexp('^HTTPS from (TokenizerFunctions|OrderFunctions|AuditForwarder)'),
    GroupId: Match.objectLike({
      'Fn::GetAtt': [Match.stringLikeRegexp('^XRayEndpointSecurityGroup'), 'GroupId'],
    }),
  });
  for (const [, role] of [
    ...resourcesOf(tokenizer, 'AWS::IAM::ManagedPolicy'),
    ...resourcesOf(application, 'AWS::IAM::ManagedPolicy'),
  ]) {
    const statements = statementsOf(role.Properties?.PolicyDocument);
    if (!statements.some((s) => s.Sid === 'WriteOwnLogs')) continue;
    t.ok(
      statements.some((s) => s.Sid === 'WriteTraces' && list(s.Action).includes('xray:PutTraceSegments')),
      'each function role may write traces',
    );
  }
});
