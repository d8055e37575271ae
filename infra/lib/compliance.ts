import { type App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, PCIDSS321Checks } from 'cdk-nag';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/** Registers the rule packs every synth runs: a finding that is not acknowledged fails the synth. */
export function addComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(
    // writeSuppressionsToCloudFormation: each acknowledgement is also written into the template's Metadata
    // (`cdk_nag.rules_to_suppress`), so an auditor reading a deployed template sees the reasons.
    new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
    new PCIDSS321Checks(app, { verbose: true }),
  );
}

/**
 * Acknowledges one cdk-nag finding on `scope` and its children. Always as close to the resource as
 * possible, always with a reason specific to that resource.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges cdk-nag's wildcard finding (AwsSolutions-IAM5) for exactly these resources of `policy`, when
 * their ARNs hold a cross-stack reference. cdk-nag names such a finding after the resolved ARN, which
 * exists only once the references are resolved (the export's name is generated then), so
 * the acknowledgement is recorded by a construct validation: it runs after that and before the rule packs,
 * and renders each ARN with cdk-nag's own renderer. Any other wildcard of the policy still fails the synth.
 */
export function acknowledgeWildcardResources(
  policy: IConstruct,
  resources: readonly string[],
  reason: string,
): void {
  policy.node.addValidation({
    validate: () => {
      const stack = Stack.of(policy);
      for (const resource of resources) {
        const rendered = flattenCfnReference(stack.resolve(resource));
        acknowledge(policy, `AwsSolutions-IAM5[Resource::${rendered}]`, reason);
      }
      return [];
    },
  });
}
