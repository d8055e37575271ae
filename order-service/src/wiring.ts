import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Logger } from 'pino';
import { DynamoDbOrderStore } from './adapters/dynamodb-order-store.js';
import { ForwardedPaymentProcessor } from './adapters/forwarded-payment-processor.js';
import { createTokenizerSdk, TokenizerHttpClient } from './adapters/tokenizer-client.js';
import type { AppDependencies } from './app.js';
import { corsAllowedOrigins, type OrderConfig } from './config.js';

/**
 * What differs between the entries: how callers are authenticated. On Lambda, from the claims API
 * Gateway's Cognito authorizer verified; locally, by verifying the ID token against the pool's JWKS
 * (local-authentication.ts, which the Lambda bundle does not hold).
 */
export type EntryDependencies = Pick<AppDependencies, 'authenticate'>;

export interface WiringOverrides {
  /** Credentials that sign the tokenizer calls; the default provider chain (the Lambda role) otherwise. */
  tokenizerCredentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  payments?: AppDependencies['payments'];
}

/** The tokenizer's connection to the payment processor (its connections configuration names it). */
export const paymentConnection = 'payments';

/**
 * Wires the production adapters (DynamoDB, the tokenizer over SigV4, payments through the tokenizer's
 * forward operation) from a validated config.
 */
export function createDependencies(
  config: OrderConfig,
  logger: Logger,
  entry: EntryDependencies,
  overrides: WiringOverrides = {},
): AppDependencies {
  const clock = () => new Date();
  // Fail fast rather than hang when the table is unreachable: the client answers 503 and retries later.
  const dynamoDb = new DynamoDBClient({
    region: config.AWS_REGION,
    maxAttempts: 2,
    // Middleware stack resolved once per command type, not on every call (nothing adds middleware later).
    cacheMiddleware: true,
    requestHandler: {
      connectionTimeout: config.DEPENDENCY_TIMEOUT_MS,
      requestTimeout: config.DEPENDENCY_TIMEOUT_MS,
    },
    ...(config.DYNAMODB_ENDPOINT ? { endpoint: config.DYNAMODB_ENDPOINT } : {}),
  });
  const tokenizer = createTokenizerSdk({
    baseUrl: config.TOKENIZER_API_URL,
    region: config.AWS_REGION,
    credentials: overrides.tokenizerCredentials ?? defaultProvider(),
    timeoutMs: config.TOKENIZER_TIMEOUT_MS,
    logger,
  });
  return {
    store: new DynamoDbOrderStore({ client: dynamoDb, tableName: config.ORDER_TABLE_NAME }),
    tokenizer: new TokenizerHttpClient(tokenizer),
    payments:
      overrides.payments ??
      new ForwardedPaymentProcessor({ client: tokenizer, connection: paymentConnection }),
    ...entry,
    clock,
    logger,
    retryAfterSeconds: config.RETRY_AFTER_SECONDS,
    metrics: { namespace: config.METRICS_NAMESPACE, serviceName: config.METRICS_SERVICE_NAME },
    corsAllowedOrigins: corsAllowedOrigins(config),
  };
}
