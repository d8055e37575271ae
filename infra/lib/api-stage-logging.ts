import { Aws } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type RestApi,
  type StageOptions,
} from 'aws-cdk-lib/aws-apigateway';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { encryptedLogGroup, operationalLogRetention } from './encrypted-logs.js';

export interface StageLoggingProps {
  readonly stageName: string;
  readonly logsKey: IKey;
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
}

/**
 * Stage options shared by both APIs: JSON access logs (no bodies, no headers), ERROR-level execution logs
 * with data tracing OFF (data tracing would write request and response bodies, i.e. card numbers and
 * detokenized values, into CloudWatch), metrics, X-Ray, stage-wide throttling.
 */
export function stageOptions(
  scope: Construct,
  props: StageLoggingProps,
): { options: StageOptions; accessLogs: LogGroup } {
  const accessLogs = encryptedLogGroup(scope, 'AccessLogs', {
    key: props.logsKey,
    retention: operationalLogRetention,
  });
  return {
    accessLogs,
    options: {
      stageName: props.stageName,
      accessLogDestination: new LogGroupLogDestination(accessLogs),
      accessLogFormat: AccessLogFormat.jsonWithStandardFields({
        caller: true,
        httpMethod: true,
        ip: true,
        protocol: true,
        requestTime: true,
        resourcePath: true,
        responseLength: true,
        status: true,
        user: true,
      }),
      loggingLevel: MethodLoggingLevel.ERROR,
      dataTraceEnabled: false,
      metricsEnabled: true,
      tracingEnabled: true,
      throttlingRateLimit: props.throttling.rateLimit,
      throttlingBurstLimit: props.throttling.burstLimit,
    },
  };
}

/**
 * API Gateway creates `API-Gateway-Execution-Logs_{api-id}/{stage}` itself, unencrypted and kept forever,
 * unless it already exists: create it first, encrypted and with a retention.
 */
export function executionLogGroup(scope: Construct, api: RestApi, props: StageLoggingProps): LogGroup {
  const logGroup = encryptedLogGroup(scope, 'ExecutionLogs', {
    key: props.logsKey,
    retention: operationalLogRetention,
    logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/${props.stageName}`,
  });
  api.deploymentStage.node.addDependency(logGroup);
  return logGroup;
}

/** The invoke URL of a stage, without trailing slash. */
export function invokeUrl(api: RestApi, stageName: string): string {
  return `https://${api.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${stageName}`;
}
