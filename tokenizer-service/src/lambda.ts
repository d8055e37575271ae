// AWS Lambda entry: the app is built once per container and serves API Gateway (REST, v1) events.
import awsLambdaFastify from '@fastify/aws-lambda';
import { precompiledCompilers } from '@tokenization/service-kit/precompiled-validators';
import routeValidators from '../generated/route-validators.cjs';
import { buildApp } from './app.js';
import { apiGatewayIdentityAuthenticator } from './auth/api-gateway-authenticator.js';
import { loadConfig } from './config.js';
import { createAuditLogger, createLogger } from './logging.js';
import { createDependencies } from './wiring.js';

const config = loadConfig(process.env);
// Both loggers write JSON lines through stdout, which Lambda ships to CloudWatch Logs; the infrastructure
// routes the audit lines ("audit": true) to their own log group.
const app = buildApp({
  ...createDependencies(config, createLogger(config.LOG_LEVEL, process.stdout), {
    // API Gateway (AWS_IAM on every method) verified the caller's signature: its identity is trusted here,
    // in the Lambda entry, and nowhere else.
    authenticate: apiGatewayIdentityAuthenticator(),
    auditLogger: createAuditLogger(process.stdout),
  }),
  // Validators generated at build time (npm run generate): a cold start compiles no schema.
  schemaCompilers: precompiledCompilers(routeValidators),
});

// decorateRequest exposes the invocation's event as request.awsLambda.event for the authenticator.
export const handler = awsLambdaFastify(app, { decorateRequest: true });
await app.ready();
