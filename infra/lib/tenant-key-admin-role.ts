import { Duration } from 'aws-cdk-lib';
import { AccountRootPrincipal, ManagedPolicy, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { keyStoreAdministrationActions, vaultTableAdministrationActions } from './table-access.js';

export interface TenantKeyAdministratorRoleProps {
  readonly roleName: string;
  /** ARNs of the key store table and the vault table (from their fixed names: the keys' policies name the role). */
  readonly keyStoreTableArn: string;
  readonly vaultTableArn: string;
}

/**
 * The role the security team runs `tokenizer-admin` with (docs/key-administration.md): onboards tenants
 * (creates their branch keys and tenant records), rotates and shreds branch keys, and re-encrypts a tenant's
 * vault items. Only a person who signed in with MFA can assume it, for at most an hour; the functions' roles
 * cannot (a Lambda session never carries MFA, and their policies hold no sts:AssumeRole).
 *
 * Its DynamoDB rights are here; its KMS rights are in the key policies, which name it: on the branch key
 * KMS key, make, re-wrap and decrypt branch keys of this key store; on the vault key, Decrypt only, for the
 * items written before branch keys (the re-encryption reads them). It has no right on the functions, the API
 * or either key's administration. Re-encryption decrypts every value of a tenant: the role is as sensitive
 * as the tokenizer itself, and CloudTrail records each session and KMS call.
 */
export class TenantKeyAdministratorRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: TenantKeyAdministratorRoleProps) {
    super(scope, id);
    this.role = new Role(this, 'Role', {
      roleName: props.roleName,
      description: 'tokenizer-admin: tenants branch keys (create, rotate, shred) and vault re-encryption',
      assumedBy: new AccountRootPrincipal().withConditions({
        Bool: { 'aws:MultiFactorAuthPresent': 'true' },
      }),
      maxSessionDuration: Duration.hours(1),
    });
    new ManagedPolicy(this, 'Policy', {
      description: 'Branch key administration and vault re-encryption (KMS rights are in the key policies)',
      roles: [this.role],
      statements: [
        new PolicyStatement({
          sid: 'AdministerBranchKeys',
          actions: keyStoreAdministrationActions,
          resources: [props.keyStoreTableArn],
        }),
        new PolicyStatement({
          sid: 'TenantRecordsAuditAndReencryption',
          actions: vaultTableAdministrationActions,
          resources: [props.vaultTableArn],
        }),
      ],
    });
  }
}
