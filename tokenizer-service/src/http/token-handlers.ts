import type { components } from '@tokenization/contracts/tokenizer';
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { TokenizeOutput, TokenMetadata, TokenVault } from '../domain/vault.js';

type Schemas = components['schemas'];

export interface TokenHandlerOptions {
  vault: TokenVault;
  /** The tenant of the verified caller. */
  tenantOf: (request: FastifyRequest) => string;
}

/** The handlers of the contract's operations, keyed by operationId. */
export function tokenHandlers({ vault, tenantOf }: TokenHandlerOptions): Record<string, RouteHandlerMethod> {
  return {
    async tokenize(request: FastifyRequest, reply: FastifyReply) {
      const body = request.body as Schemas['TokenizeRequest'];
      const result = await vault.tokenize(tenantOf(request), body);
      return reply.code(201).send(tokenizeResult(result));
    },

    async tokenizeBatch(request: FastifyRequest) {
      const { items } = request.body as Schemas['TokenizeBatchRequest'];
      const results = await vault.tokenizeBatch(tenantOf(request), items);
      return {
        results: results.map((result) => ('error' in result ? result : tokenizeResult(result))),
      } satisfies Schemas['TokenizeBatchResponse'];
    },

    async detokenize(request: FastifyRequest) {
      const { tokens, ...options } = request.body as Schemas['DetokenizeRequest'];
      return {
        results: await vault.detokenize(tenantOf(request), tokens, options),
      } satisfies Schemas['DetokenizeResponse'];
    },

    async getTokenMetadata(request: FastifyRequest) {
      const { token } = request.params as { token: string };
      return tokenMetadata(await vault.metadata(tenantOf(request), token));
    },

    async deleteToken(request: FastifyRequest, reply: FastifyReply) {
      const { token } = request.params as { token: string };
      await vault.delete(tenantOf(request), token);
      return reply.code(204).send();
    },

    async live() {
      return { status: 'ok' } satisfies Schemas['Health'];
    },

    async ready() {
      await vault.checkHealth();
      return { status: 'ok', checks: { store: 'ok', kms: 'ok' } } satisfies Schemas['Health'];
    },
  };
}

function tokenizeResult(result: TokenizeOutput): Schemas['TokenizeResult'] {
  const { createdAt, expiresAt, ...rest } = result;
  return {
    ...rest,
    createdAt: createdAt.toISOString(),
    ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
  };
}

function tokenMetadata({
  usesRemaining,
  metadata,
  status,
  ...output
}: TokenMetadata): Schemas['TokenMetadata'] {
  return {
    ...tokenizeResult(output),
    ...(usesRemaining !== undefined ? { usesRemaining } : {}),
    metadata,
    status,
  };
}
