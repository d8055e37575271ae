import { keyStoreTableDefinition } from '@tokenization/tokenizer-service/adapters/key-store-table';
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { type IPrincipal, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Alias, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { dynamoDbTableEncryption, keyAdministrationBy } from './key-policy-statements.js';
import { roleArnFromName } from './tokenizer-clients.js';
import { cloudFormationExecutionRole } from './vault-key.js';

/**
 * The key store's logical name (KEY_STORE_LOGICAL_NAME). BranchKeyStoreNode binds it into the KMS encryption
 * context of every branch key (`tablename`) and refuses items created under another name: it must NEVER
 * change, or no branch key (and so no value sealed under one) can be decrypted again. It is not the table's
 * physical name, so the table may be restored under another name.
 */
export const keyStoreLogicalName = 'tokenization-branch-keys';

/** BranchKeyStoreNode's key schema (partition `branch-key-id`, sort `type`), as the local stack creates it. */
const keySchema = keyStoreTableDefinition('schema').KeySchema ?? [];
function keyAttribute(keyType: 'HASH' | 'RANGE'): string {
  const name = keySchema.find((key) => key.KeyType === keyType)?.AttributeName;
  if (!name) throw new Error(`keyStoreTableDefinition has no ${keyType} key`);
  return name;
}

/** The encryption context key under which the key store puts its logical name (BranchKeyStoreNode). */
const logicalNameContextKey = 'kms:EncryptionContext:tablename';

/** What the key-administration role does with the branch key KMS key: createKey, versionKey, reading keys. */
export const branchKeyAdministrationKmsActions = [
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:Decrypt',
];

export interface KeyStoreProps {
  readonly tableName: string;
  readonly alias: string;
  /** The tokenizer's execution role: reads and decrypts branch keys, through the KMS endpoint. */
  readonly tokenizerRole: IPrincipal;
  /** The forwarder's execution role, when forwarding is configured: the same as the tokenizer. */
  readonly forwarderRole?: IPrincipal;
  /** The key-administration role: creates, versions and shreds branch keys. */
  readonly tenantKeyAdministratorRole: IPrincipal;
  /** The KMS interface endpoint: the functions' branch key decryptions must come through it. */
  readonly kmsVpcEndpointId: string;
  /** Fixed name of the role that administers (never uses) the KMS keys: the vault key's administrator. */
  readonly keyAdministratorRoleName: string;
}

/**
 * The hierarchical keyring's key store (docs/encryption-and-keys.md): a DynamoDB table holding one branch
 * key per tenant (every version of it), each wrapped by the branch key KMS key, which is separate from the
 * vault key.
 *
 * The KMS key's policy, like the vault key's, does not delegate use to IAM:
 * - the vault key's administrator role, the account's root user (break-glass) and CloudFormation's execution
 *   role administer it and cannot use it;
 * - the tokenizer and forwarder roles may only Decrypt, with the key store's logical name in the encryption
 *   context, through the KMS VPC endpoint: they can read branch keys, never make or re-wrap one;
 * - the key-administration role may generate, re-wrap (versioning) and decrypt branch keys, with the same
 *   encryption context condition (both contexts of a ReEncrypt carry it);
 * - the three roles may use it through DynamoDB, for the key store table's storage only.
 */
export class KeyStore extends Construct {
  readonly table: Table;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: KeyStoreProps) {
    super(scope, id);
    const services = [props.tokenizerRole, ...(props.forwarderRole ? [props.forwarderRole] : [])];
    const policy = new PolicyDocument({
      statements: [
        keyAdministrationBy([
          roleArnFromName(props.keyAdministratorRoleName),
          `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`,
          ...cloudFormationExecutionRole(Stack.of(this)),
        ]),
        new PolicyStatement({
          sid: 'ServicesDecryptBranchKeys',
          principals: services,
          actions: ['kms:Decrypt'],
          resources: ['*'],
          conditions: {
            StringEquals: {
              [logicalNameContextKey]: keyStoreLogicalName,
              'aws:SourceVpce': props.kmsVpcEndpointId,
            },
          },
        }),
        new PolicyStatement({
          sid: 'TenantKeyAdministratorMakesAndReadsBranchKeys',
          principals: [props.tenantKeyAdministratorRole],
          actions: branchKeyAdministrationKmsActions,
          resources: ['*'],
          conditions: { StringEquals: { [logicalNameContextKey]: keyStoreLogicalName } },
        }),
        ...dynamoDbTableEncryption({
          tableName: props.tableName,
          principals: [...services, props.tenantKeyAdministratorRole],
        }),
      ],
    });
    this.key = new Key(this, 'Key', {
      description: 'Branch keys: wraps the tenants branch keys and encrypts the key store table',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
      policy,
    });
    new Alias(this, 'Alias', { aliasName: props.alias, targetKey: this.key });

    this.table = new Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: keyAttribute('HASH'), type: AttributeType.STRING },
      sortKey: { name: keyAttribute('RANGE'), type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      // Restores keep a shredded tenant's branch keys for this long (docs/deploy.md, "Key store").
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
