import type { OpenApiDocument } from '@tokenization/contracts/operations';
import { operationRoutes } from '@tokenization/contracts/operations';
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The contract operation a route implements. */
    operationId?: string;
    /** Set by `@tokenization/contracts/api-docs` on the local docs routes. */
    publicDocs?: boolean;
  }
}

/**
 * Registers one route per contract operation, validated by the contract's own schemas. Fails at start when
 * an operation has no handler or a handler no operation, so the app and its contract cannot drift apart.
 */
export function registerOperations(
  app: FastifyInstance,
  document: OpenApiDocument,
  handlers: Record<string, RouteHandlerMethod>,
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
      handler: handlers[route.operationId] as RouteHandlerMethod,
    });
  }
}
