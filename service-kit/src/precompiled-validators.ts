// Validators generated at build time (`npm run generate`: scripts/generate-validators.ts writes them to each
// service's generated/ folder) and used in place of compiling schemas at start, so a Lambda cold start
// compiles no schema and loads no Ajv. Each generated validator carries the hash of the schema it was made
// from: a schema that changed without `npm run generate` fails the start instead of being checked by the
// old code. Imports no Ajv: the Lambda bundles load this module.
import { createHash } from 'node:crypto';
import type { FastifyServerOptions } from 'fastify';

/** A compiled Ajv validator (Ajv's standalone code); `errors` holds Ajv's errors after a rejection. */
export type PrecompiledValidator = ((data: unknown) => boolean) & { errors?: ValidationError[] | null };

/** The fields of an Ajv error that the services read. */
export interface ValidationError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** One generated validator and the hash of the schema it was generated from. */
export interface GeneratedValidator {
  validate: PrecompiledValidator;
  schemaHash: string;
}

/** The validators of one contract's routes, by `routeValidatorKey`. */
export type GeneratedRouteValidators = Readonly<Record<string, GeneratedValidator>>;

/** The hash a generated validator is checked against: SHA-256 of the schema's JSON. */
export function schemaHash(schema: unknown): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

/** The generated validator, once its schema is known to be the one it was generated from. */
export function generatedValidatorFor(
  schema: unknown,
  generated: GeneratedValidator | undefined,
  what: string,
): PrecompiledValidator {
  if (!generated) throw new Error(`no generated validator for ${what}: run npm run generate`);
  if (generated.schemaHash !== schemaHash(schema)) {
    throw new Error(
      `the generated validator for ${what} is stale (its schema changed): run npm run generate`,
    );
  }
  return generated.validate;
}

/** What Fastify passes to a validator compiler for one part of one route. */
export interface RouteSchemaPart {
  schema?: unknown;
  method?: string;
  url?: string;
  httpPart?: string;
}

/** `POST /v1/tokens body`: one part of one route (HEAD routes have their own keys). */
export function routeValidatorKey(part: RouteSchemaPart): string {
  return `${part.method} ${part.url} ${part.httpPart ?? 'body'}`;
}

type CompilersFactory = NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>;
type FastifyValidator = ReturnType<ReturnType<NonNullable<CompilersFactory['buildValidator']>>>;

/**
 * Fastify's `schemaController.compilersFactory` reading generated route validators, as
 * `StandaloneValidator({ readMode: true })` of @fastify/ajv-compiler does (that module loads Ajv itself even
 * in read mode, which is what the Lambda bundles avoid). A route part without a generated validator, or
 * whose schema changed since, fails the start naming the route.
 */
export function precompiledCompilers(validators: GeneratedRouteValidators): CompilersFactory {
  return {
    buildValidator: () => (part: RouteSchemaPart) => {
      const key = routeValidatorKey(part);
      // Ajv's standalone code: the same function as a compiled one, without the compiler's own fields.
      return generatedValidatorFor(part.schema, validators[key], key) as unknown as FastifyValidator;
    },
    // The contract routes declare no response schemas, so Fastify never asks for a serializer; one that
    // did would fail the start here rather than pull fast-json-stringify (and Ajv) into the cold start.
    buildSerializer: () => (part: RouteSchemaPart) => {
      throw new Error(
        `no generated serializer for ${routeValidatorKey(part)}: the contract routes have none`,
      );
    },
  };
}

/**
 * The environment checked as env-schema checks it (the generated validator was compiled by env-schema's
 * own Ajv instance: defaults, coercion), without loading Ajv: a copy of `env`, coerced and defaulted, or an
 * error worded as env-schema's (`env/PORT must be integer, ...`).
 */
export function validatedEnvironment<T>(
  env: Record<string, string | undefined>,
  validate: PrecompiledValidator,
): T {
  const data: Record<string, unknown> = { ...env };
  if (!validate(data)) {
    const errors = validate.errors ?? [];
    const error = new Error(
      errors.length === 0
        ? 'No errors'
        : errors.map((e) => `env${e.instancePath} ${e.message ?? 'is invalid'}`).join(', '),
    );
    Object.assign(error, { errors });
    throw error;
  }
  return data as T;
}
