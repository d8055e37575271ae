import { vaultKeyAttribute, vaultTtlAttribute } from '@tokenization/tokenizer-service/vault-table';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IInterfaceVpcEndpoint, ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { AuditTrail } from './audit-trail.js';
import { encryptedLogGroup, LogsKey, operationalLogRetention } from './encrypted-logs.js';
import type { ForwardingConfig } from './forwarding-config.js';
import { KeyStore, keyStoreLogicalName } from './key-store.js';
import { LambdaExecutionRole } from './lambda-execution-role.js';
import { metricsNamespace, ServiceObservability } from './observability.js';
import type { ResourceNames } from './resource-names.js';
import { type LambdaCodeMode, ServiceFunction } from './service-function.js';
import { keyStoreReaderActions, vaultTableActions } from './table-access.js';
import { TenantKeyAdministratorRole } from './tenant-key-admin-role.js';
import { authorizationPolicy, type TokenizerPrincipal } from './tokenizer-access.js';
import { TokenizerApi } from './tokenizer-api.js';
import { forwarderExecutionRole, TokenizerForwarder } from './tokenizer-forwarder.js';
import { VaultKey, vaultKeyAdministratorActions } from './vault-key.js';

export interface TokenizerStackProps extends StackProps {
  readonly names: ResourceNames;
  readonly codeMode: LambdaCodeMode;
  readonly vpc: IVpc;
  readonly executeApiEndpoint: IInterfaceVpcEndpoint;
  readonly kmsEndpoint: IInterfaceVpcEndpoint;
  readonly functionSecurityGroup: ISecurityGroup;
  readonly auditForwarderSecurityGroup: ISecurityGroup;
  /** Forwarding in AWS: the connections and the forwarder's group (egress subnets); none without connections. */
  readonly forwarding?: { readonly config: ForwardingConfig; readonly securityGroup: ISecurityGroup };
  /** Who may call the tokenizer: feeds both AUTHORIZATION_POLICY and the API's resource policy. */
  readonly principals: readonly TokenizerPrincipal[];
  readonly stageName: string;
  readonly logLevel: string;
  /** Reserved concurrency of each function; none when undefined (see DeploymentConfig). */
  readonly reservedConcurrency: { readonly tokenizer?: number; readonly auditForwarder?: number };
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  /** Deterministic tokenizations one principal may make per minute (DETERMINISTIC_TOKENIZATIONS_PER_MINUTE). */
  readonly deterministicTokenizationsPerMinute: number;
}

/**
 * The security team's stack: the vault key, the vault table, the branch key store and its KMS key, the
 * tenant key administrator role, the tokenizer function, its private API and its audit trail. Nothing here is reachable from the application stack except the API's routes its role
 * is listed for.
 */
export class TokenizerStack extends Stack {
  readonly api: TokenizerApi;
  readonly vaultTable: Table;
  readonly vaultKey: VaultKey;
  /** The branch key store (table and KMS key) of the hierarchical keyring. */
  readonly keyStore: KeyStore;
  /** Runs tokenizer-admin: tenants' branch keys and re-encryption (MFA). */
  readonly tenantKeyAdministratorRole: TenantKeyAdministratorRole;
  readonly tokenizerRole: LambdaExecutionRole;
  readonly tokenizer: ServiceFunction;
  /** The forward operation's function, only when connections are configured. */
  readonly forwarder: TokenizerForwarder | undefined;
  readonly auditTrail: AuditTrail;
  readonly observability: ServiceObservability;

  constructor(scope: Construct, id: string, props: TokenizerStackProps) {
    super(scope, id, props);
    const { names } = props;
    const logsKey = new LogsKey(this, 'LogsKey', {
      description: 'CloudWatch Logs of the tokenizer (operational and audit)',
    });
    const functionLogs = encryptedLogGroup(this, 'TokenizerLogs', {
      key: logsKey.key,
      retention: operationalLogRetention,
    });

    const vaultTableArn = Stack.of(this).formatArn({
      service: 'dynamodb',
      resource: 'table',
      resourceName: names.tokenVaultTable,
    });
    const keyStoreTableArn = Stack.of(this).formatArn({
      service: 'dynamodb',
      resource: 'table',
      resourceName: names.keyStoreTable,
    });

    // Made before the keys, whose policies name them.
    const forwarderRole =
      props.forwarding &&
      forwarderExecutionRole(this, 'ForwarderRole', {
        names,
        forwarding: props.forwarding.config,
        logGroup: functionLogs,
      });

    this.tokenizerRole = new LambdaExecutionRole(this, 'TokenizerRole', {
      roleName: names.tokenizerRole,
      description: 'Tokenizer Lambda: the only principal that may use the vault key and table',
      logGroup: functionLogs,
      statements: [
        new PolicyStatement({
          sid: 'UseTheVaultTable',
          actions: vaultTableActions,
          resources: [vaultTableArn],
        }),
        new PolicyStatement({
          sid: 'ReadBranchKeys',
          actions: keyStoreReaderActions,
          resources: [keyStoreTableArn],
        }),
        // No KMS statement: the keys' policies name this role themselves (vault-key.ts, key-store.ts).
      ],
    });
    this.tenantKeyAdministratorRole = new TenantKeyAdministratorRole(this, 'TenantKeyAdministrator', {
      roleName: names.tenantKeyAdministratorRole,
      keyStoreTableArn,
      vaultTableArn,
    });
    this.keyStore = new KeyStore(this, 'KeyStore', {
      tableName: names.keyStoreTable,
      alias: names.branchKeyKmsKeyAlias,
      tokenizerRole: this.tokenizerRole.role,
      forwarderRole: forwarderRole?.role,
      tenantKeyAdministratorRole: this.tenantKeyAdministratorRole.role,
      kmsVpcEndpointId: props.kmsEndpoint.vpcEndpointId,
      keyAdministratorRoleName: names.vaultKeyAdministratorRole,
    });

    this.vaultKey = new VaultKey(this, 'VaultKey', {
      alias: names.vaultKeyAlias,
      tokenizerRole: this.tokenizerRole.role,
      forwarderRole: forwarderRole?.role,
      vaultTableName: names.tokenVaultTable,
      kmsVpcEndpointId: props.kmsEndpoint.vpcEndpointId,
      administratorRoleName: names.vaultKeyAdministratorRole,
      tenantKeyAdministratorRole: this.tenantKeyAdministratorRole.role,
    });
    // The branch key's policy names the key-administration role; its IAM policy must name the key too.
    new ManagedPolicy(this, 'BranchKeyAdministrationPolicy', {
      description: 'Administration of the branch key KMS key, without any cryptographic use',
      roles: [this.vaultKey.administratorRole],
      statements: [
        new PolicyStatement({ actions: vaultKeyAdministratorActions, resources: [this.keyStore.key.keyArn] }),
      ],
    });

    this.vaultTable = new Table(this, 'VaultTable', {
      tableName: names.tokenVaultTable,
      partitionKey: { name: vaultKeyAttribute, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.vaultKey.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      timeToLiveAttribute: vaultTtlAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const tokenizerEnvironment = {
      TOKEN_VAULT_TABLE_NAME: this.vaultTable.tableName,
      KMS_KEY_ARN: this.vaultKey.key.keyArn,
      KEY_STORE_TABLE_NAME: this.keyStore.table.tableName,
      BRANCH_KEY_KMS_KEY_ARN: this.keyStore.key.keyArn,
      KEY_STORE_LOGICAL_NAME: keyStoreLogicalName,
      LOG_LEVEL: props.logLevel,
      AUTHORIZATION_POLICY: this.toJsonString(authorizationPolicy(props.principals)),
      DETERMINISTIC_TOKENIZATIONS_PER_MINUTE: String(props.deterministicTokenizationsPerMinute),
      METRICS_NAMESPACE: metricsNamespace(names),
      METRICS_SERVICE_NAME: 'tokenizer',
    };
    this.tokenizer = new ServiceFunction(this, 'Tokenizer', {
      entry: 'tokenizer-service/src/lambda.ts',
      description: 'Tokenizer service (Fastify on Lambda)',
      codeMode: props.codeMode,
      executionRole: this.tokenizerRole,
      logGroup: functionLogs,
      vpc: props.vpc,
      securityGroup: props.functionSecurityGroup,
      reservedConcurrentExecutions: props.reservedConcurrency.tokenizer,
      memorySize: 1024,
      timeout: Duration.seconds(10),
      environment: tokenizerEnvironment,
    });
    this.forwarder =
      props.forwarding && forwarderRole
        ? new TokenizerForwarder(this, 'Forwarder', {
            codeMode: props.codeMode,
            role: forwarderRole,
            forwarding: props.forwarding.config,
            vpc: props.vpc,
            securityGroup: props.forwarding.securityGroup,
            logGroup: functionLogs,
            environment: tokenizerEnvironment,
          })
        : undefined;

    this.auditTrail = new AuditTrail(this, 'AuditTrail', {
      source: functionLogs,
      auditLogGroupName: names.auditLogGroup,
      forwarderRoleName: names.auditForwarderRole,
      logsKey: logsKey.key,
      vpc: props.vpc,
      securityGroup: props.auditForwarderSecurityGroup,
      reservedConcurrentExecutions: props.reservedConcurrency.auditForwarder,
    });

    this.api = new TokenizerApi(this, 'TokenizerApi', {
      handler: this.tokenizer.function,
      forwardHandler: this.forwarder?.function.function,
      principals: props.principals,
      vpcEndpoint: props.executeApiEndpoint,
      stageName: props.stageName,
      logsKey: logsKey.key,
      throttling: props.throttling,
    });

    this.observability = new ServiceObservability(this, 'Observability', {
      names,
      serviceName: 'tokenizer',
      function: this.tokenizer.function,
      stage: this.api.api.deploymentStage,
      topicKey: logsKey.key,
      p99DurationThresholdMs: 1_000,
      dependencyAlarms: [
        { dependency: 'kms', label: 'Kms' },
        { dependency: 'store', label: 'DynamoDb' },
      ],
      operationsByOutcome: ['tokenize', 'tokenizeBatch', 'detokenize', 'forward', 'verify'],
      counters: ['KmsCalls', 'DataKeyCacheHits', 'DataKeyCacheMisses'],
      auditForwarder: {
        function: this.auditTrail.forwarder,
        deadLetterQueue: this.auditTrail.failedDeliveries,
      },
    });

    new CfnOutput(this, 'TokenizerApiUrl', {
      description: 'Private invoke URL (resolves inside the VPC through the execute-api endpoint)',
      value: this.api.url,
    });
    new CfnOutput(this, 'TokenVaultTableName', { value: this.vaultTable.tableName });
    new CfnOutput(this, 'TokenVaultKeyArn', { value: this.vaultKey.key.keyArn });
    new CfnOutput(this, 'AuditLogGroupName', { value: names.auditLogGroup });
    new CfnOutput(this, 'KeyStoreTableName', { value: this.keyStore.table.tableName });
    new CfnOutput(this, 'BranchKeyKmsKeyArn', { value: this.keyStore.key.keyArn });
    new CfnOutput(this, 'TenantKeyAdministratorRoleArn', {
      description: 'Assume with MFA to run tokenizer-admin (docs/key-administration.md)',
      value: this.tenantKeyAdministratorRole.role.roleArn,
    });
  }
}
