import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  beginMarker,
  type ConfigSchema,
  endMarker,
  renderConfigTable,
  withConfigTables,
} from '../scripts/docs/configuration-tables.js';
import { brokenLinks, headingAnchors } from '../scripts/docs/relative-links.js';

const schema: ConfigSchema = {
  required: ['TABLE'],
  properties: {
    TABLE: { type: 'string', pattern: '^(a|b)$', description: 'The table.' },
    LEVEL: { type: 'string', enum: ['info', 'debug'], default: 'info', description: 'Log level.' },
    TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 30_000, default: 2_000, description: 'A | B.' },
    ENDPOINT: { type: 'string', minLength: 1, description: 'Local only.' },
  },
};

t.test('each variable gets its default, allowed values and description, in the schema order', async (t) => {
  const rows = renderConfigTable(schema)
    .split('\n')
    .slice(2)
    .map((row) => row.split(/(?<!\\)\|/).map((cell) => cell.trim()));
  t.same(
    rows.map((cells) => cells.slice(1, 5)),
    [
      ['`TABLE`', 'required', '`^(a\\|b)$`', 'The table.'],
      ['`LEVEL`', '`info`', '`info`, `debug`', 'Log level.'],
      ['`TIMEOUT_MS`', '`2000`', 'integer 100–30,000', 'A \\| B.'],
      ['`ENDPOINT`', 'unset', 'non-empty string', 'Local only.'],
    ],
  );
});

t.test('a variable without a description stops the generator, naming it', async (t) => {
  t.throws(() => renderConfigTable({ properties: { NEW_LIMIT: { type: 'integer', default: 1 } } }), {
    message: /NEW_LIMIT has no description/,
  });
});

t.test(
  'a stale table is replaced and the text around it kept; a page without the table is refused',
  async (t) => {
    const page = `# Config\n\nBefore.\n\n${beginMarker('svc')}\n\n| old |\n\n${endMarker}\n\nAfter.\n`;
    const fresh = withConfigTables(page, { svc: schema });
    t.not(fresh, page);
    t.match(fresh, /^# Config\n\nBefore\.\n\n/);
    t.match(fresh, /`TIMEOUT_MS`/);
    t.notMatch(fresh, /\| old \|/);
    t.match(fresh, /After\.\n$/);
    t.equal(withConfigTables(fresh, { svc: schema }), fresh, 'a fresh page is left as it is');
    t.throws(() => withConfigTables('# Config\n', { svc: schema }), {
      message: /no generated table for svc/,
    });
  },
);

t.test('headings get GitHub anchors; a heading inside a code block is none', async (t) => {
  const anchors = headingAnchors(
    "# The sample's walkthrough\n## Order `service`\n## Order service\n```sh\n# npm test\n```\n",
  );
  t.same([...anchors], ['the-samples-walkthrough', 'order-service', 'order-service-1']);
});

t.test('a link to a missing file or heading is reported with its line; working links are not', async (t) => {
  const root = t.testdir();
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'docs/a.md'), '# A\n\n## Known and accepted\n');
  writeFileSync(
    join(root, 'README.md'),
    [
      '[a](docs/a.md) [known](docs/a.md#known-and-accepted) [web](https://example.com/x.md)',
      '[gone](docs/gone.md)',
      '[no heading](docs/a.md#nowhere)',
      '`[code span](docs/nothing.md)`',
      '```',
      '[in a block](docs/nothing.md)',
      '```',
      '[self](#a-heading-here)',
    ].join('\n'),
  );
  t.same(
    brokenLinks([join(root, 'README.md'), join(root, 'docs/a.md')], root).map((link) => [
      link.page,
      link.line,
      link.problem,
    ]),
    [
      ['README.md', 2, 'no such file'],
      ['README.md', 3, 'no such heading'],
      ['README.md', 8, 'no such heading'],
    ],
  );
});
