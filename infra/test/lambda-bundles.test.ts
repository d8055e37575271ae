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
  {
    entry: 'order-service/src/lambda.ts',
    what: /order-service\/src\/adapters\/simulated-payment-processor\.ts$/,
    reason:
      'the only PaymentProcessor adapter there is: the order Lambda charges nothing and says so at start ' +
      '(docs/order-service.md, "Payments"); a real processor adapter must replace it before production',
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
