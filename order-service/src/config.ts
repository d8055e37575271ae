import { envSchema } from 'env-schema';

/** The order service's configuration, read from the environment by the entries only. */
export interface OrderConfig {
  AWS_REGION: string;
  ORDER_TABLE_NAME: string;
  /** The tokenizer API's base URL, stage path included. */
  TOKENIZER_API_URL: string;
  COGNITO_USER_POOL_ID: string;
  /** The app client whose ID tokens are accepted (their audience). */
  COGNITO_CLIENT_ID: string;
  LOG_LEVEL: string;
  /** Local stack only: DynamoDB Local, and cognito-local's base URL. */
  DYNAMODB_ENDPOINT?: string;
  COGNITO_ENDPOINT?: string;
  TOKENIZER_TIMEOUT_MS: number;
  DEPENDENCY_TIMEOUT_MS: number;
  RETRY_AFTER_SECONDS: number;
  ORDER_HOST: string;
  ORDER_PORT: number;
}

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
  },
};

/** The schema the environment is validated against (docs/configuration.md is generated from it). */
export const configSchema = schema;

/** Every variable the service reads (docker-compose's test checks its containers against this list). */
export const configVariables: readonly string[] = Object.keys(schema.properties);

/** Validates the environment; throws naming the first bad or missing variable. */
export function loadConfig(env: Record<string, string | undefined>): OrderConfig {
  try {
    return envSchema<OrderConfig>({ schema, data: env, env: false, dotenv: false });
  } catch (error) {
    throw new Error(`Invalid order service configuration: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The user pool's issuer and JWKS. On AWS: `https://cognito-idp.<region>.amazonaws.com/<pool>`. With
 * COGNITO_ENDPOINT (cognito-local), `<endpoint>/<pool>`: cognito-local signs tokens with the issuer
 * `http://<HOST>:<PORT>/<pool>` and serves `/<pool>/.well-known/jwks.json`, so COGNITO_ENDPOINT must be
 * written exactly as cognito-local's own HOST and PORT (`http://localhost:9229` by default).
 */
export function cognitoIssuer(config: OrderConfig): { issuer: string; jwksUrl: string } {
  const base = config.COGNITO_ENDPOINT
    ? config.COGNITO_ENDPOINT.replace(/\/+$/, '')
    : `https://cognito-idp.${config.AWS_REGION}.amazonaws.com`;
  const issuer = `${base}/${config.COGNITO_USER_POOL_ID}`;
  return { issuer, jwksUrl: `${issuer}/.well-known/jwks.json` };
}
