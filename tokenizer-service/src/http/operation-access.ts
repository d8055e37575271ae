import type { FastifyRequest } from 'fastify';
import { type Caller, forwardPermission, type Permission } from '../auth/permissions.js';

/**
 * Who may call an operation: any verified caller (health probes), or a caller holding one of `anyOf`.
 * `forParams` replaces `anyOf` where the permission names a path parameter (`forward:<connection>`).
 * `forBody` narrows it once the body is validated, where the permissions depend on what is asked: the
 * caller must then hold one permission of every group it returns.
 */
export type AccessRule =
  | { readonly anyVerifiedCaller: true }
  | {
      readonly anyOf: readonly Permission[];
      readonly forParams?: (params: unknown) => readonly Permission[];
      readonly forBody?: (body: unknown) => readonly (readonly Permission[])[];
    };

/** Operations not listed here are denied to everyone. */
export const operationAccess: Readonly<Record<string, AccessRule>> = {
  // Deterministic items need `tokenize:deterministic` (a value oracle, see deterministic-rate-limit.ts),
  // the others `tokenize`; a batch mixing both needs both. Neither implies the other.
  tokenize: { anyOf: ['tokenize', 'tokenize:deterministic'], forBody: tokenizePermissions },
  tokenizeBatch: { anyOf: ['tokenize', 'tokenize:deterministic'], forBody: tokenizePermissions },
  // `detokenize` reveals in full and masked; `detokenize:masked` only masked.
  detokenize: {
    anyOf: ['detokenize', 'detokenize:masked'],
    forBody: (body) => [revealOf(body) === 'masked' ? ['detokenize', 'detokenize:masked'] : ['detokenize']],
  },
  getTokenMetadata: { anyOf: ['metadata:read'] },
  deleteToken: { anyOf: ['delete'] },
  verify: { anyOf: ['verify'] },
  resetVerifyLock: { anyOf: ['verify:reset'] },
  // One permission per connection: `forward:payments` lets a caller reach that destination only.
  forward: { anyOf: [], forParams: (params) => [forwardPermission(connectionOf(params))] },
  // API Gateway requires a signature on every method, probes included; they need no permission.
  live: { anyVerifiedCaller: true },
  ready: { anyVerifiedCaller: true },
};

/** The contract operation a request was routed to (set by `registerOperations`); none for unknown routes. */
export function operationIdOf(request: FastifyRequest): string | undefined {
  const operationId = (request.routeOptions.config as { operationId?: unknown } | undefined)?.operationId;
  return typeof operationId === 'string' ? operationId : undefined;
}

/** Before the body is parsed: could this caller be allowed this operation (with these path parameters)? */
export function mayCall(caller: Caller, operationId: string, params?: unknown): boolean {
  const rule = operationAccess[operationId];
  if (!rule) return false;
  if ('anyVerifiedCaller' in rule) return true;
  return holdsAny(caller, rule.forParams ? rule.forParams(params) : rule.anyOf);
}

/** After validation: is this caller allowed this operation with this body (and these path parameters)? */
export function mayCallWith(caller: Caller, operationId: string, body: unknown, params?: unknown): boolean {
  const rule = operationAccess[operationId];
  if (!rule) return false;
  if ('anyVerifiedCaller' in rule) return true;
  const groups = rule.forBody ? rule.forBody(body) : [rule.forParams ? rule.forParams(params) : rule.anyOf];
  return groups.every((group) => holdsAny(caller, group));
}

/** The `connection` path parameter of a forward. */
function connectionOf(params: unknown): string {
  const connection = (params as { connection?: unknown } | undefined)?.connection;
  return typeof connection === 'string' ? connection : '';
}

/** How many items of a tokenize or tokenizeBatch body ask for a deterministic token. */
export function deterministicItemCount(body: unknown): number {
  return tokenizeItemsOf(body).filter(isDeterministic).length;
}

function tokenizePermissions(body: unknown): Permission[][] {
  const items = tokenizeItemsOf(body);
  const groups: Permission[][] = [];
  if (items.some(isDeterministic)) groups.push(['tokenize:deterministic']);
  if (groups.length === 0 || items.some((item) => !isDeterministic(item))) groups.push(['tokenize']);
  return groups;
}

/** The items of a tokenize body (itself) or a tokenizeBatch body (`items`), once validated. */
function tokenizeItemsOf(body: unknown): unknown[] {
  const items = (body as { items?: unknown } | undefined)?.items;
  return Array.isArray(items) ? items : [body];
}

function isDeterministic(item: unknown): boolean {
  return (item as { deterministic?: unknown } | undefined)?.deterministic === true;
}

/** `reveal` of a detokenize body; absent means `full`. */
export function revealOf(body: unknown): 'full' | 'masked' {
  return (body as { reveal?: unknown } | undefined)?.reveal === 'masked' ? 'masked' : 'full';
}

function holdsAny(caller: Caller, required: readonly Permission[]): boolean {
  return required.some((permission) => caller.permissions.has(permission));
}
