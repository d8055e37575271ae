import { tokenizerDocument } from '@tokenization/contracts/tokenizer-document';
import { createContractApp, registerOperations } from '@tokenization/service-kit/contract-routes';
import { registerHookSets } from '@tokenization/service-kit/hook-order';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Authenticator } from './auth/authenticator.js';
import type { AuthorizationPolicy } from './auth/authorization-policy.js';
import { DeterministicTokenizationLimit, type RateWindowCounter } from './domain/deterministic-rate-limit.js';
import type { Clock, Fingerprinter, ValueCipher, VaultStore } from './domain/ports.js';
import { TokenVault } from './domain/vault.js';
import { accessControlHooks, callerOf } from './http/access-control.js';
import { type AuditLogger, auditTrailHooks } from './http/audit-trail.js';
import { deterministicRateLimitHooks } from './http/deterministic-rate-limit.js';
import { registerTokenizerProblems } from './http/problem.js';
import { tokenHandlers } from './http/token-handlers.js';

export interface AppDependencies {
  store: VaultStore;
  cipher: ValueCipher;
  fingerprinter: Fingerprinter;
  clock: Clock;
  logger: FastifyBaseLogger;
  /** Verifies who sent each request: SigV4 locally, API Gateway's verified identity on Lambda. */
  authenticate: Authenticator;
  /** Which principals may do what, and the tenant each acts for. */
  policy: AuthorizationPolicy;
  /** Audit events (reveals, deletes, denials) go to their own logger, routed apart by the infrastructure. */
  auditLogger: AuditLogger;
  /** Counts each principal's deterministic tokenizations per minute, in a store every instance shares. */
  rateWindows: RateWindowCounter;
  /** Deterministic tokenizations one principal may make per minute (429 above). */
  deterministicTokenizationsPerMinute: number;
  /** Largest request body accepted, in bytes (413 above it). */
  bodyLimit?: number;
  retryAfterSeconds?: number;
}

/** Builds the tokenizer app. It reads no environment and never listens: the entries do. */
export function buildApp(deps: AppDependencies): FastifyInstance {
  const bodyLimit = deps.bodyLimit ?? 1024 * 1024;
  const app = createContractApp({ logger: deps.logger, bodyLimit: bodyLimit });
  registerTokenizerProblems(app, { retryAfterSeconds: deps.retryAfterSeconds ?? 1 });
  // Each set declares which must come before it; registering out of order throws here.
  registerHookSets(app, [
    auditTrailHooks(deps.auditLogger),
    accessControlHooks({ authenticate: deps.authenticate, policy: deps.policy, bodyLimit }),
    deterministicRateLimitHooks(
      new DeterministicTokenizationLimit({
        counter: deps.rateWindows,
        perMinute: deps.deterministicTokenizationsPerMinute,
        clock: deps.clock,
      }),
    ),
  ]);
  const vault = new TokenVault(deps);
  registerOperations(
    app,
    tokenizerDocument,
    tokenHandlers({ vault, tenantOf: (request) => callerOf(request).tenant }),
  );
  return app;
}
