import { readFile } from 'node:fs/promises';
import t from 'tap';
import { contracts, generatedFiles } from '../scripts/generate.js';

t.test('generated types and documents match their contracts (run `npm run generate`)', async (t) => {
  for (const name of contracts) {
    for (const [path, expected] of await generatedFiles(name)) {
      const actual = await readFile(new URL(`../${path}`, import.meta.url), 'utf8');
      t.ok(actual === expected, `${path} is fresh`);
    }
  }
});
