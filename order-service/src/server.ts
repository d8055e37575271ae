// Local entry: serves the order service over HTTP (127.0.0.1:3000 by default).

import { orderDocument } from '@tokenization/contracts/order-document';
import { serve } from '@tokenization/service-kit/server';
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

await serve(app, { host: config.ORDER_HOST, port: config.ORDER_PORT, document: orderDocument });
