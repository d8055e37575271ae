import { Aws } from 'aws-cdk-lib';

/**
 * Fixed physical names, derived from the deployment prefix.
 *
 * Why fixed names: several policies must name a resource that lives in a stack deployed *later* (the VPC
 * endpoint policies in the network stack name the tables, roles and the audit log group; the tokenizer's
 * resource policy and authorization policy name the order service's role), or a resource in the same stack
 * that itself depends on the policy (the vault key policy names the vault table, which is encrypted with that
 * key). A CloudFormation reference there would create a cycle; a name both sides compute from one function
 * cannot, and cannot drift either.
 *
 * IAM names are account-global, so role names carry the region; tables, log groups and aliases are regional.
 */
export class ResourceNames {
  constructor(readonly prefix: string) {}

  get networkStack(): string {
    return `${this.prefix}-network`;
  }
  get tokenizerStack(): string {
    return `${this.prefix}-tokenizer`;
  }
  get applicationStack(): string {
    return `${this.prefix}-application`;
  }

  get tokenVaultTable(): string {
    return `${this.prefix}-token-vault`;
  }
  /** The branch key store (tokenizer-service/src/adapters/key-store-table.ts: BranchKeyStoreNode's schema). */
  get keyStoreTable(): string {
    return `${this.prefix}-branch-key-store`;
  }
  get customerOrderTable(): string {
    return `${this.prefix}-customer-orders`;
  }
  /** Alias of the vault key (for operators; no policy matches it). */
  get vaultKeyAlias(): string {
    return `alias/${this.prefix}/token-vault`;
  }
  /** Alias of the branch key KMS key (for operators; no policy matches it). */
  get branchKeyKmsKeyAlias(): string {
    return `alias/${this.prefix}/branch-keys`;
  }
  get auditLogGroup(): string {
    return `/${this.prefix}/tokenizer/audit`;
  }

  get tokenizerRole(): string {
    return `${this.prefix}-tokenizer-${Aws.REGION}`;
  }
  get orderServiceRole(): string {
    return `${this.prefix}-order-service-${Aws.REGION}`;
  }
  /** Administers the vault key (never uses it); assumed with MFA. */
  get vaultKeyAdministratorRole(): string {
    return `${this.prefix}-vault-key-admin-${Aws.REGION}`;
  }
  /** Creates, versions and shreds tenants' branch keys and re-encrypts the vault (tokenizer-admin); MFA. */
  get tenantKeyAdministratorRole(): string {
    return `${this.prefix}-tenant-key-admin-${Aws.REGION}`;
  }
  get auditForwarderRole(): string {
    return `${this.prefix}-audit-forwarder-${Aws.REGION}`;
  }
  /** The tokenizer's forward operation (docs/forwarding.md, "In AWS"). */
  get tokenizerForwarderRole(): string {
    return `${this.prefix}-tokenizer-forwarder-${Aws.REGION}`;
  }
}
