import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { buildTokenizationApp, type TokenizationStacks } from '../../lib/tokenization-app.js';

const infraRoot = join(import.meta.dirname, '..', '..');

/** The feature flags and settings of cdk.json, so tests synthesize what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  return (
    JSON.parse(readFileSync(join(infraRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
  ).context;
}

export interface Synthesized {
  readonly app: App;
  readonly stacks: TokenizationStacks;
  readonly assembly: CloudAssembly;
  readonly network: Template;
  readonly tokenizer: Template;
  readonly application: Template;
}

export interface SynthOptions {
  readonly context?: Record<string, unknown>;
  /** Run CloudFormation's own template validation (several seconds): off where it is not under test. */
  readonly cloudFormationValidation?: boolean;
}

/**
 * Synthesizes the whole app once, with stub Lambda code (no esbuild: test/bundling.test.ts covers real
 * bundling) and the cdk-nag packs registered exactly as bin/app.ts registers them: an unacknowledged
 * finding makes this throw.
 */
export function synthesize(options: SynthOptions = {}): Synthesized {
  const app = new App({
    context: { ...cdkJsonContext(), ...options.context },
    outdir: mkdtempSync(join(tmpdir(), 'tokenization-cdk-')),
    // What CDK_VALIDATION=false does, without touching the process environment.
    builtinCloudFormationValidation: options.cloudFormationValidation ?? false,
  });
  const stacks = buildTokenizationApp(app, { codeMode: 'stub' });
  const assembly = app.synth();
  return {
    app,
    stacks,
    assembly,
    network: Template.fromStack(stacks.network),
    tokenizer: Template.fromStack(stacks.tokenizer),
    application: Template.fromStack(stacks.application),
  };
}
