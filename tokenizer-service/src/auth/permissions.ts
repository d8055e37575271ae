/** What a caller may do. The authorization policy grants permissions per principal; nothing is implied. */
export const permissions = [
  'tokenize',
  // Deterministic tokens only, not implied by `tokenize`: each one tests whether a value was tokenized before.
  'tokenize:deterministic',
  'detokenize',
  'detokenize:masked',
  'metadata:read',
  'delete',
] as const;

export type Permission = (typeof permissions)[number];

/** An IAM principal ARN, as verified by SigV4 (locally) or by API Gateway (on Lambda). */
export type PrincipalArn = string;

/** A verified caller as the policy knows it: the tenant always comes from here, never from the request. */
export interface Caller {
  principal: PrincipalArn;
  tenant: string;
  permissions: ReadonlySet<Permission>;
}
