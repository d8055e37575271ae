import type { HookSet } from '@tokenization/service-kit/hook-order';
import type { FastifyInstance } from 'fastify';
import { TenantNotOnboardedError, TenantShreddedError, TenantSuspendedError } from '../domain/errors.js';
import type { TenantStates } from '../domain/tenant-states.js';
import { callerOf, recordDenial } from './access-control.js';
import { operationAccess, operationIdOf } from './operation-access.js';

/**
 * The tenant state check's hooks, after the access control's (a stranger learns nothing of a tenant's
 * state) and before the rate limit's (a refused tenant spends nothing).
 */
export function tenantStateHooks(states: Pick<TenantStates, 'requireActive'>): HookSet {
  return {
    name: 'tenant-state',
    dependencies: ['access-control'],
    register: (app) => registerTenantStateCheck(app, states),
  };
}

/**
 * Before every operation that acts within the caller's tenant (all but the health probes, which need no
 * permission), the tenant must be active: 403 `tenant-not-onboarded` or `tenant-suspended`, 410
 * `tenant-shredded` otherwise, audited as a denial. Here rather than in the vault, so that forward is
 * refused whether or not its body holds a token.
 */
export function registerTenantStateCheck(
  app: FastifyInstance,
  states: Pick<TenantStates, 'requireActive'>,
): void {
  app.addHook('preHandler', async (request) => {
    const operationId = operationIdOf(request);
    const rule = operationId === undefined ? undefined : operationAccess[operationId];
    if (!rule || 'anyVerifiedCaller' in rule) return;
    const caller = callerOf(request);
    try {
      await states.requireActive(caller.tenant);
    } catch (error) {
      const reason = denialReasonOf(error);
      if (reason) recordDenial(request, { ...reason, principal: caller.principal });
      throw error;
    }
  });
}

function denialReasonOf(error: unknown) {
  if (error instanceof TenantNotOnboardedError)
    return { status: 403, reason: 'tenant-not-onboarded' } as const;
  if (error instanceof TenantSuspendedError) return { status: 403, reason: 'tenant-suspended' } as const;
  if (error instanceof TenantShreddedError) return { status: 410, reason: 'tenant-shredded' } as const;
  return undefined;
}
