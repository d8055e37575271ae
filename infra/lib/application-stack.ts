import {
  orderIdAttribute,
  orderOwnerAttribute,
  orderTimeToLiveAttribute,
} from '@tokenization/order-service/order-table';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { acknowledgeWildcardResources } from './compliance.js';
import { encryptedLogGroup, LogsKey, operationalLogRetention } from './encrypted-logs.js';
import { dynamoDbTableEncryption, keyAdministration } from './key-policy-statements.js';
import { LambdaExecutionRole } from './lambda-execution-role.js';
import { metricsNamespace, ServiceObservability } from './observability.js';
import { OrderApi } from './order-api.js';
import { OrderUsers } from './order-users.js';
import { OrderWebAcl } from './order-web-acl.js';
import type { ResourceNames } from './resource-names.js';
import { type LambdaCodeMode, ServiceFunction } from './service-function.js';
import { orderTableActions } from './table-access.js';
import { invokePath } from './tokenizer-access.js';
import type { TokenizerApi } from './tokenizer-api.js';
import type { TokenizerClient } from './tokenizer-clients.js';

export interface ApplicationStackProps extends StackProps {
  readonly names: ResourceNames;
  readonly codeMode: LambdaCodeMode;
  readonly vpc: IVpc;
  readonly functionSecurityGroup: ISecurityGroup;
  readonly tokenizerApi: TokenizerApi;
  /** The order service's entry in the tokenizer's principal list: its role name and the routes it calls. */
  readonly tokenizerClient: TokenizerClient;
  readonly stageName: string;
  readonly logLevel: string;
  readonly reservedConcurrency?: number;
  /** Self sign-up with email verification (the sample's walkthrough); off for administrator-created users. */
  readonly selfSignUp: boolean;
  /** Browser origins of the order API's CORS; none: no CORS. */
  readonly corsAllowedOrigins: readonly string[];
  readonly wafRateLimitPer5Minutes: number;
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
}

/** Attribute DynamoDB's TTL reads on the order table (epoch seconds), as the service names it. */
export const orderTtlAttribute = orderTimeToLiveAttribute;

/**
 * The application team's stack: Cognito, the order table, the order function and its public API behind a
 * web ACL. The order role can invoke the tokenizer routes it calls and use its own table; it has no KMS permission in
 * its IAM policy and nothing on the vault key or vault table.
 */
export class ApplicationStack extends Stack {
  readonly orderRole: LambdaExecutionRole;
  readonly orderTable: Table;
  readonly orderTableKey: Key;
  readonly orderApi: OrderApi;
  readonly users: OrderUsers;
  readonly orderService: ServiceFunction;
  readonly observability: ServiceObservability;

  constructor(scope: Construct, id: string, props: ApplicationStackProps) {
    super(scope, id, props);
    const { names, tokenizerClient } = props;
    const logsKey = new LogsKey(this, 'LogsKey', { description: 'CloudWatch Logs of the order application' });
    const functionLogs = encryptedLogGroup(this, 'OrderServiceLogs', {
      key: logsKey.key,
      retention: operationalLogRetention,
    });

    this.users = new OrderUsers(this, 'Users', {
      userPoolName: `${names.prefix}-order-users`,
      selfSignUp: props.selfSignUp,
    });

    // The role's name is the one the tokenizer's principal list computed its ARN from (see resource-names.ts):
    // this stack deploys after the tokenizer stack, which must not import anything from here.
    // Path parameters are `*` in execute-api ARNs: DELETE /v1/tokens/{token} is `…/DELETE/v1/tokens/*`.
    const tokenizerRoutes = tokenizerClient.calls.map((call) =>
      props.tokenizerApi.api.arnForExecuteApi(call.method, invokePath(call), props.stageName),
    );
    this.orderRole = new LambdaExecutionRole(this, 'OrderServiceRole', {
      roleName: tokenizerClient.roleName,
      description: 'Order service Lambda: its table and the tokenizer routes it calls, nothing of the vault',
      logGroup: functionLogs,
      statements: [
        new PolicyStatement({
          sid: 'UseTheOrderTable',
          actions: orderTableActions,
          resources: [
            this.formatArn({
              service: 'dynamodb',
              resource: 'table',
              resourceName: names.customerOrderTable,
            }),
          ],
        }),
        new PolicyStatement({
          sid: 'InvokeTheTokenizerRoutesItCalls',
          actions: ['execute-api:Invoke'],
          resources: tokenizerRoutes,
        }),
      ],
    });
    acknowledgeWildcardResources(
      this.orderRole.policy,
      tokenizerRoutes.filter((arn) => arn.includes('*')),
      'The "*" is the {token} path parameter of POST /v1/tokens/{token}/verify and DELETE /v1/tokens/{token} ' +
        'on the tokenizer API named by its ID and stage: tokens are random and unknown in advance; the ' +
        "tokenizer only verifies and deletes tokens of the order service's own tenant.",
    );

    // The order table has its own key: its items hold tokens, names and addresses, never card numbers.
    this.orderTableKey = new Key(this, 'OrderTableKey', {
      description: 'Encrypts the customer order table',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
      policy: new PolicyDocument({
        statements: [
          keyAdministration(),
          ...dynamoDbTableEncryption({
            tableName: names.customerOrderTable,
            principals: [this.orderRole.role],
          }),
        ],
      }),
    });
    this.orderTable = new Table(this, 'OrderTable', {
      tableName: names.customerOrderTable,
      // Orders are the owner's (their Cognito `sub`): a CustomerOrder is unique per owner only. The names
      // are the service's (order-table.ts), as the local stack and docker-compose's init use them.
      partitionKey: { name: orderOwnerAttribute, type: AttributeType.STRING },
      sortKey: { name: orderIdAttribute, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.orderTableKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      timeToLiveAttribute: orderTtlAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.orderService = new ServiceFunction(this, 'OrderService', {
      entry: 'order-service/src/lambda.ts',
      description: 'Order service (Fastify on Lambda)',
      codeMode: props.codeMode,
      executionRole: this.orderRole,
      logGroup: functionLogs,
      vpc: props.vpc,
      securityGroup: props.functionSecurityGroup,
      reservedConcurrentExecutions: props.reservedConcurrency,
      memorySize: 512,
      timeout: Duration.seconds(20),
      environment: {
        ORDER_TABLE_NAME: this.orderTable.tableName,
        TOKENIZER_API_URL: props.tokenizerApi.url,
        COGNITO_USER_POOL_ID: this.users.userPool.userPoolId,
        COGNITO_CLIENT_ID: this.users.client.userPoolClientId,
        // The issuer's domain is the partition's (amazonaws.com, amazonaws.com.cn).
        AWS_URL_SUFFIX: Aws.URL_SUFFIX,
        LOG_LEVEL: props.logLevel,
        METRICS_NAMESPACE: metricsNamespace(names),
        METRICS_SERVICE_NAME: 'order-service',
        // The preflight's origins: with the proxy integration the service's own answers carry the CORS headers.
        ...(props.corsAllowedOrigins.length > 0
          ? { CORS_ALLOWED_ORIGINS: props.corsAllowedOrigins.join(',') }
          : {}),
      },
    });

    this.orderApi = new OrderApi(this, 'OrderApi', {
      handler: this.orderService.function,
      userPool: this.users.userPool,
      stageName: props.stageName,
      logsKey: logsKey.key,
      throttling: props.throttling,
      corsAllowedOrigins: props.corsAllowedOrigins,
    });
    new OrderWebAcl(this, 'WebAcl', {
      stage: this.orderApi.api.deploymentStage,
      name: `${names.prefix}-order-api`,
      rateLimitPer5Minutes: props.wafRateLimitPer5Minutes,
      logsKey: logsKey.key,
    });

    this.observability = new ServiceObservability(this, 'Observability', {
      names,
      serviceName: 'order-service',
      function: this.orderService.function,
      stage: this.orderApi.api.deploymentStage,
      topicKey: logsKey.key,
      p99DurationThresholdMs: 2_000,
      dependencyAlarms: [
        { dependency: 'order-store', label: 'DynamoDb' },
        { dependency: 'tokenizer', label: 'Tokenizer' },
      ],
      operationsByOutcome: ['createOrder', 'getOrder', 'payBill'],
    });

    // The sample's output names, so its walkthrough works unchanged.
    new CfnOutput(this, 'PaymentMethodApiURL', { value: this.orderApi.url });
    new CfnOutput(this, 'UserPoolAppClientId', { value: this.users.client.userPoolClientId });
    new CfnOutput(this, 'UserPoolId', { value: this.users.userPool.userPoolId });
    new CfnOutput(this, 'Region', { value: Aws.REGION });
    new CfnOutput(this, 'CustomerOrderTableName', { value: this.orderTable.tableName });
  }
}
