import type { HookSet } from '@tokenization/service-kit/hook-order';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { tokenOrPlaceholder } from '../domain/well-formed-token.js';
import { denialOf } from './access-control.js';
import { operationIdOf, revealOf } from './operation-access.js';

/**
 * One audit event, written as one JSON line by the audit logger, which adds `"audit": true`, `level` and
 * `time`. The infrastructure routes these lines by that marker (`{ $.audit IS TRUE }`) to their own log
 * group. Token ids and outcomes only: never a value, a header or a body.
 */
export interface AuditEvent {
  /** The contract operation, or `unknown-route`: what CloudWatch filters and dashboards key on. */
  event: string;
  operation: string | null;
  requestId: string;
  /** The verified principal; null when the request was not authenticated. */
  principal: string | null;
  /** The caller's tenant from the policy; null when the caller is unknown. */
  tenant: string | null;
  outcome: 'allowed' | 'denied';
  /** Why it was denied, e.g. `signature-mismatch`, `unknown-principal`, `missing-permission`. */
  reason?: string;
  statusCode: number;
  /**
   * The token ids of the request, once validated (a request denied before validation has none). Text that
   * is not a well-formed token (a card number sent by mistake) shows as `not-a-token`: this log is kept
   * for years.
   */
  tokens: string[];
  /**
   * detokenize: `revealed` or the item's error code; deleteToken: `deleted` or `not_found`; verify: `match`,
   * `no_match`, `locked`, `expired` or `not_found`; resetVerifyLock: `reset` or `not_found`.
   */
  results?: { token: string; outcome: string }[];
  /** detokenize: what was asked for. */
  reveal?: 'full' | 'masked';
  /** forward: the connection named in the path, once it is known to exist. */
  connection?: string;
  /** forward: the destination's status, when it answered. */
  destinationStatus?: number;
}

/** What a handler learns that the audit event must say (forward's connection, tokens and destination status). */
export interface NotedAuditFacts {
  connection?: string;
  tokens?: string[];
  destinationStatus?: number;
}

export type AuditLogger = Pick<Logger, 'info' | 'warn'>;

/** Audited whatever happens; every other operation only when denied. */
const alwaysAudited = new Set(['detokenize', 'deleteToken', 'verify', 'resetVerifyLock', 'forward']);

interface AuditedInput {
  tokens: string[];
  reveal?: 'full' | 'masked';
}

const inputs = new WeakMap<FastifyRequest, AuditedInput>();
const detokenizeResults = new WeakMap<FastifyRequest, AuditEvent['results']>();
const verifyMatches = new WeakMap<FastifyRequest, boolean>();
const notedFacts = new WeakMap<FastifyRequest, NotedAuditFacts>();

/** Records facts of a request for its audit event; later facts replace earlier ones. Never a value. */
export function noteAuditFacts(request: FastifyRequest, facts: NotedAuditFacts): void {
  notedFacts.set(request, { ...notedFacts.get(request), ...facts });
}

/** The audit trail's hooks: the access control's depend on them (see `accessControlHooks`). */
export function auditTrailHooks(auditLogger: AuditLogger): HookSet {
  return { name: 'audit-trail', register: (app) => registerAuditTrail(app, auditLogger) };
}

/** Emits one audit event per detokenize, delete, verify, verify reset and forward, allowed or denied, and per denied request. */
export function registerAuditTrail(app: FastifyInstance, auditLogger: AuditLogger): void {
  // Register before the access control: this runs after validation and before a body-dependent denial,
  // so the token ids are recorded for that denial too.
  app.addHook('preHandler', async (request) => {
    const input = auditedInputOf(request);
    if (input) inputs.set(request, input);
  });

  // The handler's result object, before it is serialized: only token ids and error codes are read.
  app.addHook('preSerialization', async (request, reply, payload: unknown) => {
    if (operationIdOf(request) === 'detokenize' && reply.statusCode === 200) {
      detokenizeResults.set(request, detokenizeOutcomes(payload));
    }
    // verify's answer is a boolean only: whether it matched is what the audit records.
    if (operationIdOf(request) === 'verify' && reply.statusCode === 200) {
      verifyMatches.set(request, (payload as { match?: unknown } | null)?.match === true);
    }
    return payload;
  });

  // onSend: once per response, denied ones included, before anything leaves the service.
  app.addHook('onSend', async (request, reply, payload) => {
    const event = auditEventOf(request, reply);
    if (event?.outcome === 'denied') auditLogger.warn(event, `${event.event} denied`);
    else if (event) auditLogger.info(event, `${event.event} allowed`);
    return payload;
  });
}

function auditEventOf(request: FastifyRequest, reply: FastifyReply): AuditEvent | undefined {
  const operation = operationIdOf(request) ?? null;
  const denial = denialOf(request);
  const denied = denial !== undefined || reply.statusCode === 401 || reply.statusCode === 403;
  if (!denied && !(operation && alwaysAudited.has(operation))) return undefined;
  const input = inputs.get(request);
  const results = itemResultsOf(operation, request, input, reply.statusCode);
  const noted = notedFacts.get(request);
  return {
    event: operation ?? 'unknown-route',
    operation,
    requestId: request.id,
    principal: request.caller?.principal ?? (denial?.status === 403 ? denial.principal : null),
    tenant: request.caller?.tenant ?? null,
    outcome: denied ? 'denied' : 'allowed',
    ...(denial ? { reason: denial.reason } : {}),
    statusCode: reply.statusCode,
    tokens: noted?.tokens ?? input?.tokens ?? [],
    ...(results ? { results } : {}),
    ...(input?.reveal ? { reveal: input.reveal } : {}),
    ...(noted?.connection !== undefined ? { connection: noted.connection } : {}),
    ...(noted?.destinationStatus !== undefined ? { destinationStatus: noted.destinationStatus } : {}),
  };
}

function auditedInputOf(request: FastifyRequest): AuditedInput | undefined {
  switch (operationIdOf(request)) {
    case 'detokenize': {
      const { tokens } = request.body as { tokens: string[] };
      return { tokens: tokens.map(tokenOrPlaceholder), reveal: revealOf(request.body) };
    }
    case 'deleteToken':
    case 'verify':
    case 'resetVerifyLock':
      return { tokens: [tokenOrPlaceholder((request.params as { token: string }).token)] };
    default:
      return undefined;
  }
}

function itemResultsOf(
  operation: string | null,
  request: FastifyRequest,
  input: AuditedInput | undefined,
  statusCode: number,
): AuditEvent['results'] {
  if (operation === 'detokenize') return detokenizeResults.get(request);
  if (operation === 'deleteToken') return deleteOutcomes(input, statusCode);
  if (operation === 'verify') return verifyOutcomes(request, input, statusCode);
  if (operation === 'resetVerifyLock')
    return singleOutcome(input, { 204: 'reset', 404: 'not_found' }, statusCode);
  return undefined;
}

/** `match`, `no_match`, or why nothing was compared: `locked`, `expired`, `not_found`. */
function verifyOutcomes(
  request: FastifyRequest,
  input: AuditedInput | undefined,
  statusCode: number,
): AuditEvent['results'] {
  const match = verifyMatches.get(request);
  const outcomes = {
    200: match === undefined ? undefined : match ? 'match' : 'no_match',
    404: 'not_found',
    410: 'expired',
    423: 'locked',
  };
  return singleOutcome(input, outcomes, statusCode);
}

function singleOutcome(
  input: AuditedInput | undefined,
  outcomes: Record<number, string | undefined>,
  statusCode: number,
): AuditEvent['results'] {
  const [token] = input?.tokens ?? [];
  const outcome = outcomes[statusCode];
  return token === undefined || outcome === undefined ? undefined : [{ token, outcome }];
}

/** `revealed` or the item's error code, per result: the value itself is never read. */
function detokenizeOutcomes(payload: unknown): AuditEvent['results'] {
  const results = (payload as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return undefined;
  return results.map((result: { token?: unknown; error?: { code?: unknown } }) => ({
    token: tokenOrPlaceholder(String(result?.token)),
    outcome: result?.error ? String(result.error.code) : 'revealed',
  }));
}

function deleteOutcomes(input: AuditedInput | undefined, statusCode: number): AuditEvent['results'] {
  const [token] = input?.tokens ?? [];
  if (token === undefined) return undefined;
  if (statusCode === 204) return [{ token, outcome: 'deleted' }];
  if (statusCode === 404) return [{ token, outcome: 'not_found' }];
  return undefined;
}
