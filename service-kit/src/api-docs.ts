import type { StaticDocumentSpec } from '@fastify/swagger';
import type { OpenApiDocument } from '@tokenization/contracts/operations';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on the local API docs routes only: the one thing a service serves without a caller. */
    publicDocs?: boolean;
  }
}

/**
 * Serves a contract and an interactive page rendered from it at `/docs` (local server entries only: the
 * Lambda entries never import this, so the docs are not in the bundles). The routes are marked
 * `publicDocs`: they hold the contract, no data, so access control lets them through.
 */
export async function registerApiDocs(app: FastifyInstance, document: OpenApiDocument): Promise<void> {
  const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([
    import('@fastify/swagger'),
    import('@fastify/swagger-ui'),
  ]);
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, publicDocs: true };
    });
    await docs.register(swagger, {
      mode: 'static',
      // The generated document is OpenAPI 3.1; the plugin's types stop at 3.0 but serve it as it is.
      specification: { document: document as unknown as StaticDocumentSpec['document'] },
    });
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });
}
