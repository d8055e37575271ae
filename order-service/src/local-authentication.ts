// Authentication where no API Gateway stands in front of the service (server.ts: the local stack,
// docker-compose): the service verifies the Cognito ID token's signature itself, against the pool's JWKS.
// The Lambda entry never imports this module: on AWS, API Gateway's Cognito authorizer verifies the token
// and the order function (which cannot reach the JWKS from its isolated subnets) re-checks its claims.
import { CognitoIdTokenVerifier } from './adapters/cognito-id-token-verifier.js';
import { cognitoIssuer, type OrderConfig } from './config.js';
import type { Clock } from './domain/ports.js';
import { type Authenticator, idTokenAuthenticator } from './http/authentication.js';

export function verifiedIdTokenAuthenticator(
  config: OrderConfig,
  clock: Clock = () => new Date(),
): Authenticator {
  const { issuer, jwksUrl } = cognitoIssuer(config);
  return idTokenAuthenticator(
    new CognitoIdTokenVerifier({
      issuer,
      jwksUrl,
      clientId: config.COGNITO_CLIENT_ID,
      clock,
      jwksTimeoutMs: config.DEPENDENCY_TIMEOUT_MS,
    }),
  );
}
