import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type IPrincipal, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Alias, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { dynamoDbTableEncryption, keyAdministration } from './key-policy-statements.js';

export interface VaultKeyProps {
  readonly alias: string;
  /** The tokenizer's execution role: the only principal that may use the key for envelope encryption. */
  readonly tokenizerRole: IPrincipal;
  /** The vault table's (fixed) name: DynamoDB's use of the key is limited to it. */
  readonly vaultTableName: string;
  /** The KMS interface endpoint: the tokenizer's own KMS calls must come through it. */
  readonly kmsVpcEndpointId: string;
}

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

/**
 * The vault key: wraps the Encryption SDK's data keys and encrypts the vault table at rest.
 *
 * Its key policy does not delegate use to IAM, so no identity policy in the account can add a user:
 * - the account administers the key but cannot encrypt, decrypt or generate data keys with it;
 * - the tokenizer role may generate and decrypt data keys directly, only with one of the tokenizer's
 *   encryption contexts (`purpose` token-vault or token-fingerprint, plus `tenant`) and only through the KMS
 *   VPC endpoint;
 * - the tokenizer role (and IAM principals that create or restore the table) may use it through DynamoDB,
 *   for the vault table only: that unlocks the table's storage, not the values, which remain Encryption
 *   SDK ciphertexts that only the direct statement can open.
 */
export class VaultKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: VaultKeyProps) {
    super(scope, id);
    const policy = new PolicyDocument({
      statements: [
        keyAdministration(),
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
        ...dynamoDbTableEncryption({ tableName: props.vaultTableName, principals: [props.tokenizerRole] }),
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
  }
}
