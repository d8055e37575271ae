import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duration } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { Architecture, Code, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { acknowledge } from './compliance.js';
import { lambdaBundling, lambdaEsbuildArgs } from './lambda-bundling.js';
import type { LambdaExecutionRole } from './lambda-execution-role.js';

/** The monorepo root: NodejsFunction's project root and lock file live there. */
export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * How function code is produced:
 * - `bundle`: esbuild bundles the service's `lambda.ts` (what `cdk synth`/`cdk deploy` do);
 * - `stub`: a one-line inline handler, for unit tests that only look at the templates (bundling every
 *   test synth would cost seconds each). `test/bundling.test.ts` proves the real bundling separately.
 */
export type LambdaCodeMode = 'bundle' | 'stub';

export interface ServiceFunctionProps {
  /** Path of the service's Lambda entry, relative to the repository root. */
  readonly entry: string;
  readonly description: string;
  readonly codeMode: LambdaCodeMode;
  readonly executionRole: LambdaExecutionRole;
  readonly logGroup: ILogGroup;
  readonly vpc: IVpc;
  readonly securityGroup: ISecurityGroup;
  /** The VPC's isolated subnets unless stated (only the forwarder has egress: docs/forwarding.md). */
  readonly subnets?: 'isolated' | 'egress';
  /** Files copied next to the bundle (read at start-up from /var/task/<name>), absolute source paths. */
  readonly bundledFiles?: readonly { readonly source: string; readonly name: string }[];
  readonly environment: Record<string, string>;
  /** None when undefined: reservations are opt-in (DeploymentConfig.reservedConcurrency). */
  readonly reservedConcurrentExecutions?: number;
  readonly memorySize: number;
  readonly timeout: Duration;
}

/**
 * A service's Lambda function, the same way for every service: Node.js 22 on arm64, an ESM bundle made by
 * esbuild on this machine (no Docker), the AWS SDK bundled too (its version is the lock file's, not the
 * runtime's), in the VPC's isolated subnets, active tracing, a log group of our own, reserved concurrency
 * when asked for.
 */
export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const entry = join(repositoryRoot, props.entry);
    const code =
      props.codeMode === 'stub'
        ? {
            code: Code.fromInline('exports.handler = async () => ({ statusCode: 503, body: "stub" });'),
            handler: 'index.handler',
          }
        : { entry: requireEntry(entry, id) };
    this.function = new NodejsFunction(this, 'Function', {
      ...code,
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: props.executionRole.functionRole,
      logGroup: props.logGroup,
      tracing: Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      vpc: props.vpc,
      vpcSubnets: {
        subnets: props.subnets === 'egress' ? props.vpc.privateSubnets : props.vpc.isolatedSubnets,
      },
      securityGroups: [props.securityGroup],
      environment: {
        ...(lambdaBundling.nodeOptions ? { NODE_OPTIONS: lambdaBundling.nodeOptions } : {}),
        ...props.environment,
      },
      projectRoot: repositoryRoot,
      depsLockFilePath: join(repositoryRoot, 'package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: lambdaBundling.target,
        minify: lambdaBundling.minify,
        sourceMap: lambdaBundling.sourceMap,
        mainFields: [...lambdaBundling.mainFields],
        banner: lambdaBundling.banner,
        esbuildArgs: lambdaEsbuildArgs(),
        externalModules: [],
        commandHooks: bundledFilesHooks(props.bundledFiles ?? []),
      },
    });
    // The function must not be created before its role can create network interfaces and write logs.
    this.function.node.addDependency(props.executionRole.policy);
    acknowledgeNode22(this.function);
  }
}

/** Node.js 22 is the project's runtime; cdk-nag's L1 wants the newest one this aws-cdk-lib knows. */
export function acknowledgeNode22(scope: IConstruct): void {
  acknowledge(
    scope,
    'AwsSolutions-L1',
    'Pinned to nodejs22.x, the runtime the services are developed, bundled (esbuild target node22) and ' +
      'tested for (ARCHITECTURE.md); it is supported by Lambda until its 2027 deprecation. Moving to a newer ' +
      'runtime is a deliberate upgrade of every service and their tests, not an infrastructure default.',
  );
}

/** Copies each file into the bundle's directory after esbuild ran (local bundling runs these in a shell). */
function bundledFilesHooks(files: readonly { source: string; name: string }[]) {
  const quoted = (path: string) => `'${path.replace(/'/g, `'\\''`)}'`;
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) =>
      files.map(({ source, name }) => `cp ${quoted(source)} ${quoted(join(outputDir, name))}`),
  };
}

function requireEntry(entry: string, id: string): string {
  if (!existsSync(entry)) {
    throw new Error(
      `${id}: the Lambda entry ${entry} does not exist. Build that service first, or synthesize the ` +
        'infrastructure alone with `-c tokenization:lambdaCode=stub`.',
    );
  }
  return entry;
}
