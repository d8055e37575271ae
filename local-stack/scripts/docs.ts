// `npm run docs`: regenerates the variable tables of docs/configuration.md from the services' config
// schemas. `--check` (part of `npm run lint`) writes nothing and fails when the page is stale or when a
// relative link of README.md or docs/ points at no file or heading.
// It lives in local-stack because it imports the services' config, and only local-stack may depend on them.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema as orderSchema } from '@tokenization/order-service/config';
import { configSchema as tokenizerSchema } from '@tokenization/tokenizer-service/config';
import { withConfigTables } from './docs/configuration-tables.js';
import { brokenLinks } from './docs/relative-links.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const configurationPage = join(root, 'docs/configuration.md');

function main(check: boolean): number {
  const current = readFileSync(configurationPage, 'utf8');
  const fresh = withConfigTables(current, {
    'tokenizer-service': tokenizerSchema,
    'order-service': orderSchema,
  });
  let failed = false;
  if (fresh !== current) {
    if (check) {
      console.error('docs/configuration.md is stale: run npm run docs');
      failed = true;
    } else writeFileSync(configurationPage, fresh);
  }

  const pages = [
    join(root, 'README.md'),
    ...readdirSync(join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => join(root, 'docs', name)),
  ];
  for (const link of brokenLinks(pages, root)) {
    console.error(`${link.page}:${link.line}: ${link.problem}: ${link.target}`);
    failed = true;
  }
  return failed ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.includes('--check'));
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
