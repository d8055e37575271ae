// cdk-nag (AWS Solutions and PCI DSS 3.2.1) on every synth: zero unacknowledged findings, and every
// acknowledgement carries a written reason. Also CloudFormation's own template validation, once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks, PCIDSS321Checks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import t from 'tap';
import { addComplianceChecks } from '../lib/compliance.js';
import { synthesize } from './helpers/synth.js';

// CloudFormation validation on: this synth also proves the templates are valid CloudFormation.
const { app, assembly } = synthesize({ cloudFormationValidation: true });

t.test('no AWS Solutions or PCI DSS 3.2.1 finding is left unacknowledged', async (t) => {
  for (const pack of [new AwsSolutionsChecks(), new PCIDSS321Checks()]) {
    const report = pack.validateScope(app);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    t.same(findings, [], `${pack.readPackName}: no findings`);
    t.ok(report.success);
  }
});

t.test(
  'the synthesized validation report is clean (cdk-nag packs and CloudFormation validation)',
  async (t) => {
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { summary?: { pluginName?: string }; conclusion?: string; violations?: unknown[] }[];
    };
    t.ok(Array.isArray(report.pluginReports));
    t.same(
      report.pluginReports.flatMap((plugin) => plugin.violations ?? []),
      [],
      'no plugin reports a violation',
    );
  },
);

t.test('every acknowledgement names a rule and gives a specific reason', async (t) => {
  const acknowledgements = collectAcknowledgements(app);
  t.ok(acknowledgements.length > 0);
  for (const { path, id, reason } of acknowledgements) {
    t.match(id, /^(AwsSolutions|PCI\.DSS\.321)-[A-Za-z0-9]+(\[.+\])?$/, `${path}: ${id} is a cdk-nag rule`);
    t.ok(reason.length >= 80, `${path}: ${id} has a reason of some substance`);
    t.notMatch(reason, /placeholder|todo|tbd/i);
  }
  // The list, for review: `npx tap infra/test/compliance.test.ts --reporter=tap`.
  t.comment(acknowledgements.map((a) => `${a.id} @ ${a.path}`).join('\n'));
});

t.test('an unacknowledged finding fails the synth', async (t) => {
  // In-memory mode: the exception carries the report instead of printing it.
  const broken = new App({
    builtinCloudFormationValidation: false,
    context: { '@aws-cdk/core:appMode': 'inmemory' },
  });
  new Key(new Stack(broken, 'Broken'), 'KeyWithoutRotation', { enableKeyRotation: false });
  addComplianceChecks(broken);
  t.throws(() => broken.synth(), /AwsSolutions-KMS5[\s\S]*PCI\.DSS\.321-KMSBackingKeyRotationEnabled/);
});

interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

function collectAcknowledgements(root: IConstruct): Acknowledgement[] {
  const found: Acknowledgement[] = [];
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
        const id = key.replace(/^[A-Za-z.0-9]+::/, '');
        // aws-cdk-lib acknowledges some CloudFormation-Validate findings on its own constructs: not ours.
        if (key.startsWith('CloudFormation-Validate::')) continue;
        found.push({ path: construct.node.path, id, reason });
      }
    }
  }
  return found;
}
