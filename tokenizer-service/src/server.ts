// Local entry: serves the tokenizer over HTTP (127.0.0.1:3001 by default).

import { tokenizerDocument } from '@tokenization/contracts/tokenizer-document';
import { serve } from '@tokenization/service-kit/server';
import { buildApp } from './app.js';
import { readLocalCredentials } from './auth/local-credentials.js';
import { sigV4Authenticator } from './auth/sigv4-authenticator.js';
import { loadConfig } from './config.js';
import { createAuditLogger, createLogger } from './logging.js';
import { createDependencies } from './wiring.js';

const config = loadConfig(process.env);
const app = buildApp(
  createDependencies(config, createLogger(config.LOG_LEVEL), {
    // No API Gateway here: the server verifies SigV4 itself, so callers sign the same way everywhere.
    authenticate: sigV4Authenticator({
      credentials: readLocalCredentials(config.LOCAL_SIGV4_CREDENTIALS_FILE),
      region: config.AWS_REGION,
      clock: () => new Date(),
    }),
    auditLogger: createAuditLogger(),
  }),
);

await serve(app, {
  host: config.TOKENIZER_HOST,
  port: config.TOKENIZER_PORT,
  document: tokenizerDocument,
});
