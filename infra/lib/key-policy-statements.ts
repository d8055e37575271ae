import { Aws } from 'aws-cdk-lib';
import { AccountRootPrincipal, type IPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';

/** What administering a key takes (key policy side: wildcards are fine there, IAM lists them explicitly). */
const keyAdministrationActions = [
  'kms:CreateAlias',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
];

/**
 * Key administration without any use of the key. No kms:CreateGrant (a grant can hand out use); the account
 * can still rewrite the key policy (kms:PutKeyPolicy): a key nobody can administer cannot be recovered.
 * CloudTrail records every such change.
 */
export function keyAdministration(): PolicyStatement {
  return new PolicyStatement({
    sid: 'AccountAdministersButDoesNotUseTheKey',
    principals: [new AccountRootPrincipal()],
    actions: keyAdministrationActions,
    resources: ['*'],
  });
}

/**
 * Key administration, without any use of the key, for the listed principals only (matched by
 * `aws:PrincipalArn`, so none of them has to exist when the key is created). Any other IAM administrator of
 * the account can no longer rewrite the key policy to grant itself use.
 */
export function keyAdministrationBy(administratorArns: readonly string[]): PolicyStatement {
  return new PolicyStatement({
    sid: 'NamedAdministratorsAdministerButDoNotUseTheKey',
    principals: [new AccountRootPrincipal()],
    actions: keyAdministrationActions,
    resources: ['*'],
    conditions: { ArnEquals: { 'aws:PrincipalArn': [...administratorArns] } },
  });
}

/**
 * DynamoDB encryption at rest with this key, for one table only (DynamoDB's encryption context carries the
 * table name), through DynamoDB only. `principals` are the table's users; the account root stands for the
 * IAM principals that create, restore or back up the table (CloudFormation's execution role, operators),
 * and still needs their IAM policies to allow it.
 */
export function dynamoDbTableEncryption(props: {
  readonly tableName: string;
  readonly principals: readonly IPrincipal[];
}): PolicyStatement[] {
  const viaDynamoDb = `dynamodb.${Aws.REGION}.amazonaws.com`;
  return [
    new PolicyStatement({
      sid: 'TableEncryptionThroughDynamoDb',
      principals: [...props.principals, new AccountRootPrincipal()],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'kms:ViaService': viaDynamoDb,
          'kms:CallerAccount': Aws.ACCOUNT_ID,
          'kms:EncryptionContext:aws:dynamodb:tableName': props.tableName,
        },
      },
    }),
    new PolicyStatement({
      sid: 'DynamoDbGrantsForTheTable',
      principals: [new AccountRootPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'kms:ViaService': viaDynamoDb, 'kms:CallerAccount': Aws.ACCOUNT_ID },
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
      },
    }),
  ];
}
