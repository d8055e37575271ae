/**
 * The esbuild settings of every Lambda bundle, besides its ESM format. `ServiceFunction` gives them to
 * NodejsFunction, which runs `esbuild --bundle <entry> --platform=node --format=esm --outfile=index.mjs`
 * with them; the benchmark's cold-start measure (`local-stack/src/bench/cold-start.ts`) builds the same
 * bundle through esbuild's API. Plain data without imports, so that both can read it.
 */
export const lambdaBundling = {
  target: 'node22',
  minify: true,
  sourceMap: true,
  mainFields: ['module', 'main'],
  // ESM bundles of CommonJS dependencies still call require(): give them one.
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
} as const;
