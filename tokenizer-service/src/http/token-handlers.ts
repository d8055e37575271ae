import type { components } from '@tokenization/contracts/tokenizer';
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { TokenizeOutput, TokenVault } from '../domain/vault.js';

type Schemas = components['schemas'];

export interface TokenHandlerOptions {
  vault: TokenVault;
  /** The tenant of the caller; until callers are authenticated, one configured tenant. */
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
      return { results: results.map(tokenizeResult) } satisfies Schemas['TokenizeBatchResponse'];
    },

    async detokenize(request: FastifyRequest) {
      const { tokens } = request.body as Schemas['DetokenizeRequest'];
      return {
        results: await vault.detokenize(tenantOf(request), tokens),
      } satisfies Schemas['DetokenizeResponse'];
    },

    async getTokenMetadata(request: FastifyRequest) {
      const { token } = request.params as { token: string };
      const metadata = await vault.metadata(tenantOf(request), token);
      return {
        token: metadata.token,
        createdAt: metadata.createdAt.toISOString(),
      } satisfies Schemas['TokenMetadata'];
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
  return { token: result.token, createdAt: result.createdAt.toISOString() };
}
