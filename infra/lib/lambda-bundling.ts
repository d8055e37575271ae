/**
 * The esbuild settings of every Lambda bundle, besides its ESM format. `ServiceFunction` gives them to
 * NodejsFunction, which runs `esbuild --bundle <entry> --platform=node --format=esm --outfile=index.mjs`
 * with them; the bundle tests (`test/helpers/lambda-bundle.ts`) and the benchmark's cold-start measure
 * (`local-stack/src/bench/cold-start.ts`) build the same bundle through esbuild's API with
 * `lambdaEsbuildOptions`. Plain data without imports, so that all of them can read it.
 *
 * Measured in docs/performance.md ("Cold start"): what each setting saves.
 */

// The stand-in for Fastify's run-time schema compilers (see the file): the Lambda entries give Fastify the
// validators generated at build time, so Ajv and fast-json-stringify's compiler stay out of the bundles.
const runtimeCompilerStub = decodeURIComponent(
  new URL('./bundle-stubs/fastify-runtime-compiler.cjs', import.meta.url).pathname,
);
// The environment's credentials in place of the SDK's default credential chain (see the file).
const credentialsFromEnvironment = decodeURIComponent(
  new URL('./bundle-stubs/credentials-from-environment.mjs', import.meta.url).pathname,
);

export const lambdaBundling = {
  target: 'node22',
  minify: true,
  // Written beside the bundle, for reading a stack trace (see nodeOptions).
  sourceMap: true,
  /**
   * The functions' NODE_OPTIONS (none when empty). Not --enable-source-maps: it parses the multi-megabyte
   * map at every cold start, about a fifth of the cold start's CPU (docs/performance.md); to read a stack
   * trace, map it with the source map, or set the variable on the function while investigating.
   */
  nodeOptions: '' as string,
  mainFields: ['module', 'main'],
  // ESM bundles of CommonJS dependencies still call require(): give them one.
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  alias: {
    // The Encryption SDK's umbrella package names only its CommonJS build, which loads every keyring at
    // import (the raw RSA keyring even tries an RSA encryption); its ESM build lets esbuild keep what is used.
    '@aws-crypto/client-node': '@aws-crypto/client-node/build/module/src/index.js',
    '@fastify/ajv-compiler': runtimeCompilerStub,
    '@fastify/fast-json-stringify-compiler': runtimeCompilerStub,
    '@aws-sdk/credential-provider-node': credentialsFromEnvironment,
  } as Readonly<Record<string, string>>,
} as const;

/** NodejsFunction's `esbuildArgs` for what its own options cannot say (the aliases). */
export function lambdaEsbuildArgs(): Record<string, string[]> {
  return {
    '--alias': Object.entries(lambdaBundling.alias).map(([from, to]) => `${from}=${to}`),
  };
}

/**
 * esbuild's build options for `entry` (relative to `repositoryRoot`), as NodejsFunction builds it: pass
 * them to esbuild's `build()`, adding `write`, `metafile` or `logLevel` as needed.
 */
export function lambdaEsbuildOptions(repositoryRoot: string, entry: string, outfile: string) {
  return {
    absWorkingDir: repositoryRoot,
    entryPoints: [`${repositoryRoot.replace(/\/$/, '')}/${entry}`],
    outfile,
    bundle: true,
    platform: 'node' as const,
    format: 'esm' as const,
    target: lambdaBundling.target,
    minify: lambdaBundling.minify,
    sourcemap: lambdaBundling.sourceMap,
    mainFields: [...lambdaBundling.mainFields],
    banner: { js: lambdaBundling.banner },
    alias: { ...lambdaBundling.alias },
  };
}
