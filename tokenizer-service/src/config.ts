import {
  generatedValidatorFor,
  validatedEnvironment,
} from '@tokenization/service-kit/precompiled-validators';
// env-schema's check of `schema`, generated at build time (npm run generate) so that no start compiles it.
import generated from '../generated/config-validator.cjs';

export const encryptionProfiles = ['cached-committing', 'sample-per-item-signing'] as const;
export type EncryptionProfile = (typeof encryptionProfiles)[number];

/** The tokenizer's configuration, read from the environment by the entries only. */
export interface TokenizerConfig {
  AWS_REGION: string;
  TOKEN_VAULT_TABLE_NAME: string;
  /** The vault key: the legacy format's values and fingerprints (before the tenants' branch keys). */
  KMS_KEY_ARN: string;
  /** The branch key store table (one branch key per tenant). */
  KEY_STORE_TABLE_NAME: string;
  /** The KMS key protecting the branch keys. */
  BRANCH_KEY_KMS_KEY_ARN: string;
  /** Bound into every branch key's KMS encryption context: never change it once keys exist. */
  KEY_STORE_LOGICAL_NAME: string;
  /** How long branch key materials (and fingerprint keys) are used before the key store is read again. */
  BRANCH_KEY_CACHE_TTL_SECONDS: number;
  /** Branch key versions kept in that cache. */
  BRANCH_KEY_CACHE_SIZE: number;
  /** How long after a rotation deterministic lookups also try the previous key version's fingerprint. */
  FINGERPRINT_ROTATION_WINDOW_SECONDS: number;
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
  /** Deterministic tokenizations one principal may make per minute, across all instances (429 above). */
  DETERMINISTIC_TOKENIZATIONS_PER_MINUTE: number;
  /** Verify mismatches a token may have before verify answers 423 until a security admin resets it. */
  VERIFY_MISMATCH_LIMIT: number;
  /** How long a tenant's record (its state) is used before it is read again: how late a change is seen. */
  TENANT_STATE_CACHE_SECONDS: number;
  /** The forwarding connections (connections.schema.json); without it forward knows no connection. */
  CONNECTIONS_FILE?: string;
  /** Local stack only: destinations on loopback (http://127.0.0.1) are allowed. */
  ALLOW_LOOPBACK_DESTINATIONS: boolean;
  /** Base URLs replacing the connections file's, by connection name, from CONNECTION_<NAME>_BASE_URL. */
  CONNECTION_BASE_URLS: Record<string, string>;
  LOG_LEVEL: string;
  /** The CloudWatch namespace of the per-request metrics line (EMF). */
  METRICS_NAMESPACE: string;
  /** The `service` dimension of those metrics. */
  METRICS_SERVICE_NAME: string;
  TOKENIZER_HOST: string;
  TOKENIZER_PORT: number;
}

const schema = {
  type: 'object',
  required: [
    'AWS_REGION',
    'TOKEN_VAULT_TABLE_NAME',
    'KMS_KEY_ARN',
    'KEY_STORE_TABLE_NAME',
    'BRANCH_KEY_KMS_KEY_ARN',
  ],
  properties: {
    AWS_REGION: {
      type: 'string',
      pattern: '^[a-z]{2}(-[a-z]+)+-\\d$',
      description: 'Region of the vault table and the KMS key.',
    },
    TOKEN_VAULT_TABLE_NAME: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.-]{3,255}$',
      description: 'The vault table.',
    },
    KMS_KEY_ARN: {
      type: 'string',
      pattern: '^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]+$',
      description:
        "The vault key's ARN: the legacy format (values and deterministic fingerprints written before the tenants' branch keys) decrypts with it until every tenant is re-encrypted.",
    },
    KEY_STORE_TABLE_NAME: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.-]{3,255}$',
      description: 'The branch key store table: one branch key per tenant (docs/encryption-and-keys.md).',
    },
    BRANCH_KEY_KMS_KEY_ARN: {
      type: 'string',
      pattern: '^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]+$',
      description: 'The ARN of the KMS key protecting the branch keys (a key ARN, not an alias).',
    },
    KEY_STORE_LOGICAL_NAME: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.-]{1,255}$',
      default: 'tokenization-branch-keys',
      description:
        "The key store's logical name, bound into every branch key's KMS encryption context: never change it once branch keys exist (they would no longer decrypt).",
    },
    BRANCH_KEY_CACHE_TTL_SECONDS: {
      type: 'integer',
      minimum: 1,
      maximum: 86_400,
      default: 300,
      description:
        "How long each instance uses a branch key version's materials (and the fingerprint key derived from it) before reading it again from the key store (one KMS Decrypt): a rotation reaches new values, and a shred takes full effect, within this time.",
    },
    BRANCH_KEY_CACHE_SIZE: {
      type: 'integer',
      minimum: 1,
      maximum: 100_000,
      default: 1_000,
      description:
        'Branch key entries kept per instance (one per tenant for writing, one per tenant and version for reading).',
    },
    FINGERPRINT_ROTATION_WINDOW_SECONDS: {
      type: 'integer',
      minimum: 0,
      maximum: 31_536_000,
      default: 2_592_000,
      description:
        "How long after a tenant's rotation a deterministic tokenization also looks for a token under the previous key version's fingerprint (default 30 days): re-encrypt the tenant within it, or its older deterministic tokens get new tokens afterwards.",
    },
    DYNAMODB_ENDPOINT: {
      type: 'string',
      pattern: '^https?://',
      description: 'Local stack only: DynamoDB Local.',
    },
    KMS_ENDPOINT: { type: 'string', pattern: '^https?://', description: 'Local stack only: the local KMS.' },
    AUTHORIZATION_POLICY: {
      type: 'string',
      minLength: 1,
      description:
        'The authorization policy JSON itself (the CDK stack). Set exactly one of this and AUTHORIZATION_POLICY_FILE.',
    },
    AUTHORIZATION_POLICY_FILE: {
      type: 'string',
      minLength: 1,
      description:
        'A path to the authorization policy JSON (the local stack). Set exactly one of this and AUTHORIZATION_POLICY.',
    },
    LOCAL_SIGV4_CREDENTIALS_FILE: {
      type: 'string',
      minLength: 1,
      description:
        'Local server only, required there: its dev-only SigV4 key pairs, each mapped to a principal ARN.',
    },
    ENCRYPTION_PROFILE: {
      type: 'string',
      enum: encryptionProfiles,
      default: 'cached-committing',
      description:
        "How values are encrypted. cached-committing: committing suite without signature, data keys cached. sample-per-item-signing: the sample's design (one KMS data key call per value, the signing suite), for the bench only.",
    },
    DATA_KEY_CACHE_CAPACITY: {
      type: 'integer',
      minimum: 1,
      maximum: 10_000,
      default: 100,
      description: 'Data keys kept in the cache.',
    },
    DATA_KEY_CACHE_MAX_AGE_SECONDS: {
      type: 'integer',
      minimum: 1,
      maximum: 86_400,
      default: 300,
      description: 'How long one data key is used.',
    },
    DATA_KEY_CACHE_MAX_MESSAGES: {
      type: 'integer',
      minimum: 1,
      maximum: 4_294_967_296,
      default: 100_000,
      description: 'Values encrypted under one data key.',
    },
    DEPENDENCY_TIMEOUT_MS: {
      type: 'integer',
      minimum: 100,
      maximum: 30_000,
      default: 2_000,
      description: 'Connect and request timeout for DynamoDB and KMS (then 503).',
    },
    RETRY_AFTER_SECONDS: {
      type: 'integer',
      minimum: 1,
      maximum: 3_600,
      default: 1,
      description: 'Retry-After on 503.',
    },
    BODY_LIMIT_BYTES: {
      type: 'integer',
      minimum: 1_024,
      maximum: 6_291_456,
      default: 1_048_576,
      description: 'Larger request bodies get 413.',
    },
    DETERMINISTIC_TOKENIZATIONS_PER_MINUTE: {
      type: 'integer',
      minimum: 1,
      maximum: 1_000_000,
      default: 60,
      description:
        'Deterministic tokenizations one principal may make per minute, counted in the vault table across every instance; above it 429 with Retry-After and an audit event. Each one can test a candidate value, so the default (60) keeps an exhaustive search of the last-four space out of reach.',
    },
    VERIFY_MISMATCH_LIMIT: {
      type: 'integer',
      minimum: 1,
      maximum: 100,
      default: 5,
      description:
        'Verify mismatches a token may have (counted across every caller and instance) before verify answers 423 verify-locked, until a security admin resets it.',
    },
    TENANT_STATE_CACHE_SECONDS: {
      type: 'integer',
      minimum: 1,
      maximum: 3_600,
      default: 30,
      description:
        "How long each instance uses a tenant's record (active, shred scheduled, shredded) before reading it again: a tenant onboarded, suspended or restored is seen within this time. The shred waiting period must be longer than this plus BRANCH_KEY_CACHE_TTL_SECONDS.",
    },
    CONNECTIONS_FILE: {
      type: 'string',
      minLength: 1,
      description:
        "The forwarding connections (tokenizer-service/connections.schema.json), validated at start; without it forward answers 404 for every connection. Each connection's base URL can be replaced with CONNECTION_<NAME>_BASE_URL (name upper-cased, '-' as '_'), e.g. CONNECTION_PAYMENTS_BASE_URL.",
    },
    ALLOW_LOOPBACK_DESTINATIONS: {
      type: 'boolean',
      default: false,
      description:
        'Local stack only: forward may reach destinations on loopback (http:// allowed for them). Never set in AWS.',
    },
    LOG_LEVEL: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      description: 'pino level (never silences the audit trail).',
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
      default: 'tokenizer',
      description: 'The service dimension of those metrics.',
    },
    TOKENIZER_HOST: {
      type: 'string',
      default: '127.0.0.1',
      description: 'Local server only: the address it listens on.',
    },
    TOKENIZER_PORT: {
      type: 'integer',
      minimum: 0,
      maximum: 65_535,
      default: 3001,
      description: 'Local server only: the port it listens on.',
    },
  },
};

/** The schema the environment is validated against (docs/configuration.md is generated from it). */
export const configSchema = schema;

/** Every variable the service reads (docker-compose's test checks its containers against this list). */
export const configVariables: readonly string[] = Object.keys(schema.properties);

/** Validates the environment; throws naming the first bad or missing variable. */
export function loadConfig(env: Record<string, string | undefined>): TokenizerConfig {
  let config: TokenizerConfig;
  try {
    config = validatedEnvironment<TokenizerConfig>(
      env,
      generatedValidatorFor(schema, generated.config, 'the tokenizer configuration'),
    );
  } catch (error) {
    throw new Error(`Invalid tokenizer configuration: ${(error as Error).message}`, { cause: error });
  }
  config.CONNECTION_BASE_URLS = connectionBaseUrls(env);
  // Without a policy every caller would be denied; with two, which one rules would be a guess.
  if ((config.AUTHORIZATION_POLICY === undefined) === (config.AUTHORIZATION_POLICY_FILE === undefined)) {
    throw new Error(
      'Invalid tokenizer configuration: set exactly one of AUTHORIZATION_POLICY and AUTHORIZATION_POLICY_FILE',
    );
  }
  return config;
}

const baseUrlVariablePattern = /^CONNECTION_([A-Z0-9_]+)_BASE_URL$/;

/** CONNECTION_<NAME>_BASE_URL variables, by connection name (`PAYMENTS` → `payments`, `_` → `-`). */
function connectionBaseUrls(env: Record<string, string | undefined>): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const match = baseUrlVariablePattern.exec(name);
    if (!match?.[1] || value === undefined || value === '') continue;
    urls[match[1].toLowerCase().replace(/_/g, '-')] = value;
  }
  return urls;
}
