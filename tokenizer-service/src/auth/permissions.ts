/** What a caller may do. The authorization policy grants permissions per principal; nothing is implied. */
export const permissions = [
  'tokenize',
  // Deterministic tokens only, not implied by `tokenize`: each one tests whether a value was tokenized before.
  'tokenize:deterministic',
  'detokenize',
  'detokenize:masked',
  'metadata:read',
  'delete',
  // Compare a value with a token's value (match or no match only); counted against a mismatch limit.
  'verify',
  // Lift a token's verify lock: the security team's.
  'verify:reset',
] as const;

/** Forwarding through one connection: `forward:payments`. One per connection, never a wildcard. */
export type ForwardPermission = `forward:${string}`;

export type Permission = (typeof permissions)[number] | ForwardPermission;

/** The permission to forward through `connection`. */
export function forwardPermission(connection: string): ForwardPermission {
  return `forward:${connection}`;
}

/** An IAM principal ARN, as verified by SigV4 (locally) or by API Gateway (on Lambda). */
export type PrincipalArn = string;

/** A verified caller as the policy knows it: the tenant always comes from here, never from the request. */
export interface Caller {
  principal: PrincipalArn;
  tenant: string;
  permissions: ReadonlySet<Permission>;
}
