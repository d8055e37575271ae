import { Aws, Duration } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ResourceNames } from './resource-names.js';

/**
 * The CloudWatch namespace of the services' embedded metrics (METRICS_NAMESPACE): one per deployment
 * prefix, so two deployments in one account never add up into the same metrics.
 */
export function metricsNamespace(names: ResourceNames): string {
  return `Tokenization/${names.prefix}`;
}

/** Every 5 minutes: the period of every alarm and graph here. */
const period = Duration.minutes(5);

export interface DependencyAlarm {
  /** The `dependency` dimension: the service's own name for it (`kms`, `store`, `order-store`, `tokenizer`). */
  readonly dependency: string;
  /** What the alarm calls it: `KMS`, `DynamoDB`, `Tokenizer`. */
  readonly label: string;
}

export interface ServiceObservabilityProps {
  /** The deployment's names (the dashboard's name and the metrics namespace). */
  readonly names: ResourceNames;
  /** The metrics' `service` dimension (METRICS_SERVICE_NAME). */
  readonly serviceName: string;
  readonly function: IFunction;
  /** The API stage in front of the function. */
  readonly stage: Stage;
  /** Encrypts the alarm topic; CloudWatch is allowed to use it for this account's alarms. */
  readonly topicKey: IKey;
  /** p99 duration of the function above which its alarm fires, in milliseconds. */
  readonly p99DurationThresholdMs: number;
  /** Dependencies whose outages (503s counted by the EMF `DependencyErrors` metric) raise an alarm. */
  readonly dependencyAlarms: readonly DependencyAlarm[];
  /** Operations graphed by outcome (`Requests` by `outcome`), e.g. tokenize, detokenize, forward. */
  readonly operationsByOutcome: readonly string[];
  /** The service's own counters, graphed as sums (e.g. KmsCalls, DataKeyCacheHits). */
  readonly counters?: readonly string[];
  /** The tokenizer's audit forwarder: its errors and its dead-letter queue raise an alarm. */
  readonly auditForwarder?: { readonly function: IFunction; readonly deadLetterQueue: IQueue };
}

/**
 * A service's dashboard and alarms, and the encrypted SNS topic the alarms notify. Request metrics come
 * from the service's one EMF line per request (service-kit/src/metrics.ts); the API and Lambda metrics from
 * API Gateway and Lambda themselves. docs/observability.md says what to do when each alarm fires.
 */
export class ServiceObservability extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];
  readonly #namespace: string;
  readonly #serviceName: string;

  constructor(scope: Construct, id: string, props: ServiceObservabilityProps) {
    super(scope, id);
    this.#namespace = metricsNamespace(props.names);
    this.#serviceName = props.serviceName;
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `${props.names.prefix} ${props.serviceName} alarms`,
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    // CloudWatch publishes to an encrypted topic only if the topic's key lets it; only this account's alarms.
    props.topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: `CloudWatchAlarmsPublishTo${id}Topic`,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
        },
      }),
    );

    const fn = props.function;
    const stage = props.stage;
    const requests = stage.metricCount({ period, statistic: 'Sum' });
    const serverErrors = stage.metricServerError({ period, statistic: 'Sum' });
    // A rate only once there is traffic to speak of: one 5xx among three requests is no outage.
    const serverErrorRate = new MathExpression({
      label: '5xx %',
      expression: 'IF(requests >= 20, 100 * errors / requests, 0)',
      usingMetrics: { requests, errors: serverErrors },
      period,
    });
    this.alarm('ServerErrorRate', {
      description: `${props.serviceName} API: 1% or more of the requests answered 5xx`,
      metric: serverErrorRate,
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });
    this.alarm('Throttles', {
      description: `${props.serviceName} Lambda: invocations throttled (reserved concurrency reached)`,
      metric: fn.metricThrottles({ period, statistic: 'Sum' }),
      threshold: 1,
    });
    this.alarm('Errors', {
      description: `${props.serviceName} Lambda: invocations failed (crash, timeout, out of memory)`,
      metric: fn.metricErrors({ period, statistic: 'Sum' }),
      threshold: 1,
    });
    this.alarm('P99Duration', {
      description: `${props.serviceName} Lambda: p99 duration above ${props.p99DurationThresholdMs} ms`,
      metric: fn.metricDuration({ period, statistic: 'p99' }),
      threshold: props.p99DurationThresholdMs,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });
    for (const { dependency, label } of props.dependencyAlarms) {
      this.alarm(`${label}Errors`, {
        description: `${props.serviceName}: ${label} unavailable (requests answered 503, DependencyErrors)`,
        metric: this.emfMetric('DependencyErrors', { dependency }),
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
      });
    }
    if (props.auditForwarder) {
      this.alarm('AuditForwarderErrors', {
        description: 'Audit forwarder: invocations failed (audit events are retried, then dead-lettered)',
        metric: props.auditForwarder.function.metricErrors({ period, statistic: 'Sum' }),
        threshold: 1,
      });
      this.alarm('AuditForwarderDeadLetters', {
        description: 'Audit forwarder: audit events in the dead-letter queue, not in the audit log group',
        metric: props.auditForwarder.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          statistic: 'Maximum',
        }),
        threshold: 1,
      });
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${props.names.prefix}-${props.serviceName}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      graph('API requests and 5xx', [requests, serverErrors], [serverErrorRate]),
      graph('API latency p99 (ms)', [stage.metricLatency({ period, statistic: 'p99' })]),
      graph('Lambda duration p99 (ms)', [fn.metricDuration({ period, statistic: 'p99' })]),
      graph('Lambda errors and throttles', [
        fn.metricErrors({ period, statistic: 'Sum' }),
        fn.metricThrottles({ period, statistic: 'Sum' }),
      ]),
    );
    this.dashboard.addWidgets(
      ...props.operationsByOutcome.map((operation) =>
        graph(`${operation} by outcome`, [this.search('Requests', 'operation,outcome', { operation })]),
      ),
      graph('Items by outcome', [
        this.search('ItemsSucceeded', 'operation,outcome'),
        this.search('ItemsFailed', 'operation,outcome'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Dependency errors', [this.search('DependencyErrors', 'dependency')]),
      ...(props.counters?.length
        ? [
            graph(
              'Dependency calls and cache',
              props.counters.map((name) => this.emfMetric(name)),
            ),
          ]
        : []),
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12 }),
    );
  }

  /** An EMF metric of this service: `service` plus `dimensions`, summed per period. */
  emfMetric(metricName: string, dimensions: Record<string, string> = {}): Metric {
    return new Metric({
      namespace: this.#namespace,
      metricName,
      dimensionsMap: { service: this.#serviceName, ...dimensions },
      statistic: 'Sum',
      period,
    });
  }

  /** Every series of an EMF metric over a dimension set (one line per value of `dimensionNames`). */
  private search(metricName: string, dimensionNames: string, filter: Record<string, string> = {}): IMetric {
    const filters = Object.entries({ service: this.#serviceName, ...filter })
      .map(([name, value]) => `${name}="${value}"`)
      .join(' ');
    return new MathExpression({
      expression: `SEARCH('{"${this.#namespace}",service,${dimensionNames}} MetricName="${metricName}" ${filters}', 'Sum', ${period.toSeconds()})`,
      usingMetrics: {},
      period,
    });
  }

  private alarm(
    id: string,
    props: {
      description: string;
      metric: IMetric;
      threshold: number;
      evaluationPeriods?: number;
      datapointsToAlarm?: number;
    },
  ): void {
    const alarm = new Alarm(this, id, {
      alarmDescription: `${props.description}. See docs/observability.md.`,
      metric: props.metric,
      threshold: props.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: props.evaluationPeriods ?? 1,
      datapointsToAlarm: props.datapointsToAlarm ?? 1,
      // No traffic, no data: nothing is wrong.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}

function graph(title: string, left: IMetric[], right: IMetric[] = []): GraphWidget {
  return new GraphWidget({ title, left, right, width: 6, height: 6 });
}
