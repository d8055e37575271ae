import type { FastifyRequest } from 'fastify';
import { AuthenticationError, type Authenticator } from './authenticator.js';
import type { PrincipalArn } from './permissions.js';

/** The part of an API Gateway REST (v1) proxy event that names the caller AWS_IAM authorization verified. */
interface ApiGatewayIdentity {
  userArn?: string | null;
  caller?: string | null;
  accountId?: string | null;
}

interface LambdaDecoratedRequest {
  /** Set by @fastify/aws-lambda (`decorateRequest`) from the invocation itself, never from headers. */
  awsLambda?: { event?: { requestContext?: { identity?: ApiGatewayIdentity | null } } };
}

/**
 * Trusts the identity API Gateway put into the Lambda event after verifying the caller's SigV4 signature
 * (AWS_IAM authorization on every method). Wire it only in the Lambda entry: anywhere else nothing has
 * verified that identity.
 */
export function apiGatewayIdentityAuthenticator(): Authenticator {
  return (request: FastifyRequest) => {
    const identity = (request as FastifyRequest & LambdaDecoratedRequest).awsLambda?.event?.requestContext
      ?.identity;
    const userArn = identity?.userArn;
    if (typeof userArn !== 'string' || userArn === '') throw new AuthenticationError('no-identity');
    return normalizePrincipalArn(userArn);
  };
}

const assumedRoleArn = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/**
 * Policies name IAM roles; API Gateway reports a role's session as `arn:aws:sts::ACCOUNT:assumed-role/
 * ROLE/SESSION`. The session name is chosen by whoever assumed the role, so it is dropped: every session
 * of the role is the role. Any other ARN is returned unchanged.
 */
export function normalizePrincipalArn(arn: string): PrincipalArn {
  const match = assumedRoleArn.exec(arn);
  return match ? `arn:${match[1]}:iam::${match[2]}:role/${match[3]}` : arn;
}
