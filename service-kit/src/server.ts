// The local server lifecycle both services share: API docs, listen, graceful close on SIGINT/SIGTERM.
// (While closing, the problem handling answers 503 with Retry-After: see ./problem-handling.ts.)
import type { OpenApiDocument } from '@tokenization/contracts/operations';
import type { FastifyInstance } from 'fastify';
import { registerApiDocs } from './api-docs.js';

export interface ServeOptions {
  host: string;
  port: number;
  /** The contract served at `/docs`. */
  document: OpenApiDocument;
  /** How long requests in flight may take to finish once a signal came, in milliseconds. */
  closeGraceMs?: number;
}

/** Serves `app` until SIGINT or SIGTERM, then closes it and exits. */
export async function serve(app: FastifyInstance, options: ServeOptions): Promise<void> {
  await registerApiDocs(app, options.document);
  closeOnSignals(app, options.closeGraceMs ?? 3_000);
  await app.listen({ host: options.host, port: options.port });
}

function closeOnSignals(app: FastifyInstance, graceMs: number): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // Requests in flight finish; a connection that never goes idle does not hold the process forever.
      setTimeout(() => process.exit(0), graceMs).unref();
      void app.close().then(() => process.exit(0));
    });
  }
}
