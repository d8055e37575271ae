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
import {
  forwarderVaultTableActions,
  keyStoreReaderActions,
  orderTableActions,
  vaultTableActions,
} from './table-access.js';
import { executeApiEndpointStatements } from './tokenizer-access.js';
import { roleArnFromName, type TokenizerClient } from './tokenizer-clients.js';
import { tokenizerKmsActions } from './vault-key.js';

export interface NetworkStackProps extends StackProps {
  readonly names: ResourceNames;
  readonly stageName: string;
  /** The tokenizer's callers: the execute-api endpoint policy lets each invoke only its own routes. */
  readonly tokenizerClients: readonly TokenizerClient[];
  /** Create API Gateway's account-wide CloudWatch Logs role and set it (replaces the account's current one). */
  readonly setApiGatewayAccountLogging: boolean;
  /**
   * Forwarding is configured (docs/forwarding.md, "In AWS"): add public subnets with NAT gateways (one, or
   * one per AZ) and private subnets with egress for the forwarder. Without it the VPC has no route out.
   */
  readonly forwarding?: { readonly natGatewayPerAz: boolean };
}

/**
 * The network: a VPC with isolated subnets (no route out) in two availability zones, plus, only when
 * forwarding is configured, egress subnets behind NAT for the tokenizer's forwarder,
 * flow logs, and the VPC endpoints through which the functions reach AWS. Every endpoint policy lists what
 * the services call and nothing else. The security groups of the functions live here too, next to the
 * endpoint groups they are allowed to reach, so the network owner reviews every allowed flow in one file.
 *
 * Also here, on request only (`setApiGatewayAccountLogging`): API Gateway's account-level CloudWatch Logs
 * role, which both APIs' logs need and which may already be set for the account.
 */
export class NetworkStack extends Stack {
  readonly vpc: Vpc;
  readonly executeApiEndpoint: InterfaceVpcEndpoint;
  readonly kmsEndpoint: InterfaceVpcEndpoint;
  readonly tokenizerFunctionSecurityGroup: SecurityGroup;
  readonly orderFunctionSecurityGroup: SecurityGroup;
  readonly auditForwarderSecurityGroup: SecurityGroup;
  /** The forwarder's group, only when forwarding is configured. */
  readonly forwarderSecurityGroup: SecurityGroup | undefined;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { names } = props;

    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: 2,
      natGateways: props.forwarding ? (props.forwarding.natGatewayPerAz ? 2 : 1) : 0,
      // The isolated group stays first, so adding the others later keeps its CIDR blocks (and the functions).
      subnetConfiguration: [
        { name: 'isolated', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 22 },
        ...(props.forwarding
          ? [
              { name: 'egress', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
              { name: 'nat', subnetType: SubnetType.PUBLIC, cidrMask: 26, mapPublicIpOnLaunch: false },
            ]
          : []),
      ],
      restrictDefaultSecurityGroup: true,
    });
    const subnets = { subnetType: SubnetType.PRIVATE_ISOLATED };
    const egressSubnets = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };
    for (const natSubnet of this.vpc.publicSubnets) {
      acknowledge(
        natSubnet,
        'PCI.DSS.321-VPCNoUnrestrictedRouteToIGW',
        'The public subnets hold the NAT gateways only: no function or interface of ours is placed there and ' +
          'no subnet assigns public addresses, so nothing is reachable from the internet. The NAT gateways ' +
          'need this route to reach the connections; only the forwarder (its security group: HTTPS only) ' +
          'uses them, and docs/forwarding.md lists how to filter that egress by domain.',
      );
    }

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
    this.forwarderSecurityGroup = props.forwarding
      ? this.functionSecurityGroup('Forwarder', 'Tokenizer forwarder Lambda (destinations through NAT)')
      : undefined;

    // DynamoDB: gateway endpoint. Its route uses the regional DynamoDB prefix list, whose ID CloudFormation
    // cannot look up in an environment-agnostic stack; the isolated subnets have no other route out, so
    // "HTTPS to anywhere" reaches only the VPC's endpoints and DynamoDB.
    const dynamoDb = new GatewayVpcEndpoint(this, 'DynamoDbEndpoint', {
      vpc: this.vpc,
      service: GatewayVpcEndpointAwsService.DYNAMODB,
      // The egress subnets too: the forwarder's DynamoDB calls stay off the NAT and under this policy.
      subnets: props.forwarding ? [subnets, egressSubnets] : [subnets],
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
        sid: 'TokenizerReadsBranchKeys',
        principals: [new StarPrincipal()],
        actions: keyStoreReaderActions,
        resources: [this.tableArn(names.keyStoreTable)],
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
    const forwarderRoleArn = roleArnFromName(names.tokenizerForwarderRole);
    if (this.forwarderSecurityGroup) {
      dynamoDb.addToPolicy(
        new PolicyStatement({
          sid: 'ForwarderReadsAndSpendsVaultItems',
          principals: [new StarPrincipal()],
          actions: forwarderVaultTableActions,
          resources: [this.tableArn(names.tokenVaultTable)],
          conditions: { ArnEquals: { 'aws:PrincipalArn': forwarderRoleArn } },
        }),
      );
      dynamoDb.addToPolicy(
        new PolicyStatement({
          sid: 'ForwarderReadsBranchKeys',
          principals: [new StarPrincipal()],
          actions: keyStoreReaderActions,
          resources: [this.tableArn(names.keyStoreTable)],
          conditions: { ArnEquals: { 'aws:PrincipalArn': forwarderRoleArn } },
        }),
      );
      // In the egress subnets "anywhere" is the internet (through NAT): the connections' destinations and
      // Secrets Manager; DynamoDB still goes through the gateway endpoint. See docs/forwarding.md for
      // filtering this egress by domain.
      this.forwarderSecurityGroup.addEgressRule(
        Peer.anyIpv4(),
        Port.tcp(443),
        'HTTPS to the connections, Secrets Manager (NAT) and DynamoDB (gateway endpoint)',
      );
    }

    // KMS: only the tokenizer role, on this account's keys. The keys are not named here: their IDs are not known
    // to this stack, and `kms:ResourceAliases` is documented for IAM policies, not endpoint policies. The vault
    // key's and the branch key KMS key's own policies limit the role, the encryption context and the endpoint
    // (aws:SourceVpce).
    this.kmsEndpoint = this.interfaceEndpoint('KmsEndpoint', InterfaceVpcEndpointAwsService.KMS, [
      this.tokenizerFunctionSecurityGroup,
      ...(this.forwarderSecurityGroup ? [this.forwarderSecurityGroup] : []),
    ]);
    this.kmsEndpoint.addToPolicy(
      new PolicyStatement({
        sid: 'TokenizerUsesTheVaultKey',
        principals: [new StarPrincipal()],
        actions: tokenizerKmsActions,
        resources: [`arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`],
        conditions: { ArnEquals: { 'aws:PrincipalArn': tokenizerRoleArn } },
      }),
    );
    if (this.forwarderSecurityGroup) {
      this.kmsEndpoint.addToPolicy(
        new PolicyStatement({
          sid: 'ForwarderDecryptsVaultValues',
          principals: [new StarPrincipal()],
          actions: ['kms:Decrypt'],
          resources: [`arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`],
          conditions: { ArnEquals: { 'aws:PrincipalArn': forwarderRoleArn } },
        }),
      );
    }

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

    // X-Ray: the traced functions (active tracing) send their trace segments, and nothing else, through it.
    const tracedFunctions: (readonly [SecurityGroup, string])[] = [
      [this.tokenizerFunctionSecurityGroup, names.tokenizerRole],
      [this.orderFunctionSecurityGroup, names.orderServiceRole],
      [this.auditForwarderSecurityGroup, names.auditForwarderRole],
      ...(this.forwarderSecurityGroup
        ? [[this.forwarderSecurityGroup, names.tokenizerForwarderRole] as const]
        : []),
    ];
    const xRay = this.interfaceEndpoint(
      'XRayEndpoint',
      InterfaceVpcEndpointAwsService.XRAY,
      tracedFunctions.map(([group]) => group),
    );
    xRay.addToPolicy(
      new PolicyStatement({
        sid: 'TracedFunctionsSendTraces',
        principals: [new StarPrincipal()],
        // The two actions support no resource-level permissions.
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        resources: ['*'],
        conditions: {
          ArnEquals: { 'aws:PrincipalArn': tracedFunctions.map(([, role]) => roleArnFromName(role)) },
        },
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

    if (props.setApiGatewayAccountLogging) this.addApiGatewayLoggingRole();
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
      // Confused-deputy guard: API Gateway assumes it for this account's APIs only.
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
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
