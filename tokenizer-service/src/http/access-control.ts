import { isUtf8 } from 'node:buffer';
import type {} from '@tokenization/service-kit/api-docs'; // declares the `publicDocs` route config
import { ProblemError } from '@tokenization/service-kit/errors';
import type { HookSet } from '@tokenization/service-kit/hook-order';
import { problemType } from '@tokenization/service-kit/problem';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  AuthenticationError,
  type AuthenticationFailure,
  type Authenticator,
  clientDetail,
} from '../auth/authenticator.js';
import type { AuthorizationPolicy } from '../auth/authorization-policy.js';
import type { Caller, PrincipalArn } from '../auth/permissions.js';
import { mayCall, mayCallWith, operationIdOf } from './operation-access.js';
import { readRawBody, replayableBody } from './raw-body.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, set before the body is parsed; null only before that. */
    caller: Caller | null;
  }
}

export interface AccessControlOptions {
  authenticate: Authenticator;
  policy: AuthorizationPolicy;
  /** The app's body limit, for routes that do not set their own (unknown routes). */
  bodyLimit: number;
}

/** Why a request was refused; the audit trail records it. */
export type Denial =
  | { status: 401; reason: AuthenticationFailure }
  | { status: 403; reason: 'unknown-principal' | 'missing-permission'; principal: PrincipalArn }
  | { status: 429; reason: 'deterministic-rate-limit'; principal: PrincipalArn }
  | {
      status: 403 | 410;
      reason: 'tenant-not-onboarded' | 'tenant-suspended' | 'tenant-shredded';
      principal: PrincipalArn;
    };

const denials = new WeakMap<FastifyRequest, Denial>();

/** Records why a request is refused, for the audit trail (for refusals made outside this module). */
export function recordDenial(request: FastifyRequest, denial: Denial): void {
  denials.set(request, denial);
}

export function denialOf(request: FastifyRequest): Denial | undefined {
  return denials.get(request);
}

/** The caller of a request past authentication; throws (500) if the access control hooks did not run. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new Error('no verified caller: the access control hooks did not run');
  return request.caller;
}

/**
 * The access control's hooks, after the audit trail's: the audit preHandler records the token ids before a
 * body-dependent denial here, so the denial's audit event names them.
 */
export function accessControlHooks(options: AccessControlOptions): HookSet {
  return {
    name: 'access-control',
    dependencies: ['audit-trail'],
    register: (app) => registerAccessControl(app, options),
  };
}

/**
 * Authenticates every request before its body is parsed (401), resolves the caller in the policy (403
 * when unknown or lacking the permission), and checks body-dependent permissions once the body is valid.
 * Deny by default: an operation without an access rule is refused to everyone.
 */
export function registerAccessControl(app: FastifyInstance, options: AccessControlOptions): void {
  app.decorateRequest('caller', null);

  // preParsing: the earliest stage with the body, which the signature covers. Nothing is parsed for an
  // unauthenticated caller, so malformed bodies from strangers get 401, not 400.
  app.addHook('preParsing', async (request, _reply, payload) => {
    // The local server's API docs (never in the Lambda bundle) hold the contract and no data.
    if (request.routeOptions.config.publicDocs === true) return payload;
    const limit = request.routeOptions.bodyLimit ?? options.bodyLimit;
    const body = await readRawBody(payload, limit, request.headers['content-length']);
    const caller = await identify(request, body, options);
    request.caller = caller;
    const operationId = operationIdOf(request);
    // Unknown routes answer 404 to any verified caller; they hold nothing to protect.
    if (operationId !== undefined && !mayCall(caller, operationId, request.params)) {
      throw deny(request, { status: 403, reason: 'missing-permission', principal: caller.principal });
    }
    // JSON is UTF-8 (RFC 8259). Other bytes would be decoded as U+FFFD: the vault would keep, and later
    // reveal, another value than the one sent. Refused instead.
    if (!isUtf8(body)) {
      throw new ProblemError({
        type: problemType('malformed-request'),
        title: 'Bad Request',
        status: 400,
        detail: 'The request body is not valid UTF-8.',
      });
    }
    return replayableBody(body);
  });

  // preHandler: after validation, for permissions that depend on the body (`reveal` of detokenize).
  app.addHook('preHandler', async (request) => {
    const operationId = operationIdOf(request);
    if (operationId === undefined) return;
    const caller = callerOf(request);
    if (!mayCallWith(caller, operationId, request.body, request.params)) {
      throw deny(request, { status: 403, reason: 'missing-permission', principal: caller.principal });
    }
  });
}

async function identify(
  request: FastifyRequest,
  body: Buffer,
  options: AccessControlOptions,
): Promise<Caller> {
  let principal: PrincipalArn;
  try {
    principal = await options.authenticate(request, body);
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    request.log.info({ reason: error.reason }, 'request not authenticated');
    throw deny(request, { status: 401, reason: error.reason });
  }
  const caller = options.policy.callerFor(principal);
  if (!caller) throw deny(request, { status: 403, reason: 'unknown-principal', principal });
  return caller;
}

function deny(request: FastifyRequest, denial: Denial): ProblemError {
  denials.set(request, denial);
  if (denial.status === 401) {
    return new ProblemError(
      {
        type: problemType('unauthenticated'),
        title: 'Unauthorized',
        status: 401,
        detail: clientDetail(denial.reason),
      },
      { headers: { 'www-authenticate': 'AWS4-HMAC-SHA256' } },
    );
  }
  return new ProblemError({
    type: problemType('forbidden'),
    title: 'Forbidden',
    status: 403,
    detail:
      denial.reason === 'unknown-principal'
        ? 'The caller has no access to the tokenizer.'
        : 'The caller may not perform this operation.',
  });
}
