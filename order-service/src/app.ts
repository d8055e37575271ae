import { orderDocument } from '@tokenization/contracts/order-document';
import { createContractApp, registerOperations } from '@tokenization/service-kit/contract-routes';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Orders } from './domain/orders.js';
import type { CardTokenizer, Clock, OrderStore, PaymentProcessor } from './domain/ports.js';
import { type Authenticator, authenticationHook } from './http/authentication.js';
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
  /** How long an interrupted create holds its CustomerOrder before another request may take it. */
  reservationLeaseSeconds?: number;
  /** Largest request body accepted, in bytes (413 above it). */
  bodyLimit?: number;
}

/** Builds the order app. It reads no environment and never listens: the entries do. */
export function buildApp(deps: AppDependencies): FastifyInstance {
  const app = createContractApp({ logger: deps.logger, bodyLimit: deps.bodyLimit ?? 16 * 1024 });
  registerStrictJsonParser(app);
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
  registerOperations(app, orderDocument, orderHandlers(orders), {
    authenticate: authenticationHook(deps.authenticate),
  });
  return app;
}
