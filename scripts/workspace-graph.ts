// Checks the package graph: no import reaches into another workspace by a relative path, every workspace
// import is declared in the importer's package.json, and the declared workspace dependencies form no cycle.
// `npm run lint` runs it; it fails naming the file and the import.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface Workspace {
  /** Folder relative to the repository root, e.g. `order-service`. */
  dir: string;
  name: string;
  /** Workspace package names listed in dependencies or devDependencies. */
  dependsOn: string[];
}

export interface SourceFile {
  /** Path relative to the repository root. */
  path: string;
  text: string;
}

// Static imports and re-exports (`import … from`, `export … from`, `import '…'`) and dynamic `import('…')`.
const importPattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;

export function importsOf(text: string): string[] {
  return [...text.matchAll(importPattern)].map((match) => match[1] as string);
}

/** Every violation as one line: `file: import 'x' …why`. */
export function checkWorkspaceGraph(
  workspaces: readonly Workspace[],
  files: readonly SourceFile[],
): string[] {
  const problems: string[] = [];
  const byName = new Map(workspaces.map((workspace) => [workspace.name, workspace]));
  const owner = (path: string) =>
    workspaces.find((workspace) => path === workspace.dir || path.startsWith(workspace.dir + sep));
  for (const file of files) {
    const home = owner(file.path);
    if (!home) continue;
    for (const specifier of importsOf(file.text)) {
      if (specifier.startsWith('.')) {
        const target = join(dirname(file.path), specifier);
        if (owner(target) !== home) {
          problems.push(
            `${file.path}: import '${specifier}' reaches outside ${home.dir}/ by a relative path`,
          );
        }
        continue;
      }
      const name = specifier.split('/').slice(0, 2).join('/');
      if (byName.has(name) && name !== home.name && !home.dependsOn.includes(name)) {
        problems.push(`${file.path}: import '${specifier}' is not declared in ${home.dir}/package.json`);
      }
    }
  }
  return [...problems, ...cyclesOf(workspaces)];
}

function cyclesOf(workspaces: readonly Workspace[]): string[] {
  const byName = new Map(workspaces.map((workspace) => [workspace.name, workspace]));
  const done = new Set<string>();
  const path: string[] = [];
  const problems: string[] = [];
  const visit = (name: string): void => {
    if (done.has(name)) return;
    const start = path.indexOf(name);
    if (start >= 0) {
      problems.push(`dependency cycle: ${[...path.slice(start), name].join(' → ')}`);
      return;
    }
    path.push(name);
    for (const next of byName.get(name)?.dependsOn ?? []) visit(next);
    path.pop();
    done.add(name);
  };
  for (const workspace of workspaces) visit(workspace.name);
  return problems;
}

interface PackageJson {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function readWorkspaces(root: string): Workspace[] {
  const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
  const packages = (rootPackage.workspaces ?? []).map((dir) => ({
    dir,
    json: JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as PackageJson,
  }));
  const names = new Set(packages.map(({ json }) => json.name));
  return packages.map(({ dir, json }) => ({
    dir,
    name: json.name,
    dependsOn: Object.keys({ ...json.dependencies, ...json.devDependencies }).filter((name) =>
      names.has(name),
    ),
  }));
}

function sourceFiles(root: string, dir: string): SourceFile[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|js|mjs)$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .filter(
      (path) => !path.split(sep).some((part) => ['node_modules', 'cdk.out', 'dist', '.tap'].includes(part)),
    )
    .map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const root = resolve(import.meta.dirname, '..');
  const workspaces = readWorkspaces(root);
  const problems = checkWorkspaceGraph(
    workspaces,
    workspaces.flatMap((workspace) => sourceFiles(root, workspace.dir)),
  );
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.log(
    `workspace graph: ${workspaces.length} workspaces, no cross-workspace relative import, no cycle`,
  );
}
