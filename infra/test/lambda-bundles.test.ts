// Bundle hygiene: both Lambda bundles, built as the CDK stacks build them, hold no dev-only code: nothing
// of the local stack (local KMS, DynamoDB Local, test support), no test code, no local-only entry or
// module, no SigV4 verifier, no dev-only package, no dev-only key. (Replaces the tokenizer-only check that
// lambda.test.ts had; bundling.test.ts builds the same bundles through the CDK and runs them.)

import t from 'tap';
import { buildLambdaBundle, type DevOnlyFinding, devOnlyCodeIn } from './helpers/lambda-bundle.js';

/**
 * Known and accepted, with the reason; reported as comments. A finding that disappears needs no change
 * here; a new one fails.
 */
const acknowledged: { entry: string; what: RegExp; reason: string }[] = [
  {
    entry: 'tokenizer-service/src/lambda.ts',
    what: /^LOCAL_SIGV4_CREDENTIALS_FILE$/,
    reason:
      'the variable is named in config.ts, the schema both entries validate; nothing in the Lambda reads ' +
      'the file (local-credentials.ts and the SigV4 verifier are not in the bundle)',
  },
];

for (const [entry, mustHold] of [
  ['tokenizer-service/src/lambda.ts', /tokenizer-service\/src\/auth\/api-gateway-authenticator\.ts$/],
  ['order-service/src/lambda.ts', /order-service\/src\/app\.ts$/],
] as const) {
  t.test(`${entry}: no dev-only code in the bundle`, async (t) => {
    const bundle = await buildLambdaBundle(entry);
    t.ok(bundle.code.length > 100_000, `bundled (${Math.round(bundle.code.length / 1024)} KiB)`);
    t.ok(
      bundle.inputs.some((input) => mustHold.test(input)),
      `holds what it should (${mustHold.source})`,
    );
    const findings = devOnlyCodeIn(bundle).filter((finding: DevOnlyFinding) => {
      const known = acknowledged.find((rule) => rule.entry === entry && rule.what.test(finding.what));
      if (known) t.comment(`acknowledged: ${finding.what} (${finding.why}): ${known.reason}`);
      return !known;
    });
    t.same(findings, [], 'nothing dev-only');
  });
}

// Only what the first event needs (docs/performance.md, "Cold start"): no schema compiler (the entries use
// the validators generated at build time), no API docs, no keyring the service does not use, no contract
// document (the route table instead), no credential provider but the environment's. Sizes are
// ceilings against regressions (Ajv and its compilers coming back would pass them), in bytes of the
// minified bundle; the 1.0 MB target for the tokenizer is the bench's verdict (bench/targets.ts).
const packagesLeftOut = [
  'ajv',
  'ajv-formats',
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
  'env-schema',
  '@fastify/swagger',
  '@fastify/swagger-ui',
  '@aws-crypto/raw-rsa-keyring-node',
  '@aws-crypto/raw-aes-keyring-node',
  // The default credential chain and what only its other links use (credentials-from-environment.mjs).
  '@aws-sdk/credential-provider-node',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/credential-provider-login',
  '@smithy/credential-provider-imds',
  '@aws-sdk/nested-clients',
  '@aws-sdk/token-providers',
];
for (const [entry, maxBytes] of [
  ['tokenizer-service/src/lambda.ts', 1_300_000],
  ['order-service/src/lambda.ts', 800_000],
] as const) {
  t.test(`${entry}: no schema compiler, API docs or unused keyring; at most ${maxBytes} bytes`, async (t) => {
    const bundle = await buildLambdaBundle(entry);
    // What is in the code, not what esbuild read and dropped (an umbrella package's unused re-exports).
    const kept = Object.keys(bundle.bytesInOutput);
    const packages = new Set(kept.map(packageOf));
    // The generated validators need two of Ajv's run-time helpers (string length, deep equality), not Ajv.
    const ajvModules = kept.filter((input) => packageOf(input) === 'ajv');
    t.same(
      ajvModules.filter((input) => !/\/ajv\/dist\/runtime\/(ucs2length|equal)\.js$/.test(input)),
      [],
      "of Ajv, only the generated validators' run-time helpers",
    );
    t.same(
      packagesLeftOut.filter((name) => name !== 'ajv' && packages.has(name)),
      [],
      'none of the left-out packages',
    );
    t.ok(
      kept.some((input) => input.endsWith('/generated/route-validators.cjs')),
      'the generated route validators',
    );
    // The contract's generated route table (schemas without descriptions or examples), not its document.
    t.ok(
      kept.some((input) => /contracts\/generated\/\w+-routes\.ts$/.test(input)),
      "the contract's route table",
    );
    t.same(
      bundle.inputs.filter((input) => /contracts\/generated\/\w+-document\.ts$/.test(input)),
      [],
      "not the contract's document",
    );
    t.ok(
      kept.some((input) => input.endsWith('bundle-stubs/credentials-from-environment.mjs')),
      "the environment's credentials in place of the default chain",
    );
    const bytes = Buffer.byteLength(bundle.code);
    t.ok(bytes <= maxBytes, `${bytes.toLocaleString('en-US')} bytes`);
  });
}

/** The package a bundled file belongs to (the innermost one, for nested node_modules). */
function packageOf(input: string): string | undefined {
  return [...input.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].at(-1)?.[1];
}
