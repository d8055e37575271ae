import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Operational logs (functions, API access and execution logs, flow logs, WAF): PCI DSS 10.5.1 asks for a year. */
export const operationalLogRetention = RetentionDays.ONE_YEAR;
/** The tokenizer's audit trail: who tokenized or detokenized what, when. Kept far longer than operations. */
export const auditLogRetention = RetentionDays.SEVEN_YEARS;

/**
 * A KMS key for the CloudWatch Logs log groups of one stack. Each stack owns its own logs key, so the
 * application team's key can never decrypt the security team's logs; none of them is the vault key, which
 * only the tokenizer role may use. Key usage goes through IAM (the default key policy), plus the regional
 * CloudWatch Logs service for this account's log groups, as CloudWatch Logs requires.
 */
export class LogsKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: { readonly description: string }) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: props.description,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
        principals: [new ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
          },
        },
      }),
    );
  }
}

export interface EncryptedLogGroupProps {
  readonly key: IKey;
  readonly retention: RetentionDays;
  /** A fixed name, when a policy or a service convention needs one. */
  readonly logGroupName?: string;
}

/** A log group encrypted with a logs key; retained on stack deletion (logs are evidence). */
export function encryptedLogGroup(scope: Construct, id: string, props: EncryptedLogGroupProps): LogGroup {
  return new LogGroup(scope, id, {
    ...(props.logGroupName ? { logGroupName: props.logGroupName } : {}),
    encryptionKey: props.key,
    retention: props.retention,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
