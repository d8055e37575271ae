import { type IRole, ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from './compliance.js';

export interface LambdaExecutionRoleProps {
  /** Fixed role name (see ResourceNames: other stacks' policies name this role). */
  readonly roleName: string;
  readonly description: string;
  /** The function's own log group. */
  readonly logGroup: ILogGroup;
  /** What the function itself calls. */
  readonly statements: PolicyStatement[];
}

/**
 * A Lambda execution role whose every permission sits in one customer managed policy written here: no AWS
 * managed policies (AWSLambdaBasicExecutionRole and AWSLambdaVPCAccessExecutionRole grant logs on every
 * log group) and no inline policies. The function receives `functionRole`, which ignores the grants
 * aws-lambda would add on its own, so nothing is granted that is not listed in this file or by the caller.
 */
export class LambdaExecutionRole extends Construct {
  readonly role: Role;
  readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: LambdaExecutionRoleProps) {
    super(scope, id);
    this.role = new Role(this, 'Role', {
      roleName: props.roleName,
      description: props.description,
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    });
    this.policy = new ManagedPolicy(this, 'Policy', {
      description: `Permissions of ${props.roleName}`,
      roles: [this.role],
      statements: [
        new PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [props.logGroup.logGroupArn],
        }),
        new PolicyStatement({
          sid: 'ManageVpcNetworkInterfaces',
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
        new PolicyStatement({
          sid: 'WriteTraces',
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
        ...props.statements,
      ],
    });
    acknowledge(
      this.policy,
      'AwsSolutions-IAM5[Resource::*]',
      'Resource "*" only for the Lambda VPC network-interface actions (Lambda creates the ENIs before any ' +
        'interface ID exists; the Describe* actions support no resource scoping) and for ' +
        'xray:PutTraceSegments/PutTelemetryRecords, which support no resource-level permissions. Every other ' +
        'statement names its resource ARN.',
    );
  }

  /** The role as the function sees it: CDK cannot add statements behind this policy's back. */
  get functionRole(): IRole {
    return this.role.withoutPolicyUpdates();
  }
}
