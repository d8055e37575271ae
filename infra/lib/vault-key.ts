import { Aws, DefaultStackSynthesizer, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRootPrincipal,
  type IPrincipal,
  ManagedPolicy,
  PolicyDocument,
  PolicyStatement,
  Role,
} from 'aws-cdk-lib/aws-iam';
import { Alias, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { dynamoDbTableEncryption, keyAdministrationBy } from './key-policy-statements.js';
import { roleArnFromName } from './tokenizer-clients.js';

export interface VaultKeyProps {
  readonly alias: string;
  /** The tokenizer's execution role: the only principal that may use the key for envelope encryption. */
  readonly tokenizerRole: IPrincipal;
  /**
   * The forwarder's execution role, when forwarding is configured: it may only Decrypt, with the vault
   * values' encryption context, through the KMS endpoint (forward detokenizes; it never tokenizes).
   */
  readonly forwarderRole?: IPrincipal;
  /** The vault table's (fixed) name: DynamoDB's use of the key is limited to it. */
  readonly vaultTableName: string;
  /** The KMS interface endpoint: the tokenizer's own KMS calls must come through it. */
  readonly kmsVpcEndpointId: string;
  /** Fixed name of the key-administration role created here (the key policy names its ARN). */
  readonly administratorRoleName: string;
  /**
   * The tenant key administrator (tenant-key-admin-role.ts): Decrypt only, for the items written before
   * branch keys, which the re-encryption moves to them; and the vault table through DynamoDB.
   */
  readonly tenantKeyAdministratorRole: IPrincipal;
}

/** What the key-administration role may do on the vault key: administer it, never use it. */
export const vaultKeyAdministratorActions = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:PutKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:RotateKeyOnDemand',
  'kms:ListKeyRotations',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:UpdateKeyDescription',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ListResourceTags',
  'kms:ListGrants',
  'kms:RevokeGrant',
];

/**
 * The tokenizer's own KMS calls (tokenizer-service/src/adapters): the Encryption SDK keyring generates and
 * decrypts data keys with the context `{purpose: "token-vault", tenant}`; the fingerprinter generates its
 * HMAC key once without plaintext and decrypts it with `{purpose: "token-fingerprint"}`; readiness describes
 * the key.
 */
export const tokenizerKmsActions = [
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:Decrypt',
  'kms:DescribeKey',
];
export const tokenizerEncryptionContextPurposes = ['token-vault', 'token-fingerprint'];
/** The encryption context purpose of the vault values (the only one the forwarder may decrypt). */
const vaultValuePurpose = 'token-vault';

/**
 * The vault key: wraps the Encryption SDK's data keys and encrypts the vault table at rest.
 *
 * Its key policy does not delegate use to IAM, so no identity policy in the account can add a user:
 * - three principals administer the key and none of them can encrypt, decrypt or generate data keys with
 *   it: the key-administration role (assumed with MFA), CloudFormation's execution role of the CDK
 *   bootstrap (stack updates change the key policy; KMS also refuses to create a key whose policy would
 *   lock its creator out) and the account's root user (break-glass). Other IAM administrators cannot
 *   rewrite the policy to grant themselves Decrypt (docs/encryption-and-keys.md);
 * - the tokenizer role may generate and decrypt data keys directly, only with one of the tokenizer's
 *   encryption contexts (`purpose` token-vault or token-fingerprint, plus `tenant`) and only through the KMS
 *   VPC endpoint;
 * - the tokenizer role (and IAM principals that create or restore the table) may use it through DynamoDB,
 *   for the vault table only: that unlocks the table's storage, not the values, which remain Encryption
 *   SDK ciphertexts that only the direct statement can open;
 * - when forwarding is configured, the forwarder role (tokenizer code too, in the egress subnets) may only
 *   decrypt vault values (`purpose` token-vault), through the same endpoint, and use the table through DynamoDB;
 * - the tenant key administrator (MFA) may only Decrypt, with the tokenizer's encryption contexts: the
 *   re-encryption reads the items written before branch keys (and their fingerprint key) to move them.
 */
export class VaultKey extends Construct {
  readonly key: Key;
  readonly administratorRole: Role;

  constructor(scope: Construct, id: string, props: VaultKeyProps) {
    super(scope, id);
    const administrators = [
      roleArnFromName(props.administratorRoleName),
      `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`,
      ...cloudFormationExecutionRole(Stack.of(this)),
    ];
    const policy = new PolicyDocument({
      statements: [
        keyAdministrationBy(administrators),
        new PolicyStatement({
          sid: 'TokenizerEnvelopeEncryption',
          principals: [props.tokenizerRole],
          actions: ['kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:Decrypt'],
          resources: ['*'],
          conditions: {
            StringEquals: {
              'kms:EncryptionContext:purpose': tokenizerEncryptionContextPurposes,
              'aws:SourceVpce': props.kmsVpcEndpointId,
            },
            'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['purpose', 'tenant'] },
          },
        }),
        new PolicyStatement({
          sid: 'TokenizerReadinessCheck',
          principals: [props.tokenizerRole],
          actions: ['kms:DescribeKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceVpce': props.kmsVpcEndpointId } },
        }),
        ...(props.forwarderRole
          ? [
              new PolicyStatement({
                sid: 'ForwarderDecryptsVaultValues',
                principals: [props.forwarderRole],
                actions: ['kms:Decrypt'],
                resources: ['*'],
                conditions: {
                  StringEquals: {
                    'kms:EncryptionContext:purpose': vaultValuePurpose,
                    'aws:SourceVpce': props.kmsVpcEndpointId,
                  },
                  'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['purpose', 'tenant'] },
                },
              }),
            ]
          : []),
        new PolicyStatement({
          sid: 'TenantKeyAdministratorDecryptsLegacyItems',
          principals: [props.tenantKeyAdministratorRole],
          actions: ['kms:Decrypt'],
          resources: ['*'],
          conditions: {
            StringEquals: { 'kms:EncryptionContext:purpose': tokenizerEncryptionContextPurposes },
            'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['purpose', 'tenant'] },
          },
        }),
        ...dynamoDbTableEncryption({
          tableName: props.vaultTableName,
          principals: [
            props.tokenizerRole,
            ...(props.forwarderRole ? [props.forwarderRole] : []),
            props.tenantKeyAdministratorRole,
          ],
        }),
      ],
    });
    this.key = new Key(this, 'Key', {
      description: 'Token vault: wraps the tokenizer data keys and encrypts the vault table',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
      policy,
    });
    // The alias goes with the stack (the key stays), so a redeployment can create it again.
    new Alias(this, 'Alias', { aliasName: props.alias, targetKey: this.key });

    this.administratorRole = new Role(this, 'AdministratorRole', {
      roleName: props.administratorRoleName,
      description: 'Administers the vault key (rotation, policy, deletion); cannot use it',
      assumedBy: new AccountRootPrincipal().withConditions({
        Bool: { 'aws:MultiFactorAuthPresent': 'true' },
      }),
      maxSessionDuration: Duration.hours(1),
    });
    new ManagedPolicy(this, 'AdministratorPolicy', {
      description: 'Administration of the vault key, without any cryptographic use',
      roles: [this.administratorRole],
      statements: [
        new PolicyStatement({ actions: vaultKeyAdministratorActions, resources: [this.key.keyArn] }),
      ],
    });
  }
}

/** The CDK bootstrap's CloudFormation execution role, which creates and updates the key. */
export function cloudFormationExecutionRole(stack: Stack): string[] {
  const synthesizer = stack.synthesizer;
  if (!(synthesizer instanceof DefaultStackSynthesizer)) return [];
  // `arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-<qualifier>-cfn-exec-role-…`: Fn::Sub fills it.
  return [Fn.sub(synthesizer.cloudFormationExecutionRoleArn)];
}
