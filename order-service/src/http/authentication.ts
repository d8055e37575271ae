import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { AuthenticationError } from '../domain/errors.js';
import type { Caller, IdTokenVerifier } from '../domain/ports.js';

const callers = new WeakMap<FastifyRequest, Caller>();

/**
 * Verifies the ID token in the `Authorization` header: the raw token, as the sample (and API Gateway's
 * Cognito authorizer) takes it, or `Bearer <token>`.
 */
export function idTokenAuthentication(verifier: IdTokenVerifier): onRequestHookHandler {
  return async (request) => {
    const header = request.headers.authorization;
    if (!header) throw new AuthenticationError('no Authorization header');
    const token = header.replace(/^Bearer\s+/i, '').trim();
    callers.set(request, await verifier.verify(token));
  };
}

/** The verified caller of an authenticated operation. */
export function callerOf(request: FastifyRequest): Caller {
  const caller = callers.get(request);
  // Only reachable if an operation requiring security lost its hook: a bug, never a 401.
  if (!caller) throw new Error('no verified caller for this request');
  return caller;
}
