import type { FastifyRequest } from 'fastify';
import type { PrincipalArn } from './permissions.js';

/**
 * Verifies who sent a request and returns the principal's ARN, or throws AuthenticationError.
 * Locally it checks the SigV4 signature over the request (which is why it gets the raw body); on Lambda
 * it reads the identity API Gateway already verified.
 */
export type Authenticator = (
  request: FastifyRequest,
  rawBody: Buffer,
) => Promise<PrincipalArn> | PrincipalArn;

/**
 * Why a request was not authenticated. Kept for logs and audit events; clients only learn the coarse
 * category (see `clientDetail`), never which part of a signature failed.
 */
export type AuthenticationFailure =
  | 'missing-signature'
  | 'malformed-signature'
  | 'expired'
  | 'wrong-scope'
  | 'unsigned-header'
  | 'unknown-access-key'
  | 'body-hash-mismatch'
  | 'signature-mismatch'
  | 'unnormalized-path'
  | 'no-identity';

export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
  constructor(
    readonly reason: AuthenticationFailure,
    options?: ErrorOptions,
  ) {
    super(`request not authenticated: ${reason}`, options);
  }
}

/** What a client is told about a failed authentication. */
export function clientDetail(reason: AuthenticationFailure): string {
  switch (reason) {
    case 'missing-signature':
      return 'The request is not signed.';
    case 'expired':
      return 'The request signature is expired or not yet valid.';
    case 'no-identity':
      return 'The request carries no verified caller identity.';
    case 'unnormalized-path':
      return 'The request path must not contain empty, "." or ".." segments.';
    default:
      return 'The request signature is not valid.';
  }
}
