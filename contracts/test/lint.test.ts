// Both contracts lint clean with Redocly (recommended-strict, contracts/redocly.yaml): no error and no
// warning. Problems ignored on purpose are listed, each with its reason, in .redocly.lint-ignore.yaml.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const contractsDir = fileURLToPath(new URL('../', import.meta.url));
const redocly = fileURLToPath(new URL('../../node_modules/.bin/redocly', import.meta.url));

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; message: string; location?: { pointer?: string }[] }[];
}

for (const spec of ['tokenizer.openapi.yaml', 'order.openapi.yaml']) {
  t.test(`${spec} lints clean`, async (t) => {
    const { stdout } = await run(redocly, ['lint', '--format=json', spec], {
      cwd: contractsDir,
      env: {
        ...process.env,
        REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
        REDOCLY_TELEMETRY: 'off',
        NO_COLOR: '1',
      },
    }).catch((error: { stdout?: string; code?: number }) => {
      t.fail(`redocly lint exited with ${error.code}`);
      return { stdout: error.stdout ?? '' };
    });
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as LintReport;
    const problems = report.problems.map(
      (problem) => `${problem.ruleId}: ${problem.message} (${problem.location?.[0]?.pointer ?? ''})`,
    );
    t.same(problems, [], 'no problems');
    t.equal(report.totals.errors, 0, 'no errors');
    t.equal(report.totals.warnings, 0, 'no warnings');
  });
}
