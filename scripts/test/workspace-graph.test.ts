import t from 'tap';
import { checkWorkspaceGraph, importsOf, type Workspace } from '../workspace-graph.js';

const workspaces: Workspace[] = [
  { dir: 'contracts', name: '@tokenization/contracts', dependsOn: [] },
  { dir: 'order-service', name: '@tokenization/order-service', dependsOn: ['@tokenization/contracts'] },
];

t.test('finds static, re-exported and dynamic imports', async (t) => {
  const text = `import a from './a.js';\nexport { b } from "../b.js";\nconst c = await import('@x/c');\nimport './side.js';`;
  t.same(importsOf(text), ['./a.js', '../b.js', '@x/c', './side.js']);
});

t.test('a relative import into another workspace is named with its file', async (t) => {
  const problems = checkWorkspaceGraph(workspaces, [
    { path: 'order-service/test/x.test.ts', text: `import { y } from '../../contracts/src/y.js';` },
  ]);
  t.same(problems, [
    "order-service/test/x.test.ts: import '../../contracts/src/y.js' reaches outside order-service/ by a relative path",
  ]);
});

t.test('a relative import within the workspace and a declared package import pass', async (t) => {
  const problems = checkWorkspaceGraph(workspaces, [
    {
      path: 'order-service/src/app.ts',
      text: `import { a } from './http/a.js';\nimport { b } from '@tokenization/contracts/problem';`,
    },
  ]);
  t.same(problems, []);
});

t.test('an undeclared workspace import is refused', async (t) => {
  const problems = checkWorkspaceGraph(workspaces, [
    { path: 'contracts/src/x.ts', text: `import { a } from '@tokenization/order-service/config';` },
  ]);
  t.same(problems, [
    "contracts/src/x.ts: import '@tokenization/order-service/config' is not declared in contracts/package.json",
  ]);
});

t.test('a dependency cycle is refused, dev dependencies included', async (t) => {
  const cyclic: Workspace[] = [
    { dir: 'a', name: '@tokenization/a', dependsOn: ['@tokenization/b'] },
    { dir: 'b', name: '@tokenization/b', dependsOn: ['@tokenization/a'] },
  ];
  t.same(checkWorkspaceGraph(cyclic, []), [
    'dependency cycle: @tokenization/a → @tokenization/b → @tokenization/a',
  ]);
});
