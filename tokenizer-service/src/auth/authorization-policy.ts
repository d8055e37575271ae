import { readFileSync } from 'node:fs';
import policySchema from '../../authorization-policy.schema.json' with { type: 'json' };
import { jsonSchemaCheck } from './json-validation.js';
import type { Caller, Permission, PrincipalArn } from './permissions.js';

/** The policy document, as `authorization-policy.schema.json` describes it. */
export interface AuthorizationPolicyDocument {
  principals: { arn: PrincipalArn; tenant: string; permissions: Permission[]; description?: string }[];
}

/** Where the policy comes from: exactly one of the two (the config checks it). */
export interface AuthorizationPolicySource {
  /** The policy JSON itself (the CDK stack passes it this way). */
  AUTHORIZATION_POLICY?: string;
  /** A path to the policy JSON (the local stack). */
  AUTHORIZATION_POLICY_FILE?: string;
}

/** The policy is missing, unreadable, not JSON or does not match its schema: the service must not start. */
export class AuthorizationPolicyError extends Error {
  override readonly name = 'AuthorizationPolicyError';
}

const checkPolicy = jsonSchemaCheck(policySchema);

/** Maps verified principals to their tenant and permissions. A principal it does not list may do nothing. */
export class AuthorizationPolicy {
  readonly #callers: ReadonlyMap<PrincipalArn, Caller>;

  private constructor(callers: ReadonlyMap<PrincipalArn, Caller>) {
    this.#callers = callers;
  }

  /** Validates a parsed document against the committed schema; `source` names it in errors. */
  static fromDocument(document: unknown, source: string): AuthorizationPolicy {
    const problems = checkPolicy(document);
    if (problems.length > 0) {
      throw new AuthorizationPolicyError(`Invalid authorization policy (${source}): ${problems.join('; ')}`);
    }
    const callers = new Map<PrincipalArn, Caller>();
    for (const { arn, tenant, permissions } of (document as AuthorizationPolicyDocument).principals) {
      // Two entries for one principal would make its tenant ambiguous.
      if (callers.has(arn)) {
        throw new AuthorizationPolicyError(
          `Invalid authorization policy (${source}): ${arn} is listed twice`,
        );
      }
      callers.set(arn, { principal: arn, tenant, permissions: new Set(permissions) });
    }
    return new AuthorizationPolicy(callers);
  }

  static parse(json: string, source: string): AuthorizationPolicy {
    let document: unknown;
    try {
      document = JSON.parse(json);
    } catch (error) {
      // JSON.parse messages quote the text; the policy is not secret, but errors never echo input.
      throw new AuthorizationPolicyError(`Invalid authorization policy (${source}): not valid JSON`, {
        cause: error,
      });
    }
    return AuthorizationPolicy.fromDocument(document, source);
  }

  /** Reads the policy from the configuration: inline JSON or a file. */
  static fromConfig(config: AuthorizationPolicySource): AuthorizationPolicy {
    if (config.AUTHORIZATION_POLICY !== undefined) {
      return AuthorizationPolicy.parse(config.AUTHORIZATION_POLICY, 'AUTHORIZATION_POLICY');
    }
    const file = config.AUTHORIZATION_POLICY_FILE;
    if (file === undefined) {
      throw new AuthorizationPolicyError('Set AUTHORIZATION_POLICY or AUTHORIZATION_POLICY_FILE');
    }
    let json: string;
    try {
      json = readFileSync(file, 'utf8');
    } catch (error) {
      throw new AuthorizationPolicyError(`AUTHORIZATION_POLICY_FILE ${file} cannot be read`, {
        cause: error,
      });
    }
    return AuthorizationPolicy.parse(json, `AUTHORIZATION_POLICY_FILE ${file}`);
  }

  /** The caller this principal is, or undefined when the policy does not list it. */
  callerFor(principal: PrincipalArn): Caller | undefined {
    return this.#callers.get(principal);
  }
}
