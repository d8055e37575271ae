import {
  generatedValidatorFor,
  validatedEnvironment,
} from '@tokenization/service-kit/precompiled-validators';
// env-schema's check of `schema`, generated at build time (npm run generate) so that no start compiles it.
import generated from '../generated/config-validator.cjs';

/** The order service's configuration, read from the environment by the entries only. */
export interface OrderConfig {
  AWS_REGION: string;
  /** The partition's DNS suffix: `amazonaws.com`, `amazonaws.com.cn` in China. */
  AWS_URL_SUFFIX: string;
  ORDER_TABLE_NAME: string;
  /** The tokenizer API's base URL, stage path included. */
  TOKENIZER_API_URL: string;
  COGNITO_USER_POOL_ID: string;
  /** The app client whose ID tokens are accepted (their audience). */
  COGNITO_CLIENT_ID: string;
  LOG_LEVEL: string;
  /** The CloudWatch namespace of the per-request metrics line (EMF). */
  METRICS_NAMESPACE: string;
  /** The `service` dimension of those metrics. */
  METRICS_SERVICE_NAME: string;
  /** Local stack only: DynamoDB Local, and cognito-local's base URL. */
  DYNAMODB_ENDPOINT?: string;
  COGNITO_ENDPOINT?: string;
  TOKENIZER_TIMEOUT_MS: number;
  DEPENDENCY_TIMEOUT_MS: number;
  RETRY_AFTER_SECONDS: number;
  ORDER_HOST: string;
  ORDER_PORT: number;
  /** Browser origins whose requests get CORS headers, comma-separated; empty: no CORS headers at all. */
  CORS_ALLOWED_ORIGINS?: string;
}

const origin = '(https://[a-z0-9.-]+|http://localhost)(:\\d{1,5})?';

const schema = {
  type: 'object',
  required: [
    'AWS_REGION',
    'ORDER_TABLE_NAME',
    'TOKENIZER_API_URL',
    'COGNITO_USER_POOL_ID',
    'COGNITO_CLIENT_ID',
  ],
  properties: {
    AWS_REGION: {
      type: 'string',
      pattern: '^[a-z]{2}(-[a-z]+)+-\\d$',
      description: "Region of the order table, the user pool and the tokenizer's SigV4 signature.",
    },
    AWS_URL_SUFFIX: {
      type: 'string',
      pattern: '^[a-z0-9]+(\\.[a-z0-9]+)+$',
      default: 'amazonaws.com',
      description:
        "DNS suffix of the region's partition (`amazonaws.com.cn` in China), in the user pool's issuer; the CDK sets it from AWS::URLSuffix.",
    },
    ORDER_TABLE_NAME: { type: 'string', pattern: '^[A-Za-z0-9_.-]{3,255}$', description: 'The order table.' },
    TOKENIZER_API_URL: {
      type: 'string',
      pattern: '^https?://[^\\s?#]+$',
      description: "The tokenizer API's base URL, stage path included.",
    },
    COGNITO_USER_POOL_ID: {
      type: 'string',
      pattern: '^[\\w-]+_[0-9A-Za-z]+$',
      description: 'The user pool whose ID tokens are accepted.',
    },
    COGNITO_CLIENT_ID: {
      type: 'string',
      pattern: '^[\\w+]{1,128}$',
      description: 'The app client whose ID tokens are accepted (their audience).',
    },
    LOG_LEVEL: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      description: 'pino level.',
    },
    METRICS_NAMESPACE: {
      type: 'string',
      pattern: '^[A-Za-z0-9._/#:-]{1,255}$',
      default: 'Tokenization',
      description: 'CloudWatch namespace of the metrics in the one EMF log line per request.',
    },
    METRICS_SERVICE_NAME: {
      type: 'string',
      pattern: '^[A-Za-z0-9._-]{1,64}$',
      default: 'order-service',
      description: 'The service dimension of those metrics.',
    },
    DYNAMODB_ENDPOINT: {
      type: 'string',
      pattern: '^https?://',
      description: 'Local stack only: DynamoDB Local.',
    },
    COGNITO_ENDPOINT: {
      type: 'string',
      pattern: '^https?://[^\\s?#]+$',
      description:
        "Local stack only: cognito-local's base URL, written exactly as its HOST and PORT (http://localhost:9229); the issuer is <endpoint>/<pool>.",
    },
    TOKENIZER_TIMEOUT_MS: {
      type: 'integer',
      minimum: 100,
      maximum: 30_000,
      default: 3_000,
      description: 'Limit of one tokenizer attempt.',
    },
    DEPENDENCY_TIMEOUT_MS: {
      type: 'integer',
      minimum: 100,
      maximum: 30_000,
      default: 2_000,
      description: 'Connect and request timeout for DynamoDB and (local server only) the JWKS.',
    },
    RETRY_AFTER_SECONDS: {
      type: 'integer',
      minimum: 1,
      maximum: 3_600,
      default: 1,
      description: "Retry-After on 503 (or the tokenizer's, if longer, up to 60).",
    },
    ORDER_HOST: {
      type: 'string',
      default: '127.0.0.1',
      description: 'Local server only: the address it listens on.',
    },
    ORDER_PORT: {
      type: 'integer',
      minimum: 0,
      maximum: 65_535,
      default: 3000,
      description: 'Local server only: the port it listens on.',
    },
    CORS_ALLOWED_ORIGINS: {
      type: 'string',
      // Exact origins only (the CDK context's form): never "*", no path, no wildcard subdomain.
      pattern: `^(${origin}(,${origin})*)?$`,
      description:
        'Browser origins whose requests get Access-Control-Allow-Origin, comma-separated (https://shop.example.com); unset or empty: no CORS headers. The CDK sets it from the context value tokenization:corsAllowedOrigins.',
    },
  },
};

/** The schema the environment is validated against (docs/configuration.md is generated from it). */
export const configSchema = schema;

/** Every variable the service reads (docker-compose's test checks its containers against this list). */
export const configVariables: readonly string[] = Object.keys(schema.properties);

/** Validates the environment; throws naming the first bad or missing variable. */
export function loadConfig(env: Record<string, string | undefined>): OrderConfig {
  try {
    return validatedEnvironment<OrderConfig>(
      env,
      generatedValidatorFor(schema, generated.config, 'the order service configuration'),
    );
  } catch (error) {
    throw new Error(`Invalid order service configuration: ${(error as Error).message}`, { cause: error });
  }
}

/** The CORS_ALLOWED_ORIGINS list (empty when unset or empty). */
export function corsAllowedOrigins(config: Pick<OrderConfig, 'CORS_ALLOWED_ORIGINS'>): string[] {
  return config.CORS_ALLOWED_ORIGINS ? config.CORS_ALLOWED_ORIGINS.split(',') : [];
}

/**
 * The user pool's issuer and JWKS. On AWS: `https://cognito-idp.<region>.<url suffix>/<pool>`, the suffix
 * of the region's partition (`amazonaws.com`, `amazonaws.com.cn`). With
 * COGNITO_ENDPOINT (cognito-local), `<endpoint>/<pool>`: cognito-local signs tokens with the issuer
 * `http://<HOST>:<PORT>/<pool>` and serves `/<pool>/.well-known/jwks.json`, so COGNITO_ENDPOINT must be
 * written exactly as cognito-local's own HOST and PORT (`http://localhost:9229` by default).
 */
export function cognitoIssuer(config: OrderConfig): { issuer: string; jwksUrl: string } {
  const base = config.COGNITO_ENDPOINT
    ? config.COGNITO_ENDPOINT.replace(/\/+$/, '')
    : `https://cognito-idp.${config.AWS_REGION}.${config.AWS_URL_SUFFIX}`;
  const issuer = `${base}/${config.COGNITO_USER_POOL_ID}`;
  return { issuer, jwksUrl: `${issuer}/.well-known/jwks.json` };
}
