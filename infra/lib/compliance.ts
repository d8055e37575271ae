import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, PCIDSS321Checks } from 'cdk-nag';
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
