// Dev-only: the key pairs the local stack's SigV4 verifier accepts. Only the local server reads them.
import { readFileSync } from 'node:fs';
import policySchema from '../../authorization-policy.schema.json' with { type: 'json' };
import { jsonSchemaCheck } from './json-validation.js';
import type { SigV4Credential } from './sigv4-authenticator.js';

export class LocalCredentialsError extends Error {
  override readonly name = 'LocalCredentialsError';
}

/** The credentials file's schema (exported for scripts/generate-validators.ts). */
export const localCredentialsSchema = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['accessKeyId', 'secretAccessKey', 'principalArn'],
    properties: {
      accessKeyId: { type: 'string', pattern: '^[A-Z0-9]{16,128}$' },
      secretAccessKey: { type: 'string', minLength: 16, maxLength: 128 },
      // The same principals the policy can name.
      principalArn: policySchema.definitions.principal.properties.arn,
      description: { type: 'string' },
    },
  },
};

/** Reads `LOCAL_SIGV4_CREDENTIALS_FILE`: `[{ accessKeyId, secretAccessKey, principalArn }]`. */
export function readLocalCredentials(file: string | undefined): SigV4Credential[] {
  const source = 'LOCAL_SIGV4_CREDENTIALS_FILE';
  if (file === undefined) {
    throw new LocalCredentialsError(
      `${source} is required: the local server verifies SigV4 signatures itself`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    // Never the parser's message: it would quote the file, secrets included.
    throw new LocalCredentialsError(`${source} ${file} cannot be read as JSON`, { cause: error });
  }
  // Looked up when read, not at import: the validator generator imports this module for its schema.
  const problems = jsonSchemaCheck(localCredentialsSchema)(document);
  if (problems.length > 0) throw new LocalCredentialsError(`${source} ${file}: ${problems.join('; ')}`);
  const credentials = document as SigV4Credential[];
  const keyIds = new Set(credentials.map((credential) => credential.accessKeyId));
  if (keyIds.size !== credentials.length) {
    throw new LocalCredentialsError(`${source} ${file}: an access key id is listed twice`);
  }
  return credentials.map(({ accessKeyId, secretAccessKey, principalArn }) => ({
    accessKeyId,
    secretAccessKey,
    principalArn,
  }));
}
