import { Aws, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import {
  FlowLog,
  FlowLogDestination,
  FlowLogResourceType,
  FlowLogTrafficType,
  GatewayVpcEndpoint,
  GatewayVpcEndpointAwsService,
  type IInterfaceVpcEndpointService,
  InterfaceVpcEndpoint,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal, StarPrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { acknowledge } from './compliance.js';
import { encryptedLogGroup, LogsKey, operationalLogRetention } from './encrypted-logs.js';
import type { ResourceNames } from './resource-names.js';
import { orderTableActions, vaultTableActions } from './table-access.js';
import { executeApiEndpointStatements } from './tokenizer-access.js';
import { roleArnFromName, type TokenizerClient } from './tokenizer-clients.js';
import { tokenizerKmsActions } from './vault-key.js';

export interface NetworkStackProps extends StackProps {
  readonly names: ResourceNames;
  readonly stageName: string;
  /** The tokenizer's callers: the execute-api endpoint policy lets each invoke only its own routes. */
  readonly tokenizerClients: readonly TokenizerClient[];
}

/**
 * The network: a VPC with isolated subnets only (no internet gateway, no NAT) in two availability zones,
 * flow logs, and the VPC endpoints through which the functions reach AWS. Every endpoint policy lists what
 * the services call and nothing else. The security groups of the functions live here too, next to the
 * endpoint groups they are allowed to reach, so the network owner reviews every allowed flow in one file.
 *
 * Also here: API Gateway's account-level CloudWatch Logs role, needed by both APIs' execution logs.
 */
export class NetworkStack extends Stack {
  readonly vpc: Vpc;
  readonly executeApiEndpoint: InterfaceVpcEndpoint;
  readonly kmsEndpoint: InterfaceVpcEndpoint;
  readonly tokenizerFunctionSecurityGroup: SecurityGroup;
  readonly orderFunctionSecurityGroup: SecurityGroup;
  readonly auditForwarderSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { names } = props;

    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
      restrictDefaultSecurityGroup: true,
    });
    const subnets = { subnetType: SubnetType.PRIVATE_ISOLATED };

    this.addFlowLogs();

    // Function security groups: no default egress; each rule below is a flow the function needs.
    this.tokenizerFunctionSecurityGroup = this.functionSecurityGroup(
      'TokenizerFunctions',
      'Tokenizer Lambda',
    );
    this.orderFunctionSecurityGroup = this.functionSecurityGroup('OrderFunctions', 'Order service Lambda');
    this.auditForwarderSecurityGroup = this.functionSecurityGroup(
      'AuditForwarder',
      'Audit log forwarder Lambda',
    );

    // DynamoDB: gateway endpoint. Its route uses the regional DynamoDB prefix list, whose ID CloudFormation
    // cannot look up in an environment-agnostic stack; the isolated subnets have no other route out, so
    // "HTTPS to anywhere" reaches only the VPC's endpoints and DynamoDB.
    const dynamoDb = new GatewayVpcEndpoint(this, 'DynamoDbEndpoint', {
      vpc: this.vpc,
      service: GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: [subnets],
    });
    const tokenizerRoleArn = roleArnFromName(names.tokenizerRole);
    const orderRoleArn = roleArnFromName(names.orderServiceRole);
    dynamoDb.addToPolicy(
      new PolicyStatement({
        sid: 'TokenizerUsesTheVaultTable',
        principals: [new StarPrincipal()],
        actions: vaultTableActions,
        resources: [this.tableArn(names.tokenVaultTable)],
        conditions: { ArnEquals: { 'aws:PrincipalArn': tokenizerRoleArn } },
      }),
    );
    dynamoDb.addToPolicy(
      new PolicyStatement({
        sid: 'OrderServiceUsesTheOrderTable',
        principals: [new StarPrincipal()],
        actions: orderTableActions,
        resources: [this.tableArn(names.customerOrderTable)],
        conditions: { ArnEquals: { 'aws:PrincipalArn': orderRoleArn } },
      }),
    );
    for (const group of [this.tokenizerFunctionSecurityGroup, this.orderFunctionSecurityGroup]) {
      group.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to DynamoDB through the gateway endpoint');
    }

    // KMS: only the tokenizer, only on the vault key (matched by alias: its ID is not known here).
    this.kmsEndpoint = this.interfaceEndpoint('KmsEndpoint', InterfaceVpcEndpointAwsService.KMS, [
      this.tokenizerFunctionSecurityGroup,
    ]);
    this.kmsEndpoint.addToPolicy(
      new PolicyStatement({
        sid: 'TokenizerUsesTheVaultKey',
        principals: [new StarPrincipal()],
        actions: tokenizerKmsActions,
        resources: [`arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`],
        conditions: {
          ArnEquals: { 'aws:PrincipalArn': tokenizerRoleArn },
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': names.vaultKeyAlias },
        },
      }),
    );

    // CloudWatch Logs: only the audit forwarder, only into the audit log group. (Lambda's own logs are
    // shipped by the Lambda service, not through the VPC.)
    const logs = this.interfaceEndpoint('LogsEndpoint', InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS, [
      this.auditForwarderSecurityGroup,
    ]);
    logs.addToPolicy(
      new PolicyStatement({
        sid: 'AuditForwarderWritesTheAuditLogGroup',
        principals: [new StarPrincipal()],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [
          `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:${names.auditLogGroup}:*`,
        ],
        conditions: { ArnEquals: { 'aws:PrincipalArn': roleArnFromName(names.auditForwarderRole) } },
      }),
    );

    // execute-api: the tokenizer's callers, each on its own routes. Private DNS makes the private API answer
    // on https://{api-id}.execute-api.{region}.amazonaws.com inside the VPC.
    this.executeApiEndpoint = this.interfaceEndpoint(
      'ExecuteApiEndpoint',
      InterfaceVpcEndpointAwsService.APIGATEWAY,
      [this.orderFunctionSecurityGroup],
    );
    for (const statement of executeApiEndpointStatements({
      principals: props.tokenizerClients,
      stageName: props.stageName,
      executeApiArnPrefix: `arn:${Aws.PARTITION}:execute-api:${Aws.REGION}:${Aws.ACCOUNT_ID}`,
    })) {
      this.executeApiEndpoint.addToPolicy(statement);
    }

    this.addApiGatewayLoggingRole();
  }

  private tableArn(tableName: string): string {
    return `arn:${Aws.PARTITION}:dynamodb:${Aws.REGION}:${Aws.ACCOUNT_ID}:table/${tableName}`;
  }

  private functionSecurityGroup(id: string, what: string): SecurityGroup {
    return new SecurityGroup(this, `${id}SecurityGroup`, {
      vpc: this.vpc,
      description: `${what}: egress to its VPC endpoints only`,
      allowAllOutbound: false,
    });
  }

  /** An interface endpoint in the isolated subnets whose security group admits HTTPS from `clients` only. */
  private interfaceEndpoint(
    id: string,
    service: IInterfaceVpcEndpointService,
    clients: SecurityGroup[],
  ): InterfaceVpcEndpoint {
    const securityGroup = new SecurityGroup(this, `${id}SecurityGroup`, {
      vpc: this.vpc,
      description: `${id}: HTTPS from the functions that use it`,
      allowAllOutbound: false,
    });
    const endpoint = new InterfaceVpcEndpoint(this, id, {
      vpc: this.vpc,
      service,
      subnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
      privateDnsEnabled: true,
      open: false,
      securityGroups: [securityGroup],
    });
    for (const client of clients) {
      securityGroup.addIngressRule(client, Port.tcp(443), `HTTPS from ${client.node.id}`);
      client.addEgressRule(securityGroup, Port.tcp(443), `HTTPS to ${id}`);
    }
    return endpoint;
  }

  private addFlowLogs(): void {
    const logsKey = new LogsKey(this, 'LogsKey', { description: 'CloudWatch Logs of the network stack' });
    const logGroup = encryptedLogGroup(this, 'FlowLogs', {
      key: logsKey.key,
      retention: operationalLogRetention,
    });
    const role = new Role(this, 'FlowLogsRole', {
      description: 'VPC flow logs delivery to CloudWatch Logs',
      assumedBy: new ServicePrincipal('vpc-flow-logs.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:vpc-flow-log/*`,
          },
        },
      }),
    });
    const policy = new ManagedPolicy(this, 'FlowLogsPolicy', {
      description: 'VPC flow logs write into the flow-log group only',
      roles: [role],
      statements: [
        new PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [logGroup.logGroupArn],
        }),
      ],
    });
    const flowLog = new FlowLog(this, 'FlowLog', {
      resourceType: FlowLogResourceType.fromVpc(this.vpc),
      destination: FlowLogDestination.toCloudWatchLogs(logGroup, role.withoutPolicyUpdates()),
      trafficType: FlowLogTrafficType.ALL,
    });
    flowLog.node.addDependency(policy);
  }

  /**
   * API Gateway writes execution logs with one role per account and region (AWS::ApiGateway::Account).
   * CDK's `cloudWatchRole` option would attach the AWS managed policy, which reaches every log group; this
   * one reaches the API Gateway execution log groups only.
   */
  private addApiGatewayLoggingRole(): void {
    const executionLogGroups = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:API-Gateway-Execution-Logs_*`;
    const role = new Role(this, 'ApiGatewayLoggingRole', {
      description: 'API Gateway execution logging (account setting)',
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
    });
    const policy = new ManagedPolicy(this, 'ApiGatewayLoggingPolicy', {
      description: 'API Gateway writes execution logs into API-Gateway-Execution-Logs_* only',
      roles: [role],
      statements: [
        new PolicyStatement({
          actions: [
            'logs:CreateLogGroup',
            'logs:CreateLogStream',
            'logs:DescribeLogGroups',
            'logs:DescribeLogStreams',
            'logs:PutLogEvents',
            'logs:GetLogEvents',
            'logs:FilterLogEvents',
          ],
          resources: [executionLogGroups, `${executionLogGroups}:log-stream:*`],
        }),
      ],
    });
    // Retained: the account setting keeps pointing at this role after the stack is gone, and other APIs in
    // the account may rely on it.
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    policy.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const account = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
    account.node.addDependency(policy);
    // cdk-nag renders the pseudo parameters of the ARN as <AWS::...>.
    const rendered =
      'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:API-Gateway-Execution-Logs_*';
    const reason =
      'API Gateway names execution log groups API-Gateway-Execution-Logs_{rest-api-id}/{stage}; this ' +
      'account-wide role serves the APIs of stacks deployed after this one, whose IDs do not exist yet, so ' +
      'the policy is scoped to that name prefix (and its streams) instead of every log group.';
    acknowledge(policy, `AwsSolutions-IAM5[Resource::${rendered}]`, reason);
    acknowledge(policy, `AwsSolutions-IAM5[Resource::${rendered}:log-stream:*]`, reason);
  }
}
