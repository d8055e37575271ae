import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { FilterPattern, type ILogGroup, type LogGroup, SubscriptionFilter } from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './compliance.js';
import { auditLogRetention, encryptedLogGroup, operationalLogRetention } from './encrypted-logs.js';
import { LambdaExecutionRole } from './lambda-execution-role.js';
import { acknowledgeNode22 } from './service-function.js';

export interface AuditTrailProps {
  /** The tokenizer's log group: its audit lines (`"audit": true`) are copied out of it. */
  readonly source: ILogGroup;
  readonly auditLogGroupName: string;
  readonly forwarderRoleName: string;
  readonly logsKey: IKey;
  readonly vpc: IVpc;
  readonly securityGroup: ISecurityGroup;
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The tokenizer's audit trail: a dedicated, KMS-encrypted log group with a long retention, fed by a
 * subscription filter (`{ $.audit IS TRUE }`) on the tokenizer's log group and a small forwarder function.
 *
 * Why this route: the tokenizer keeps writing one stream of JSON lines (its audit logger and its
 * operational logger both go to stdout, as Lambda expects) and needs no logs permission of its own; the
 * audit log group gets its own retention, key and readers, separate from the noisy operational logs.
 * CloudWatch Logs cannot subscribe one log group to another directly, hence the forwarder (20 lines, no
 * dependencies). Kinesis Data Firehose to an S3 bucket with Object Lock would make the trail immutable
 * (WORM) at the price of a bucket, a stream, their keys and access logs; choose it when an assessor asks
 * for write-once storage. Lost deliveries are not lost events: the source log group keeps every line for a
 * year, and a batch the forwarder fails on (after Lambda's two retries of an asynchronous invocation) lands
 * in an encrypted dead-letter queue (`failedDeliveries`, kept 14 days) with the error, to be replayed.
 */
export class AuditTrail extends Construct {
  readonly logGroup: LogGroup;
  readonly forwarder: LambdaFunction;
  /** Lambda's on-failure destination: the invocation records of batches the forwarder could not copy. */
  readonly failedDeliveries: Queue;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    this.logGroup = encryptedLogGroup(this, 'LogGroup', {
      key: props.logsKey,
      retention: auditLogRetention,
      logGroupName: props.auditLogGroupName,
    });
    const forwarderLogs = encryptedLogGroup(this, 'ForwarderLogs', {
      key: props.logsKey,
      retention: operationalLogRetention,
    });
    this.failedDeliveries = new Queue(this, 'FailedDeliveries', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.logsKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.failedDeliveries,
      'AwsSolutions-SQS3',
      "This queue is itself the dead-letter destination: Lambda's on-failure destination of the audit " +
        'forwarder. Nothing consumes it automatically; an operator replays its records, so it needs no ' +
        'dead-letter queue of its own.',
    );
    const role = new LambdaExecutionRole(this, 'ForwarderRole', {
      roleName: props.forwarderRoleName,
      description: 'Copies the tokenizer audit events into the audit log group',
      logGroup: forwarderLogs,
      statements: [
        new PolicyStatement({
          sid: 'WriteTheAuditLogGroup',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn],
        }),
        // Lambda sends the on-failure record with the function's role, outside the VPC.
        new PolicyStatement({
          sid: 'RecordFailedDeliveries',
          actions: ['sqs:SendMessage'],
          resources: [this.failedDeliveries.queueArn],
        }),
        new PolicyStatement({
          sid: 'EncryptFailedDeliveries',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [props.logsKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `sqs.${Stack.of(this).region}.${Stack.of(this).urlSuffix}` },
          },
        }),
      ],
    });
    this.forwarder = new LambdaFunction(this, 'Forwarder', {
      description: 'Copies tokenizer audit events into the audit log group',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      handler: 'index.handler',
      code: Code.fromInline(forwarderSource),
      memorySize: 256,
      timeout: Duration.seconds(30),
      role: role.functionRole,
      logGroup: forwarderLogs,
      tracing: Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      vpc: props.vpc,
      vpcSubnets: { subnets: props.vpc.isolatedSubnets },
      securityGroups: [props.securityGroup],
      environment: { AUDIT_LOG_GROUP_NAME: props.auditLogGroupName },
      onFailure: new SqsDestination(this.failedDeliveries),
      retryAttempts: 2,
    });
    this.forwarder.node.addDependency(role.policy);
    acknowledgeNode22(this.forwarder);
    new SubscriptionFilter(this, 'AuditEvents', {
      logGroup: props.source,
      destination: new LambdaDestination(this.forwarder),
      filterPattern: FilterPattern.booleanValue('$.audit', true),
    });
  }
}

/**
 * The forwarder (CommonJS, inline, AWS SDK v3 from the Node.js 22 runtime). One destination stream per
 * source stream, so the audit group keeps the tokenizer's per-container ordering.
 */
export const forwarderSource = `
const { gunzipSync } = require('node:zlib');
const { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } = require('@aws-sdk/client-cloudwatch-logs');
const client = new CloudWatchLogsClient({});
const logGroupName = process.env.AUDIT_LOG_GROUP_NAME;
const created = new Set();
exports.handler = async (event) => {
  const batch = JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8'));
  if (batch.messageType !== 'DATA_MESSAGE' || batch.logEvents.length === 0) return;
  const logStreamName = batch.logStream.replace(/[:*]/g, '_');
  if (!created.has(logStreamName)) {
    try {
      await client.send(new CreateLogStreamCommand({ logGroupName, logStreamName }));
    } catch (error) {
      if (error.name !== 'ResourceAlreadyExistsException') throw error;
    }
    created.add(logStreamName);
  }
  const logEvents = batch.logEvents
    .map((e) => ({ timestamp: e.timestamp, message: e.message }))
    .sort((a, b) => a.timestamp - b.timestamp);
  await client.send(new PutLogEventsCommand({ logGroupName, logStreamName, logEvents }));
};
`.trim();
