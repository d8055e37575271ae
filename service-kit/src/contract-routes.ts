// Registers a service's contract operations as Fastify routes: one per operation, validated by the
// contract's own schemas, on an app set up the same way for both services.
import { randomUUID } from 'node:crypto';
import type { ContractRoute } from '@tokenization/contracts/operations';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
  type onRequestHookHandler,
  type RouteHandlerMethod,
} from 'fastify';
import { type RequestMetricsConfig, registerRequestMetrics } from './metrics.js';
import type { OperationHandlers } from './operation-handlers.js';
import { answerFrameworkError } from './problem-handling.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The contract operation a route implements (set by `registerOperations`). */
    operationId?: string;
  }
}

export interface OperationOptions {
  /**
   * Runs first (onRequest) for the operations whose contract requires a security scheme. Without it, no
   * route gets a hook of its own: the app authenticates every request itself (the tokenizer does).
   */
  authenticate?: onRequestHookHandler;
}

/**
 * Registers one route per contract operation (the contract's generated route table, e.g.
 * `@tokenization/contracts/tokenizer-routes`), with `config.operationId` set, validated by the contract's
 * own schemas and, with `authenticate`, authenticated as the contract's `security` says. Fails at start
 * when an operation has no handler or a handler no operation, so an app and its contract cannot drift
 * apart.
 */
export function registerOperations<Operations>(
  app: FastifyInstance,
  routes: readonly ContractRoute[],
  handlers: OperationHandlers<Operations>,
  options: OperationOptions = {},
): void {
  // Typed per operation for the service's code; Fastify sees them as plain handlers, and the contract's
  // schemas (validated before any handler runs) are what makes the types true.
  const byId = handlers as unknown as Record<string, RouteHandlerMethod | undefined>;
  const missing = routes.filter((route) => !byId[route.operationId]).map((route) => route.operationId);
  const unknown = Object.keys(byId).filter((id) => !routes.some((route) => route.operationId === id));
  if (missing.length > 0 || unknown.length > 0) {
    throw new Error(
      `contract and handlers differ: missing [${missing.join(', ')}], unknown [${unknown.join(', ')}]`,
    );
  }
  for (const route of routes) {
    const authenticate = options.authenticate && route.secured ? options.authenticate : undefined;
    app.route({
      method: route.method,
      url: route.url,
      schema: route.schema,
      config: { operationId: route.operationId },
      // Authentication first: a caller without credentials learns nothing, not even how the body is judged.
      ...(authenticate ? { onRequest: authenticate } : {}),
      handler: byId[route.operationId] as RouteHandlerMethod,
    });
  }
}

export interface ContractAppOptions {
  logger: FastifyBaseLogger;
  /** Largest request body accepted, in bytes (413 above it). */
  bodyLimit: number;
  /** Where the one line per request (an EMF record: see ./metrics.ts) puts its metrics. */
  metrics: RequestMetricsConfig;
  /**
   * Fastify's schema compilers: by default Ajv compiles each route's schemas at start; the Lambda entries
   * pass `precompiledCompilers` (precompiled-validators.ts) with the validators generated at build time.
   */
  compilers?: NonNullable<FastifyServerOptions['schemaController']>['compilersFactory'];
}

/** A Fastify instance set up the way both services serve their contracts. */
export function createContractApp(options: ContractAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    genReqId: () => randomUUID(),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // One line per request, not Fastify's two: the metrics record written on response (./metrics.ts).
    logController: new LogController({ disableRequestLogging: true }),
    // While closing, the problem handling answers a problem with Retry-After instead of Fastify's bare 503.
    return503OnClosing: false,
    // Fastify's own answers to unroutable URLs quote the path: problems that do not, instead.
    frameworkErrors: answerFrameworkError,
    ...(options.compilers ? { schemaController: { compilersFactory: options.compilers } } : {}),
    // Also what the generated validators are compiled with (scripts/generate-validators.ts).
    ajv: {
      // Unknown properties are a client error, not something to drop silently; strings stay strings.
      customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false },
    },
  });
  // The contracts speak JSON only: other media types get 415 instead of a string body.
  app.removeContentTypeParser('text/plain');
  registerRequestMetrics(app, { ...options.metrics, logger: options.logger });
  return app;
}
