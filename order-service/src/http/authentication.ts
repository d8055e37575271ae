import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { AuthenticationError } from '../domain/errors.js';
import type { Caller, IdTokenVerifier } from '../domain/ports.js';

/**
 * Says who sent a request: the caller, or AuthenticationError (401), or DependencyUnavailableError (503)
 * when what it needs does not answer. The entries choose it: on Lambda, the claims API Gateway's Cognito
 * authorizer verified (`apiGatewayClaimsAuthenticator`); locally, the ID token verified by the service
 * itself (`idTokenAuthenticator`).
 */
export type Authenticator = (request: FastifyRequest) => Promise<Caller> | Caller;

const callers = new WeakMap<FastifyRequest, Caller>();

/** The onRequest hook of the secured operations: authenticates, and keeps the caller for the handlers. */
export function authenticationHook(authenticate: Authenticator): onRequestHookHandler {
  return async (request) => {
    callers.set(request, await authenticate(request));
  };
}

/**
 * Verifies the ID token in the `Authorization` header with `verifier`: the raw token, as the sample (and
 * API Gateway's Cognito authorizer) takes it, or `Bearer <token>`.
 */
export function idTokenAuthenticator(verifier: IdTokenVerifier): Authenticator {
  return (request) => {
    const header = request.headers.authorization;
    if (!header) throw new AuthenticationError('no Authorization header');
    const token = header.replace(/^Bearer\s+/i, '').trim();
    return verifier.verify(token);
  };
}

/** The verified caller of an authenticated operation. */
export function callerOf(request: FastifyRequest): Caller {
  const caller = callers.get(request);
  // Only reachable if an operation requiring security lost its hook: a bug, never a 401.
  if (!caller) throw new Error('no verified caller for this request');
  return caller;
}
