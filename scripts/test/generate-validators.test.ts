// The validators generated for the Lambda entries (scripts/generate-validators.ts) are fresh, and accept,
// reject, default and report exactly as the run-time compilation they replace: Fastify's own Ajv compiler
// for the contract routes, env-schema for the environment, Ajv with json-validation.ts's options for the
// configuration documents. Samples: values each schema allows and, for each, every variation breaking one
// rule (contracts/test/helpers/schema-arbitrary.ts).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import ValidatorSelector from '@fastify/ajv-compiler';
import type { JsonSchema } from '@tokenization/contracts/operations';
import { orderRoutes } from '@tokenization/contracts/order-routes';
import { arbitraryFor, mutationsOf } from '@tokenization/contracts/testing/schema-arbitrary';
import { tokenizerRoutes } from '@tokenization/contracts/tokenizer-routes';
import { Ajv } from 'ajv';
import { envSchema } from 'env-schema';
import fc from 'fast-check';
import pino from 'pino';
import t, { type Test } from 'tap';
import { createContractApp, registerOperations } from '../../service-kit/src/contract-routes.js';
import type { OperationHandlers } from '../../service-kit/src/operation-handlers.js';
import {
  type GeneratedRouteValidators,
  type GeneratedValidator,
  generatedValidatorFor,
  type PrecompiledValidator,
  routeValidatorKey,
  schemaHash,
  validatedEnvironment,
} from '../../service-kit/src/precompiled-validators.js';
import { documentValidationOptions } from '../../tokenizer-service/src/auth/json-validation.js';
import { generatedValidatorFiles } from '../generate-validators.js';

const require = createRequire(import.meta.url);
const root = new URL('../../', import.meta.url);

t.test('the generated validators are fresh (run `npm run generate`)', async (t) => {
  for (const [path, expected] of await generatedValidatorFiles()) {
    const actual = await readFile(new URL(path, root), 'utf8').catch(() => '');
    t.ok(actual === expected, `${path} is fresh`);
  }
});

/** What a validator said about one value: its verdict, its errors, and the value after (defaults). */
function outcome(validate: PrecompiledValidator, value: unknown) {
  const data = structuredClone(value);
  const valid = validate(data);
  const errors = (validate.errors ?? []).map(({ instancePath, keyword, params, message }) => ({
    instancePath,
    keyword,
    params,
    message,
  }));
  return { valid, errors: valid ? [] : errors, data };
}

/**
 * Valid samples of `schema` and every one-rule variation of them; for a schema the arbitraries do not cover
 * (an untyped part, such as a forwarded body), JSON values of every kind.
 */
function samplesOf(schema: JsonSchema, runs = 25): unknown[] {
  let valid: unknown[];
  try {
    valid = fc.sample(arbitraryFor(schema), { numRuns: runs, seed: 17 });
  } catch {
    return fc.sample(fc.jsonValue(), { numRuns: runs * 4, seed: 17 });
  }
  return [...valid, ...valid.slice(0, 5).flatMap((value) => mutationsOf(schema, value).map((m) => m.value))];
}

/** Compares two validators on samples; counts the verdicts so a test can require both kinds. */
function compare(
  t: Test,
  what: string,
  runtime: PrecompiledValidator,
  generated: PrecompiledValidator,
  samples: unknown[],
): { accepted: number; rejected: number } {
  let accepted = 0;
  let rejected = 0;
  let differences = 0;
  for (const sample of samples) {
    const expected = outcome(runtime, sample);
    const actual = outcome(generated, sample);
    if (expected.valid) accepted++;
    else rejected++;
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      differences++;
      if (differences <= 3)
        t.same(actual, expected, `${what}: the same outcome for ${JSON.stringify(sample).slice(0, 80)}`);
    }
  }
  t.equal(differences, 0, `${what}: ${samples.length} samples judged alike (${accepted} accepted)`);
  return { accepted, rejected };
}

for (const [dir, routes] of [
  ['tokenizer-service', tokenizerRoutes],
  ['order-service', orderRoutes],
] as const) {
  t.test(`${dir}: the generated route validators judge as Fastify's run-time Ajv compiler`, async (t) => {
    // Fastify's default compiler (what createContractApp uses without `compilers`), keeping what it compiles.
    const runtime = new Map<string, { validate: PrecompiledValidator; schema: unknown }>();
    const app = createContractApp({
      logger: pino({ enabled: false }),
      bodyLimit: 1024,
      metrics: { namespace: 'test', serviceName: dir },
      compilers: {
        buildValidator: (externalSchemas, ajvOptions) => {
          const compile = ValidatorSelector()(externalSchemas, ajvOptions);
          return (part) => {
            const validate = compile(part);
            runtime.set(routeValidatorKey(part), {
              validate: validate as unknown as PrecompiledValidator,
              schema: part.schema,
            });
            return validate;
          };
        },
      },
    });
    const handlers = Object.fromEntries(routes.map((r) => [r.operationId, () => {}]));
    registerOperations(app, routes, handlers as OperationHandlers<Record<string, unknown>>);
    await app.ready();
    await app.close();

    const generated = require(`../../${dir}/generated/route-validators.cjs`) as GeneratedRouteValidators;
    t.same(
      Object.keys(generated).sort(),
      [...runtime.keys()].sort(),
      'one generated validator per route part',
    );
    let accepted = 0;
    let rejected = 0;
    for (const [key, { validate, schema }] of runtime) {
      const counts = compare(
        t,
        key,
        validate,
        generatedValidatorFor(schema, generated[key], key),
        samplesOf(schema as JsonSchema),
      );
      accepted += counts.accepted;
      rejected += counts.rejected;
    }
    t.ok(accepted > 0 && rejected > 0, `both verdicts seen (${accepted} accepted, ${rejected} rejected)`);
  });
}

t.test('the generated environment validators judge as env-schema', async (t) => {
  const services = [
    {
      dir: 'tokenizer-service',
      schema: (await import('../../tokenizer-service/src/config.js')).configSchema,
      env: {
        AWS_REGION: 'eu-west-1',
        TOKEN_VAULT_TABLE_NAME: 'vault',
        KMS_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:key/abc-123',
        KEY_STORE_TABLE_NAME: 'branch-keys',
        BRANCH_KEY_KMS_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:key/def-456',
        AUTHORIZATION_POLICY: '{}',
      },
    },
    {
      dir: 'order-service',
      schema: (await import('../../order-service/src/config.js')).configSchema,
      env: {
        AWS_REGION: 'eu-west-1',
        ORDER_TABLE_NAME: 'orders',
        TOKENIZER_API_URL: 'https://tokenizer.example.com/prod',
        COGNITO_USER_POOL_ID: 'eu-west-1_abc',
        COGNITO_CLIENT_ID: 'client',
      },
    },
  ];
  for (const { dir, schema, env } of services) {
    const generated = require(`../../${dir}/generated/config-validator.cjs`) as {
      config: GeneratedValidator;
    };
    const validate = generatedValidatorFor(schema, generated.config, `${dir} configuration`);
    const properties = Object.keys((schema as { properties: object }).properties);
    // The minimal environment, each variable missing, set to text no pattern or number accepts, or empty,
    // numbers as text (coerced), and a variable the schema does not know (dropped).
    const samples: Record<string, string | undefined>[] = [
      env,
      { ...env, UNKNOWN_VARIABLE: 'x' },
      ...Object.keys(env).map((name) => ({ ...env, [name]: undefined })),
      ...properties.flatMap((name) => [
        { ...env, [name]: 'not a valid value!' },
        { ...env, [name]: '' },
        { ...env, [name]: '3' },
        { ...env, [name]: '-1' },
      ]),
    ];
    let accepted = 0;
    let differences = 0;
    for (const data of samples) {
      const run = (load: () => unknown) => {
        try {
          return { config: load() };
        } catch (error) {
          return { error: (error as Error).message };
        }
      };
      const expected = run(() =>
        envSchema({ schema: structuredClone(schema), data: { ...data }, env: false, dotenv: false }),
      );
      const actual = run(() => validatedEnvironment({ ...data }, validate));
      if ('config' in expected) accepted++;
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        differences++;
        if (differences <= 3) t.same(actual, expected, `${dir}: the same outcome for ${Object.keys(data)}`);
      }
    }
    t.equal(differences, 0, `${dir}: ${samples.length} environments judged alike`);
    t.ok(accepted > 0 && accepted < samples.length, `${dir}: both verdicts seen (${accepted} accepted)`);
  }
});

t.test('the generated document validators judge as Ajv with json-validation.ts options', async (t) => {
  const generated = require('../../tokenizer-service/generated/document-validators.cjs') as Record<
    string,
    GeneratedValidator
  >;
  const policySchema = JSON.parse(
    await readFile(new URL('tokenizer-service/authorization-policy.schema.json', root), 'utf8'),
  ) as JsonSchema;
  const policy = JSON.parse(
    await readFile(new URL('local-aws/config/authorization-policy.json', root), 'utf8'),
  ) as unknown;
  const ajv = new Ajv({ ...documentValidationOptions });
  const runtime = ajv.compile(policySchema) as unknown as PrecompiledValidator;
  const generatedPolicy = generatedValidatorFor(policySchema, generated[schemaHash(policySchema)], 'policy');
  const counts = compare(t, 'authorization policy', runtime, generatedPolicy, [
    policy,
    ...mutationsOf(policySchema, policy).map((m) => m.value),
  ]);
  t.ok(counts.accepted > 0 && counts.rejected > 0, 'both verdicts seen');
});

t.test('a schema that changed after generation fails instead of being judged by the old code', async (t) => {
  const generated =
    require('../../tokenizer-service/generated/route-validators.cjs') as GeneratedRouteValidators;
  const [key, entry] = Object.entries(generated)[0] as [string, GeneratedValidator];
  t.throws(
    () => generatedValidatorFor({ type: 'object', changed: true }, entry, key),
    /stale .*npm run generate/,
  );
  t.throws(() => generatedValidatorFor({}, undefined, 'POST /nowhere body'), /no generated validator/);
});
