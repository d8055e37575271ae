import { envSchema } from 'env-schema';

export const encryptionProfiles = ['cached-committing', 'sample-per-item-signing'] as const;
export type EncryptionProfile = (typeof encryptionProfiles)[number];

/** The tokenizer's configuration, read from the environment by the entries only. */
export interface TokenizerConfig {
  AWS_REGION: string;
  TOKEN_VAULT_TABLE_NAME: string;
  /** The vault key; the KMS keyring needs its full ARN to decrypt. */
  KMS_KEY_ARN: string;
  /** Local stack only: DynamoDB Local and the local KMS. */
  DYNAMODB_ENDPOINT?: string;
  KMS_ENDPOINT?: string;
  /** The authorization policy JSON itself (the CDK stack); exactly one of this and the file. */
  AUTHORIZATION_POLICY?: string;
  /** A path to the authorization policy JSON (the local stack). */
  AUTHORIZATION_POLICY_FILE?: string;
  /** Local server only: the SigV4 key pairs it accepts, each mapped to a principal ARN. */
  LOCAL_SIGV4_CREDENTIALS_FILE?: string;
  /**
   * How values are encrypted. `cached-committing` (the default): committing suite without signature, data
   * keys cached. `sample-per-item-signing`: one KMS data key call per value with the SDK's default signing
   * suite, as the original sample's per-item KMS provider did; only for measuring that design (`npm run bench`).
   */
  ENCRYPTION_PROFILE: EncryptionProfile;
  DATA_KEY_CACHE_CAPACITY: number;
  DATA_KEY_CACHE_MAX_AGE_SECONDS: number;
  DATA_KEY_CACHE_MAX_MESSAGES: number;
  DEPENDENCY_TIMEOUT_MS: number;
  RETRY_AFTER_SECONDS: number;
  BODY_LIMIT_BYTES: number;
  LOG_LEVEL: string;
  TOKENIZER_HOST: string;
  TOKENIZER_PORT: number;
}

const schema = {
  type: 'object',
  required: ['AWS_REGION', 'TOKEN_VAULT_TABLE_NAME', 'KMS_KEY_ARN'],
  properties: {
    AWS_REGION: { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-\\d$' },
    TOKEN_VAULT_TABLE_NAME: { type: 'string', pattern: '^[A-Za-z0-9_.-]{3,255}$' },
    KMS_KEY_ARN: { type: 'string', pattern: '^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]+$' },
    DYNAMODB_ENDPOINT: { type: 'string', pattern: '^https?://' },
    KMS_ENDPOINT: { type: 'string', pattern: '^https?://' },
    AUTHORIZATION_POLICY: { type: 'string', minLength: 1 },
    AUTHORIZATION_POLICY_FILE: { type: 'string', minLength: 1 },
    LOCAL_SIGV4_CREDENTIALS_FILE: { type: 'string', minLength: 1 },
    ENCRYPTION_PROFILE: { type: 'string', enum: encryptionProfiles, default: 'cached-committing' },
    DATA_KEY_CACHE_CAPACITY: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 },
    DATA_KEY_CACHE_MAX_AGE_SECONDS: { type: 'integer', minimum: 1, maximum: 86_400, default: 300 },
    DATA_KEY_CACHE_MAX_MESSAGES: { type: 'integer', minimum: 1, maximum: 4_294_967_296, default: 100_000 },
    DEPENDENCY_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 30_000, default: 2_000 },
    RETRY_AFTER_SECONDS: { type: 'integer', minimum: 1, maximum: 3_600, default: 1 },
    BODY_LIMIT_BYTES: { type: 'integer', minimum: 1_024, maximum: 6_291_456, default: 1_048_576 },
    LOG_LEVEL: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
    },
    TOKENIZER_HOST: { type: 'string', default: '127.0.0.1' },
    TOKENIZER_PORT: { type: 'integer', minimum: 0, maximum: 65_535, default: 3001 },
  },
};

/** Every variable the service reads (docker-compose's test checks its containers against this list). */
export const configVariables: readonly string[] = Object.keys(schema.properties);

/** Validates the environment; throws naming the first bad or missing variable. */
export function loadConfig(env: Record<string, string | undefined>): TokenizerConfig {
  let config: TokenizerConfig;
  try {
    config = envSchema<TokenizerConfig>({ schema, data: env, env: false, dotenv: false });
  } catch (error) {
    throw new Error(`Invalid tokenizer configuration: ${(error as Error).message}`, { cause: error });
  }
  // Without a policy every caller would be denied; with two, which one rules would be a guess.
  if ((config.AUTHORIZATION_POLICY === undefined) === (config.AUTHORIZATION_POLICY_FILE === undefined)) {
    throw new Error(
      'Invalid tokenizer configuration: set exactly one of AUTHORIZATION_POLICY and AUTHORIZATION_POLICY_FILE',
    );
  }
  return config;
}
