// Local entry: serves the order service over HTTP (127.0.0.1:3000 by default).
import { registerApiDocs } from '@tokenization/contracts/api-docs';
import { orderDocument } from '@tokenization/contracts/order-document';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { verifiedIdTokenAuthenticator } from './local-authentication.js';
import { createLogger } from './logging.js';
import { createDependencies } from './wiring.js';

const config = loadConfig(process.env);
const logger = createLogger(config.LOG_LEVEL);
const app = buildApp(
  createDependencies(config, logger, {
    // No API Gateway here: the server verifies the ID token's signature itself, against the pool's JWKS.
    authenticate: verifiedIdTokenAuthenticator(config),
  }),
);

await registerApiDocs(app, orderDocument);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Requests in flight finish; a connection that never goes idle does not hold the process forever.
    setTimeout(() => process.exit(0), 3_000).unref();
    void app.close().then(() => process.exit(0));
  });
}

await app.listen({ host: config.ORDER_HOST, port: config.ORDER_PORT });
