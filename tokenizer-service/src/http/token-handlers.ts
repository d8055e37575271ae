import type { components, operations } from '@tokenization/contracts/tokenizer';
import type { OperationHandlers } from '@tokenization/service-kit/operation-handlers';
import type { FastifyRequest } from 'fastify';
import { TokenNotFoundError } from '../domain/errors.js';
import type { DetokenizeOutcome, TokenizeOutput, TokenMetadata, TokenVault } from '../domain/vault.js';
import { isWellFormedToken, notATokenPlaceholder } from '../domain/well-formed-token.js';
import type { Forwarder } from '../forwarding/forwarder.js';
import { noteAuditFacts } from './audit-trail.js';

type Schemas = components['schemas'];

export interface TokenHandlerOptions {
  vault: TokenVault;
  forwarder: Forwarder;
  /** The tenant of the verified caller. */
  tenantOf: (request: FastifyRequest) => string;
}

/** The handlers of the contract's operations, keyed by operationId. */
export function tokenHandlers({
  vault,
  forwarder,
  tenantOf,
}: TokenHandlerOptions): OperationHandlers<operations> {
  return {
    async tokenize(request, reply) {
      const result = await vault.tokenize(tenantOf(request), request.body);
      return reply.code(201).send(tokenizeResult(result));
    },

    async tokenizeBatch(request) {
      const { items } = request.body;
      const results = await vault.tokenizeBatch(tenantOf(request), items);
      return {
        results: results.map((result) => ('error' in result ? result : tokenizeResult(result))),
      } satisfies Schemas['TokenizeBatchResponse'];
    },

    async detokenize(request) {
      const { tokens, ...options } = request.body;
      // Only well-formed tokens reach the vault (and its store's keys); the rest are answered here.
      const wellFormed = tokens.filter(isWellFormedToken);
      const found =
        wellFormed.length > 0 ? await vault.detokenize(tenantOf(request), wellFormed, options) : [];
      let next = 0;
      const results = tokens.map((token) =>
        isWellFormedToken(token) ? (found[next++] as DetokenizeOutcome) : notATokenResult,
      );
      return { results } satisfies Schemas['DetokenizeResponse'];
    },

    async getTokenMetadata(request) {
      return tokenMetadata(await vault.metadata(tenantOf(request), wellFormedToken(request.params.token)));
    },

    async deleteToken(request, reply) {
      await vault.delete(tenantOf(request), wellFormedToken(request.params.token));
      return reply.code(204).send();
    },

    async verify(request) {
      const token = wellFormedToken(request.params.token);
      const match = await vault.verify(tenantOf(request), token, request.body.value);
      return { match } satisfies Schemas['VerifyResult'];
    },

    async resetVerifyLock(request, reply) {
      await vault.resetVerifyLock(tenantOf(request), wellFormedToken(request.params.token));
      return reply.code(204).send();
    },

    async forward(request) {
      const result = await forwarder.forward(
        tenantOf(request),
        request.params.connection,
        request.body,
        (facts) => noteAuditFacts(request, facts),
      );
      // A destination's parsed JSON body (scrubbed): the contract's DestinationBody.
      return result as Schemas['ForwardResult'];
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

/** What detokenize answers for text that is not a token: what an unknown token gets, never the text. */
const notATokenResult: DetokenizeOutcome = {
  token: notATokenPlaceholder,
  error: { code: 'not_found', message: 'No such token.' },
};

/** The `token` path parameter; text that is not a well-formed token is not found, without a lookup. */
function wellFormedToken(token: string): string {
  if (!isWellFormedToken(token)) throw new TokenNotFoundError();
  return token;
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
