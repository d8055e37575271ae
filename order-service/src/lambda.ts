// AWS Lambda entry: the app is built once per container and serves API Gateway (REST, v1) events.
import awsLambdaFastify from '@fastify/aws-lambda';
import { precompiledCompilers } from '@tokenization/service-kit/precompiled-validators';
import routeValidators from '../generated/route-validators.cjs';
import { buildApp } from './app.js';
import { cognitoIssuer, loadConfig } from './config.js';
import { apiGatewayClaimsAuthenticator } from './http/api-gateway-authenticator.js';
import { createLogger } from './logging.js';
import { createDependencies } from './wiring.js';

const config = loadConfig(process.env);
const app = buildApp({
  // JSON log lines through stdout, which Lambda ships to CloudWatch Logs (as the tokenizer's entry does; a
  // test reads the same stream for its card-number scan).
  ...createDependencies(config, createLogger(config.LOG_LEVEL, process.stdout), {
    // API Gateway's Cognito authorizer verified the ID token's signature (the function, in isolated
    // subnets, cannot reach the pool's JWKS): its claims are trusted here, in the Lambda entry, and
    // nowhere else, after the service re-checks them.
    authenticate: apiGatewayClaimsAuthenticator({
      issuer: cognitoIssuer(config).issuer,
      clientId: config.COGNITO_CLIENT_ID,
      clock: () => new Date(),
    }),
  }),
  // Validators generated at build time (npm run generate): a cold start compiles no schema.
  schemaCompilers: precompiledCompilers(routeValidators),
});

// decorateRequest exposes the invocation's event as request.awsLambda.event for the authenticator.
export const handler = awsLambdaFastify(app, { decorateRequest: true });
await app.ready();
