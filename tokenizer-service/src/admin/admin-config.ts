// The admin CLI's configuration: the tokenizer's variables it needs (same names, same checks, same
// defaults: read from the tokenizer's schema) plus two of its own. See docs/key-administration.md.
import { Ajv } from 'ajv';
import { configSchema, type TokenizerConfig } from '../config.js';
import type { VaultCryptoConfig } from '../vault-crypto.js';

const sharedVariables = [
  'AWS_REGION',
  'TOKEN_VAULT_TABLE_NAME',
  'KMS_KEY_ARN',
  'KEY_STORE_TABLE_NAME',
  'BRANCH_KEY_KMS_KEY_ARN',
  'KEY_STORE_LOGICAL_NAME',
  'BRANCH_KEY_CACHE_TTL_SECONDS',
  'BRANCH_KEY_CACHE_SIZE',
  'TENANT_STATE_CACHE_SECONDS',
  'FINGERPRINT_ROTATION_WINDOW_SECONDS',
  'DATA_KEY_CACHE_CAPACITY',
  'DATA_KEY_CACHE_MAX_AGE_SECONDS',
  'DATA_KEY_CACHE_MAX_MESSAGES',
  'DYNAMODB_ENDPOINT',
  'KMS_ENDPOINT',
  'DEPENDENCY_TIMEOUT_MS',
] as const satisfies readonly (keyof TokenizerConfig)[];

type SharedConfig = Pick<TokenizerConfig, (typeof sharedVariables)[number]>;

export interface AdminConfig extends SharedConfig, VaultCryptoConfig {
  /** Local stack only: the audit trail's actor (no STS there); ignored on AWS. */
  ADMIN_ACTOR?: string;
  /** An STS endpoint (e.g. a VPC endpoint); by default the region's. */
  STS_ENDPOINT?: string;
}

const properties = configSchema.properties as Record<string, object>;

const adminSchema = {
  type: 'object',
  required: configSchema.required.filter((name) => (sharedVariables as readonly string[]).includes(name)),
  properties: {
    ...Object.fromEntries(sharedVariables.map((name) => [name, properties[name]])),
    ADMIN_ACTOR: {
      type: 'string',
      pattern: '^[A-Za-z0-9+=,.@:/_-]{1,256}$',
      description: 'Local stack only: the name the audit trail records as the actor (default local).',
    },
    STS_ENDPOINT: { type: 'string', pattern: '^https?://', description: 'An STS endpoint of your own.' },
  },
};

/** Validates the environment; throws naming the first bad or missing variable. */
export function loadAdminConfig(env: Record<string, string | undefined>): AdminConfig {
  const validate = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, strict: false }).compile(
    adminSchema,
  );
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(adminSchema.properties)) {
    if (env[name] !== undefined && env[name] !== '') copy[name] = env[name];
  }
  if (!validate(copy)) {
    const [error] = validate.errors ?? [];
    const where = error?.instancePath ? error.instancePath.slice(1) : '';
    throw new Error(`Invalid admin configuration: ${where ? `${where} ` : ''}${error?.message ?? 'invalid'}`);
  }
  // The admin re-encrypts into the tenants' branch keys whatever profile the tokenizer is measured with.
  return { ...(copy as unknown as SharedConfig), ENCRYPTION_PROFILE: 'cached-committing' } as AdminConfig;
}

/** On the local stack (local endpoints), there is no STS: the audit actor is ADMIN_ACTOR or `local`. */
export function isLocalStack(config: AdminConfig): boolean {
  return config.DYNAMODB_ENDPOINT !== undefined || config.KMS_ENDPOINT !== undefined;
}
