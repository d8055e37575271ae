import {
  type OpenApiDocument,
  type OperationRoute,
  operationRoutes,
} from '@tokenization/contracts/operations';
import type { FastifyInstance, onRequestHookHandler, RouteHandlerMethod } from 'fastify';

export interface OperationOptions {
  /** Runs before anything else for the operations whose contract requires a security scheme. */
  authenticate: onRequestHookHandler;
}

/**
 * Registers one route per contract operation, validated by the contract's own schemas and authenticated
 * as the contract's `security` says. Fails at start when an operation has no handler or a handler no
 * operation, so the app and its contract cannot drift apart.
 */
export function registerOperations(
  app: FastifyInstance,
  document: OpenApiDocument,
  handlers: Record<string, RouteHandlerMethod>,
  options: OperationOptions,
): void {
  const routes = operationRoutes(document);
  const missing = routes.filter((route) => !handlers[route.operationId]).map((route) => route.operationId);
  const unknown = Object.keys(handlers).filter((id) => !routes.some((route) => route.operationId === id));
  if (missing.length > 0 || unknown.length > 0) {
    throw new Error(
      `contract and handlers differ: missing [${missing.join(', ')}], unknown [${unknown.join(', ')}]`,
    );
  }
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      schema: route.schema,
      config: { operationId: route.operationId },
      // Authentication first: a caller without a token learns nothing, not even how the body is judged.
      ...(requiresSecurity(document, route) ? { onRequest: options.authenticate } : {}),
      handler: handlers[route.operationId] as RouteHandlerMethod,
    });
  }
}

/** An operation's own `security` overrides the document's; `[]` (or `[{}]`) means public. */
function requiresSecurity(document: OpenApiDocument, route: OperationRoute): boolean {
  const operation = document.paths[route.path]?.[route.method.toLowerCase() as 'get'];
  const security = (operation?.security ?? document.security ?? []) as Record<string, unknown>[];
  return security.length > 0 && security.every((requirement) => Object.keys(requirement).length > 0);
}
