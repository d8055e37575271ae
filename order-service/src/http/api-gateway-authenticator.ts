import type { FastifyRequest } from 'fastify';
import { AuthenticationError } from '../domain/errors.js';
import type { Caller, Clock } from '../domain/ports.js';
import type { Authenticator } from './authentication.js';

export interface ApiGatewayClaimsOptions {
  /** The user pool's issuer: `https://cognito-idp.<region>.amazonaws.com/<user pool id>`. */
  issuer: string;
  /** The app client: an ID token's audience. */
  clientId: string;
  clock: Clock;
}

/**
 * The claims of an API Gateway REST (v1) proxy event, as its Cognito user pool authorizer passes them: every
 * value a string, `exp` and `iat` written as dates (`Thu Dec 06 17:08:23 UTC 2018`).
 */
type Claims = Record<string, unknown>;

interface LambdaDecoratedRequest {
  /** Set by @fastify/aws-lambda (`decorateRequest`) from the invocation itself, never from headers. */
  awsLambda?: { event?: { requestContext?: { authorizer?: { claims?: unknown } | null } } };
}

/**
 * Trusts the ID token claims API Gateway's Cognito user pool authorizer put into the Lambda event after
 * verifying the token's signature against the pool's keys. The order function runs in isolated subnets
 * where Cognito's JWKS cannot be fetched, so it does not verify the signature again; it re-checks what
 * the claims say: an ID token (`token_use`), for this app client (`aud`), from this pool (`iss`), not
 * expired (`exp`), of a user (`sub`). Wire it only in the Lambda entry: anywhere else nothing has
 * verified those claims.
 */
export function apiGatewayClaimsAuthenticator(options: ApiGatewayClaimsOptions): Authenticator {
  return (request: FastifyRequest): Caller => {
    const claims = (request as FastifyRequest & LambdaDecoratedRequest).awsLambda?.event?.requestContext
      ?.authorizer?.claims;
    if (typeof claims !== 'object' || claims === null) throw new AuthenticationError('no verified claims');
    return callerFromClaims(claims as Claims, options);
  };
}

function callerFromClaims(claims: Claims, options: ApiGatewayClaimsOptions): Caller {
  if (claims.token_use !== 'id') throw new AuthenticationError('not an ID token');
  if (claims.aud !== options.clientId) throw new AuthenticationError('unexpected audience');
  if (claims.iss !== options.issuer) throw new AuthenticationError('unexpected issuer');
  const expiresAt = epochMilliseconds(claims.exp);
  if (expiresAt === undefined) throw new AuthenticationError('invalid exp claim');
  if (expiresAt <= options.clock().getTime()) throw new AuthenticationError('expired');
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) throw new AuthenticationError('no subject');
  return { sub: claims.sub };
}

/**
 * A time claim in milliseconds: seconds since the epoch (a JSON number, or digits as a string), or the date
 * API Gateway's REST authorizer writes (`Thu Dec 06 17:08:23 UTC 2018`). Undefined when it is neither.
 */
function epochMilliseconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  if (/^\d{1,12}$/.test(value)) return Number(value) * 1000;
  if (!apiGatewayDate.test(value)) return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

// `EEE MMM dd HH:mm:ss UTC yyyy`, the only date form accepted (Date.parse alone takes almost anything).
const apiGatewayDate = /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$/;
