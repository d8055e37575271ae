import {
  generatedValidatorFor,
  schemaHash,
  type ValidationError,
} from '@tokenization/service-kit/precompiled-validators';
// The configuration documents' validators (policy, connections, local credentials), generated at build time
// (npm run generate) with the options below, so that no start compiles a schema or loads Ajv.
import generated from '../../generated/document-validators.cjs';

/** Ajv's options for the configuration documents: strict, so a typo in a schema fails (at generation). */
export const documentValidationOptions = { allErrors: true, strict: true } as const;

/**
 * The check of a JSON Schema, returning readable problems (`/principals/0/tenant must match pattern ...`),
 * empty when the data is valid. Messages name paths and schema rules, never data values. The schema must be
 * one scripts/generate-validators.ts generates (by its hash): a new or changed one fails until then.
 */
export function jsonSchemaCheck(schema: object): (data: unknown) => string[] {
  const hash = schemaHash(schema);
  const validate = generatedValidatorFor(schema, generated[hash], `the document schema ${hash.slice(0, 12)}`);
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map(describe));
}

function describe(error: ValidationError): string {
  const path = error.instancePath || '(root)';
  const property = error.params.additionalProperty;
  return `${path} ${error.message ?? 'is invalid'}${typeof property === 'string' ? ` '${property}'` : ''}`;
}
