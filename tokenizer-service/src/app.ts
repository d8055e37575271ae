import { tokenizerRoutes } from '@tokenization/contracts/tokenizer-routes';
import {
  type ContractAppOptions,
  createContractApp,
  registerOperations,
} from '@tokenization/service-kit/contract-routes';
import { registerHookSets } from '@tokenization/service-kit/hook-order';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Authenticator } from './auth/authenticator.js';
import type { AuthorizationPolicy } from './auth/authorization-policy.js';
import { DeterministicTokenizationLimit, type RateWindowCounter } from './domain/deterministic-rate-limit.js';
import type { Clock, Fingerprinter, ValueCipher, VaultStore } from './domain/ports.js';
import type { TenantStates } from './domain/tenant-states.js';
import { TokenVault } from './domain/vault.js';
import type { Connections } from './forwarding/connections.js';
import type { SendToDestination } from './forwarding/destination-client.js';
import { Forwarder } from './forwarding/forwarder.js';
import type { SecretStore } from './forwarding/secrets.js';
import { accessControlHooks, callerOf } from './http/access-control.js';
import { type AuditLogger, auditTrailHooks } from './http/audit-trail.js';
import { deterministicRateLimitHooks } from './http/deterministic-rate-limit.js';
import { registerTokenizerProblems } from './http/problem.js';
import { tenantStateHooks } from './http/tenant-state.js';
import { tokenHandlers } from './http/token-handlers.js';
import { tokenMetricsHooks } from './http/token-metrics.js';

export interface AppDependencies {
  store: VaultStore;
  cipher: ValueCipher;
  fingerprinter: Fingerprinter;
  clock: Clock;
  /** The tenant records, cached: every token operation needs its caller's tenant to be active. */
  tenantStates: Pick<TenantStates, 'requireActive'>;
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
  /** Verify mismatches a token may have before verify answers 423 (default 5). */
  verifyMismatchLimit?: number;
  /** Forwarding: the connections, their secrets, and the guarded client that reaches destinations. */
  forwarding: { connections: Connections; secrets: SecretStore; send: SendToDestination };
  /** The namespace and `service` dimension of the per-request metrics line (default: Tokenization, tokenizer). */
  metrics?: { namespace: string; serviceName: string };
  /**
   * Fastify's schema compilers; the Lambda entry passes the validators generated at build time
   * (`precompiledCompilers`), the other entries and the tests let Ajv compile at start.
   */
  schemaCompilers?: ContractAppOptions['compilers'];
}

/** Builds the tokenizer app. It reads no environment and never listens: the entries do. */
export function buildApp(deps: AppDependencies): FastifyInstance {
  const bodyLimit = deps.bodyLimit ?? 1024 * 1024;
  const app = createContractApp({
    logger: deps.logger,
    bodyLimit: bodyLimit,
    // The KMS client and the cipher count calls and cache hits for the request that made them.
    metrics: {
      ...(deps.metrics ?? { namespace: 'Tokenization', serviceName: 'tokenizer' }),
      adapterMetrics: true,
    },
    ...(deps.schemaCompilers ? { compilers: deps.schemaCompilers } : {}),
  });
  registerTokenizerProblems(app, { retryAfterSeconds: deps.retryAfterSeconds ?? 1 });
  // Each set declares which must come before it; registering out of order throws here.
  registerHookSets(app, [
    tokenMetricsHooks(),
    auditTrailHooks(deps.auditLogger),
    accessControlHooks({ authenticate: deps.authenticate, policy: deps.policy, bodyLimit }),
    tenantStateHooks(deps.tenantStates),
    deterministicRateLimitHooks(
      new DeterministicTokenizationLimit({
        counter: deps.rateWindows,
        perMinute: deps.deterministicTokenizationsPerMinute,
        clock: deps.clock,
      }),
    ),
  ]);
  const vault = new TokenVault(deps);
  const forwarder = new Forwarder({ ...deps.forwarding, vault });
  registerOperations(
    app,
    tokenizerRoutes,
    tokenHandlers({ vault, forwarder, tenantOf: (request) => callerOf(request).tenant }),
  );
  return app;
}
