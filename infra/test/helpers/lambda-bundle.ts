// A service's Lambda bundle as the CDK stacks build it (esbuild with lib/lambda-bundling.ts, every
// package bundled), kept in memory with esbuild's list of inputs, and what in it is dev-only code.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { lambdaEsbuildOptions } from '../../lib/lambda-bundling.js';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface LambdaBundle {
  /** The entry, relative to the repository root, e.g. `tokenizer-service/src/lambda.ts`. */
  entry: string;
  /** The minified `index.mjs`. */
  code: string;
  /** Every file esbuild put in, relative to the repository root (`node_modules/…` for packages). */
  inputs: string[];
  /** The bytes each input left in `index.mjs` once unused exports were dropped (absent: none). */
  bytesInOutput: Record<string, number>;
  /** With `outdir`: the written `index.mjs` (and its source map beside it). */
  file?: string;
}

/**
 * Builds `entry` (relative to the repository root) with the settings NodejsFunction gets. In memory, or
 * written to `outdir` as `index.mjs` and `index.mjs.map` (to be started, as the benchmark's cold start does).
 */
export async function buildLambdaBundle(
  entry: string,
  options: { outdir?: string } = {},
): Promise<LambdaBundle> {
  const outfile = join(options.outdir ?? join(repositoryRoot, '.tap/lambda-bundle'), 'index.mjs');
  const settings = lambdaEsbuildOptions(repositoryRoot, entry, outfile);
  const { outputFiles, metafile } = await build({
    ...settings,
    sourcemap: options.outdir !== undefined && settings.sourcemap,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = outputFiles.find((file) => file.path.endsWith('.mjs'))?.text ?? '';
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith('.mjs'))?.[1];
  const bytesInOutput = Object.fromEntries(
    Object.entries(output?.inputs ?? {})
      .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
      .map(([input, { bytesInOutput }]) => [input, bytesInOutput]),
  );
  const bundle: LambdaBundle = { entry, code, inputs: Object.keys(metafile.inputs), bytesInOutput };
  if (options.outdir === undefined) return bundle;
  await mkdir(options.outdir, { recursive: true });
  for (const file of outputFiles) await writeFile(file.path, file.contents);
  return { ...bundle, file: outfile };
}

export interface DevOnlyFinding {
  /** What was found: a module path, a package, or a named string. */
  what: string;
  why: string;
}

/**
 * Dev-only code in a Lambda bundle:
 * - modules of the dev-only workspaces (`local-aws/`: the local KMS, DynamoDB Local, test support;
 *   `local-stack/`: npm start, bench, soak), of any
 *   `test/` folder, the local entries of the services (`src/server.ts`, `src/**\/local-*.ts`) and
 *   simulated adapters (`src/**\/simulated-*.ts`);
 * - the tokenizer's SigV4 verifier (API Gateway verifies signatures on AWS);
 * - packages that only development needs (devDependencies of the root and the workspaces, and the
 *   dependencies of local-aws, local-stack and infra), unless the service itself depends on them;
 * - the dev-only SigV4 keys of the local stack (`local-aws/config/sigv4-credentials.json`), the test
 *   callers' key prefixes, and the name of the local credentials variable.
 */
export function devOnlyCodeIn(bundle: LambdaBundle): DevOnlyFinding[] {
  const findings: DevOnlyFinding[] = [];
  const service = bundle.entry.split('/')[0] as string;
  const serviceDependencies = runtimeDependenciesOf(service);
  const devOnlyPackages = devOnlyPackageNames().filter((name) => !serviceDependencies.has(name));
  for (const input of bundle.inputs) {
    const modulePath = input.replace(/^.*node_modules\/@tokenization\/([^/]+)\//, '$1/');
    if (/^local-(aws|stack)\//.test(modulePath)) findings.push({ what: input, why: 'a dev-only workspace' });
    else if (/^[\w-]+\/test\//.test(modulePath)) findings.push({ what: input, why: 'test code' });
    else if (/^[\w-]+\/src\/(server\.ts|(.*\/)?local-[^/]*\.ts)$/.test(modulePath)) {
      findings.push({ what: input, why: 'a local-only entry or module' });
    } else if (/sigv4-authenticator\.ts$/.test(modulePath)) {
      findings.push({ what: input, why: 'the local SigV4 verifier' });
    } else if (/^[\w-]+\/src\/(.*\/)?simulated-[^/]*\.ts$/.test(modulePath)) {
      findings.push({ what: input, why: 'a simulated (development) adapter' });
    }
    const name = packageOf(input);
    if (name && devOnlyPackages.includes(name))
      findings.push({ what: input, why: `dev-only package ${name}` });
  }
  for (const marker of devOnlyStrings()) {
    if (bundle.code.includes(marker.text))
      findings.push({ what: marker.name, why: 'a dev-only name or key' });
  }
  return findings;
}

/** A workspace's run-time dependencies, with those of the workspaces it depends on (the client SDK, the kit). */
function runtimeDependenciesOf(workspace: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    for (const name of Object.keys(packageJson(file).dependencies ?? {})) {
      if (seen.has(name)) continue;
      seen.add(name);
      // A workspace (the client SDK, the kit) or a package in the root node_modules: what it needs at run time
      // is the service's too (the AWS SDK clients sign with @smithy/signature-v4, for example).
      const next = name.startsWith('@tokenization/')
        ? `${name.slice('@tokenization/'.length)}/package.json`
        : `node_modules/${name}/package.json`;
      if (existsSync(join(repositoryRoot, next))) visit(next);
    }
  };
  visit(`${workspace}/package.json`);
  return seen;
}

function devOnlyPackageNames(): string[] {
  const names = new Set<string>();
  for (const file of [
    'package.json',
    'contracts/package.json',
    'tokenizer-service/package.json',
    'order-service/package.json',
  ]) {
    for (const name of Object.keys(packageJson(file).devDependencies ?? {})) names.add(name);
  }
  for (const file of ['local-aws/package.json', 'local-stack/package.json', 'infra/package.json']) {
    const { dependencies = {}, devDependencies = {} } = packageJson(file);
    for (const name of [...Object.keys(dependencies), ...Object.keys(devDependencies)]) names.add(name);
  }
  return [...names].filter((name) => !name.startsWith('@tokenization/') && !name.startsWith('@types/'));
}

function devOnlyStrings(): { name: string; text: string }[] {
  const credentials = JSON.parse(
    readFileSync(join(repositoryRoot, 'local-aws/config/sigv4-credentials.json'), 'utf8'),
  ) as { accessKeyId: string; secretAccessKey: string }[];
  return [
    ...credentials.flatMap(({ accessKeyId, secretAccessKey }) => [
      { name: `local access key id ${accessKeyId}`, text: accessKeyId },
      { name: `the secret of ${accessKeyId}`, text: secretAccessKey },
    ]),
    { name: 'LOCAL_SIGV4_CREDENTIALS_FILE', text: 'LOCAL_SIGV4_CREDENTIALS' },
    // tokenizer-service/test/helpers/test-callers.ts
    { name: 'a test caller key id', text: 'AKIATEST' },
    { name: 'a test caller secret', text: 'test-only-secret-of-' },
  ];
}

/** The package a bundled file belongs to (the innermost one, for nested node_modules). */
function packageOf(input: string): string | undefined {
  return [...input.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].at(-1)?.[1];
}

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function packageJson(file: string): PackageJson {
  return JSON.parse(readFileSync(join(repositoryRoot, file), 'utf8')) as PackageJson;
}
