import { Ajv, type ErrorObject } from 'ajv';

// One Ajv for the configuration documents (policy, local credentials), strict so a typo in a schema fails.
const ajv = new Ajv({ allErrors: true, strict: true });

/**
 * Compiles a JSON Schema into a check returning readable problems (`/principals/0/tenant must match
 * pattern ...`), empty when the data is valid. Messages name paths and schema rules, never data values.
 */
export function jsonSchemaCheck(schema: object): (data: unknown) => string[] {
  const validate = ajv.compile(schema);
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map(describe));
}

function describe(error: ErrorObject): string {
  const path = error.instancePath || '(root)';
  const property = error.params.additionalProperty;
  return `${path} ${error.message ?? 'is invalid'}${typeof property === 'string' ? ` '${property}'` : ''}`;
}
