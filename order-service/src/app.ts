import { orderRoutes } from '@tokenization/contracts/order-routes';
import {
  type ContractAppOptions,
  createContractApp,
  registerOperations,
} from '@tokenization/service-kit/contract-routes';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Orders } from './domain/orders.js';
import type { CardTokenizer, Clock, OrderStore, PaymentProcessor } from './domain/ports.js';
import { type Authenticator, authenticationHook } from './http/authentication.js';
import { registerCors } from './http/cors.js';
import { registerStrictJsonParser } from './http/json-body.js';
import { orderHandlers } from './http/order-handlers.js';
import { registerOrderProblems } from './http/problem.js';

export interface AppDependencies {
  store: OrderStore;
  tokenizer: CardTokenizer;
  payments: PaymentProcessor;
  /**
   * Says who sent a request to a secured operation: the claims API Gateway's Cognito authorizer verified
   * (Lambda), or the ID token verified by the service itself (local server).
   */
  authenticate: Authenticator;
  clock: Clock;
  logger: FastifyBaseLogger;
  /** Seconds a client is told to wait (Retry-After) when a dependency is unavailable. */
  retryAfterSeconds?: number;
  /** The namespace and `service` dimension of the per-request metrics line (default: Tokenization, order-service). */
  metrics?: { namespace: string; serviceName: string };
  /**
   * Fastify's schema compilers; the Lambda entry passes the validators generated at build time
   * (`precompiledCompilers`), the other entries and the tests let Ajv compile at start.
   */
  schemaCompilers?: ContractAppOptions['compilers'];
  /** How long an interrupted create holds its CustomerOrder before another request may take it. */
  reservationLeaseSeconds?: number;
  /** Largest request body accepted, in bytes (413 above it). */
  bodyLimit?: number;
  /** Browser origins whose requests get CORS headers (exact origins, never "*"); none: no CORS headers. */
  corsAllowedOrigins?: readonly string[];
}

/** Builds the order app. It reads no environment and never listens: the entries do. */
export function buildApp(deps: AppDependencies): FastifyInstance {
  const app = createContractApp({
    logger: deps.logger,
    bodyLimit: deps.bodyLimit ?? 16 * 1024,
    metrics: deps.metrics ?? { namespace: 'Tokenization', serviceName: 'order-service' },
    ...(deps.schemaCompilers ? { compilers: deps.schemaCompilers } : {}),
  });
  registerStrictJsonParser(app);
  registerCors(app, deps.corsAllowedOrigins ?? []);
  registerOrderProblems(app, { retryAfterSeconds: deps.retryAfterSeconds ?? 1 });
  const orders = new Orders({
    store: deps.store,
    tokenizer: deps.tokenizer,
    payments: deps.payments,
    clock: deps.clock,
    ...(deps.reservationLeaseSeconds === undefined
      ? {}
      : { reservationLeaseSeconds: deps.reservationLeaseSeconds }),
  });
  registerOperations(app, orderRoutes, orderHandlers(orders), {
    authenticate: authenticationHook(deps.authenticate),
  });
  return app;
}
