import { randomUUID } from 'node:crypto';
import { tokenizerDocument } from '@tokenization/contracts/tokenizer-document';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Clock, ValueCipher, VaultStore } from './domain/ports.js';
import { TokenVault } from './domain/vault.js';
import { registerOperations } from './http/operations.js';
import { registerProblemHandling } from './http/problem.js';
import { tokenHandlers } from './http/token-handlers.js';

export interface AppDependencies {
  store: VaultStore;
  cipher: ValueCipher;
  clock: Clock;
  logger: FastifyBaseLogger;
  /** The tenant every caller belongs to until callers are authenticated. */
  defaultTenant: string;
  /** Largest request body accepted, in bytes (413 above it). */
  bodyLimit?: number;
  retryAfterSeconds?: number;
}

/** Builds the tokenizer app. It reads no environment and never listens: the entries do. */
export function buildApp(deps: AppDependencies): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    genReqId: () => randomUUID(),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    ajv: {
      // Unknown properties are a client error, not something to drop silently; strings stay strings.
      customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false },
    },
  });
  // The contract speaks JSON only: other media types get 415 instead of a string body.
  app.removeContentTypeParser('text/plain');
  registerProblemHandling(app, { retryAfterSeconds: deps.retryAfterSeconds ?? 1 });
  const vault = new TokenVault({ store: deps.store, cipher: deps.cipher, clock: deps.clock });
  registerOperations(app, tokenizerDocument, tokenHandlers({ vault, tenantOf: () => deps.defaultTenant }));
  return app;
}
