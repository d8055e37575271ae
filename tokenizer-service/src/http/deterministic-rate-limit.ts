import { ProblemError } from '@tokenization/service-kit/errors';
import type { HookSet } from '@tokenization/service-kit/hook-order';
import { problemType } from '@tokenization/service-kit/problem';
import type { FastifyInstance } from 'fastify';
import type { DeterministicTokenizationLimit } from '../domain/deterministic-rate-limit.js';
import { callerOf, recordDenial } from './access-control.js';
import { deterministicItemCount, operationIdOf } from './operation-access.js';

const tokenizing = new Set(['tokenize', 'tokenizeBatch']);

/**
 * The rate limit's hooks, after the access control's and the tenant state's: a caller they refuse spends
 * nothing.
 */
export function deterministicRateLimitHooks(limit: DeterministicTokenizationLimit): HookSet {
  return {
    name: 'deterministic-rate-limit',
    dependencies: ['access-control', 'tenant-state'],
    register: (app) => registerDeterministicRateLimit(app, limit),
  };
}

/**
 * Spends the caller's deterministic tokenizations before a tokenize or batch runs: 429 with Retry-After
 * (and an audit event, through the recorded denial) when the minute's allowance would be exceeded. Register
 * after the access control: a caller without `tokenize:deterministic` gets 403 and spends nothing.
 */
export function registerDeterministicRateLimit(
  app: FastifyInstance,
  limit: DeterministicTokenizationLimit,
): void {
  app.addHook('preHandler', async (request) => {
    const operationId = operationIdOf(request);
    if (operationId === undefined || !tokenizing.has(operationId)) return;
    const count = deterministicItemCount(request.body);
    if (count === 0) return;
    const caller = callerOf(request);
    const decision = await limit.spend(caller, count);
    if (decision.allowed) return;
    recordDenial(request, { status: 429, reason: 'deterministic-rate-limit', principal: caller.principal });
    throw new ProblemError(
      {
        type: problemType('deterministic-rate-limit'),
        title: 'Too Many Requests',
        status: 429,
        detail: decision.exceedsWindow
          ? `The request holds more deterministic items than the caller's limit of ${limit.perMinute} per minute; send fewer per request.`
          : `The caller's limit of ${limit.perMinute} deterministic tokenizations per minute is reached; nothing was tokenized. Retry after the given delay.`,
      },
      { headers: { 'retry-after': String(decision.retryAfterSeconds) } },
    );
  });
}
