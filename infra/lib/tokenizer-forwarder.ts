import { Duration, Stack } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ForwardingConfig } from './forwarding-config.js';
import { LambdaExecutionRole } from './lambda-execution-role.js';
import type { ResourceNames } from './resource-names.js';
import { type LambdaCodeMode, ServiceFunction } from './service-function.js';
import { forwarderVaultTableActions, keyStoreReaderActions } from './table-access.js';

/** Where the bundled connections file lands in the function (LAMBDA_TASK_ROOT). */
export const bundledConnectionsFile = '/var/task/connections.json';

export interface TokenizerForwarderProps {
  readonly codeMode: LambdaCodeMode;
  /** From forwarderExecutionRole (made first: the vault key's policy names it). */
  readonly role: LambdaExecutionRole;
  readonly forwarding: ForwardingConfig;
  readonly vpc: IVpc;
  readonly securityGroup: ISecurityGroup;
  /** The tokenizer's log group: the audit trail's subscription reads the forwarder's audit events there too. */
  readonly logGroup: ILogGroup;
  /** The tokenizer's environment (vault table, key, authorization policy, metrics); CONNECTIONS_FILE is added. */
  readonly environment: Record<string, string>;
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The tokenizer's forward operation in AWS (docs/forwarding.md, "In AWS"): the tokenizer's own bundle, in
 * the private subnets with egress (NAT) so it can reach the connections' destinations, while the tokenizer
 * function keeps the isolated subnets. API Gateway sends it the forward route only. Its role can read vault
 * items and spend their uses, Decrypt vault values (the vault key's policy names it), read the connections'
 * Secrets Manager secrets and nothing else: it cannot tokenize, delete tokens or read other secrets.
 */
export class TokenizerForwarder extends Construct {
  readonly function: ServiceFunction;

  constructor(scope: Construct, id: string, props: TokenizerForwarderProps) {
    super(scope, id);
    const { forwarding } = props;
    this.function = new ServiceFunction(this, 'Forwarder', {
      entry: 'tokenizer-service/src/lambda.ts',
      description: 'Tokenizer forward operation (Fastify on Lambda, subnets with egress)',
      codeMode: props.codeMode,
      executionRole: props.role,
      logGroup: props.logGroup,
      vpc: props.vpc,
      subnets: 'egress',
      securityGroup: props.securityGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      memorySize: 1024,
      // A connection may take up to 29 s (its timeoutMs, capped at API Gateway's integration limit): the
      // function must not be cut off before the forward answers.
      timeout: Duration.seconds(30),
      bundledFiles: [{ source: forwarding.connectionsFile, name: 'connections.json' }],
      environment: { ...props.environment, CONNECTIONS_FILE: bundledConnectionsFile },
    });
  }
}

/**
 * The forwarder's execution role: read vault items and spend their uses, read branch keys, read the
 * connections' secrets (by ARN, those only), write the tokenizer's log group. KMS comes from the vault key's policy alone.
 */
export function forwarderExecutionRole(
  scope: Construct,
  id: string,
  props: { names: ResourceNames; forwarding: ForwardingConfig; logGroup: ILogGroup },
): LambdaExecutionRole {
  const { names, forwarding } = props;
  const statements = [
    new PolicyStatement({
      sid: 'ReadAndSpendVaultItems',
      actions: forwarderVaultTableActions,
      resources: [
        Stack.of(scope).formatArn({
          service: 'dynamodb',
          resource: 'table',
          resourceName: names.tokenVaultTable,
        }),
      ],
    }),
    new PolicyStatement({
      sid: 'ReadBranchKeys',
      actions: keyStoreReaderActions,
      resources: [
        Stack.of(scope).formatArn({
          service: 'dynamodb',
          resource: 'table',
          resourceName: names.keyStoreTable,
        }),
      ],
    }),
    // No KMS statement: the keys' policies name this role themselves (vault-key.ts, key-store.ts).
  ];
  if (forwarding.secretArns.length > 0) {
    statements.push(
      new PolicyStatement({
        sid: 'ReadConnectionSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [...forwarding.secretArns],
      }),
    );
  }
  return new LambdaExecutionRole(scope, id, {
    roleName: names.tokenizerForwarderRole,
    description: 'Tokenizer forwarder Lambda: forward only (reads vault items, decrypts, calls connections)',
    logGroup: props.logGroup,
    statements,
  });
}
