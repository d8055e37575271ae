// The supported Node.js versions (root `engines`) hold for the machines that run this code: the
// developer's and CI's Node, and the Lambda runtime the bundles target. A run-time dependency that asks
// for more is named here with the reason it still works, so a new one fails until someone looks at it.
import { readFileSync } from 'node:fs';
import { lambdaBundling } from '@tokenization/infra/lambda-bundling';
import semver from 'semver';
import t from 'tap';

const root = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, { dev?: boolean; engines?: { node?: string } }>;
};
const supported = root.engines.node;
const oldest = semver.minVersion(supported)?.version ?? '';

/** Packages whose `engines` leave out the oldest supported Node, and why that is harmless. */
const acknowledged: Record<string, string> = {
  'node_modules/cookie':
    'cookie@2 declares >=22 but uses nothing newer than Node 20.19 (light-my-request, inject only); ' +
    'every test exercises it on Node 20',
  'node_modules/@fastify/static/node_modules/content-disposition':
    'content-disposition@3 declares >=22; only the local API docs (swagger-ui) serve files, never a Lambda',
};

t.test('the running Node (developer and CI) is a supported version', async (t) => {
  t.ok(semver.satisfies(process.versions.node, supported), `${process.versions.node} in ${supported}`);
});

t.test('the Lambda runtime the bundles target is a supported version', async (t) => {
  const major = Number(lambdaBundling.target.replace('node', ''));
  t.ok(semver.satisfies(`${major}.12.0`, supported), `node${major} in ${supported}`);
});

t.test('every run-time dependency runs on the oldest supported Node, or says why not', async (t) => {
  const asksForMore = Object.entries(lock.packages)
    .filter(([path, pkg]) => path !== '' && !pkg.dev && pkg.engines?.node)
    .filter(([, pkg]) => !semver.satisfies(oldest, pkg.engines?.node ?? '*'))
    .map(([path]) => path)
    .sort();
  t.same(asksForMore, Object.keys(acknowledged).sort(), `each needs a reason to run on ${oldest}`);
});
