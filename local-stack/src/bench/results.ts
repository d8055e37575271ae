import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BenchReport, coldStartTable, lambdaLoopTable, markdownTable, tableRows } from './report.js';
import { type BarChart, barChartSvg } from './svg-chart.js';
import { type TargetVerdict, targetLines } from './targets.js';

/**
 * Writes `<timestamp>.json` and `latest.json` (the report, its table rows and target verdicts),
 * `latest.svg` (the chart) and `latest.md` (the tables in markdown) to `directory`; returns their paths.
 */
export async function writeResults(
  directory: string,
  report: BenchReport,
  targets: TargetVerdict[],
  chart: BarChart,
): Promise<string[]> {
  await mkdir(directory, { recursive: true });
  const stamp = report.startedAt.replaceAll(':', '-').replace(/\.\d+Z$/, 'Z');
  const json = `${JSON.stringify({ ...report, table: tableRows(report.runs), targets }, null, 2)}\n`;
  const files: [string, string][] = [
    [`${stamp}.json`, json],
    ['latest.json', json],
    ['latest.svg', barChartSvg(chart)],
    ['latest.md', markdownReport(report, targets)],
  ];
  for (const [name, content] of files) await writeFile(join(directory, name), content);
  return files.map(([name]) => join(directory, name));
}

export function markdownReport(report: BenchReport, targets: readonly TargetVerdict[]): string {
  const { machine, options } = report;
  const warmup = report.dynamoDbWarmup;
  return [
    `Measured ${report.startedAt.slice(0, 10)} on ${machine.cpus} cores (${machine.cpuModel}), Node ${machine.node}: ` +
      `${options.passes} interleaved passes of ${options.durationSeconds} s per run after ${options.warmupSeconds} s of warm-up, ` +
      `load generator on ${options.httpClient}` +
      (warmup
        ? `; DynamoDB Local warmed for ${warmup.windows.length} s first (${warmup.stable ? 'stable' : 'not stable'} at ` +
          `${warmup.windows
            .slice(-3)
            .map((rate) => Math.round(rate).toLocaleString('en-US'))
            .join(', ')} requests/s).`
        : '.'),
    '',
    '### Targets',
    '',
    ...targetLines(targets, true),
    '',
    ...(report.lambdaLoop
      ? ["### The tokenizer's Lambda bundle in process", '', lambdaLoopTable(report.lambdaLoop, true), '']
      : []),
    ...(report.coldStart ? ['### Cold start', '', coldStartTable(report.coldStart, true), ''] : []),
    '### Over HTTP, one process per service',
    '',
    markdownTable(tableRows(report.runs)),
    '',
  ].join('\n');
}

export const docsMarkers = { begin: '<!-- bench:begin -->', end: '<!-- bench:end -->' } as const;

/**
 * Writes the report into docs/performance.md between its markers (added at the end when missing) and the
 * chart to docs/performance.svg; returns their paths.
 */
export async function writeDocs(
  repositoryRoot: string,
  report: BenchReport,
  targets: TargetVerdict[],
  chart: BarChart,
): Promise<string[]> {
  const page = join(repositoryRoot, 'docs/performance.md');
  const svg = join(repositoryRoot, 'docs/performance.svg');
  const text = await readFile(page, 'utf8').catch(() => '');
  await writeFile(page, withGeneratedSection(text, markdownReport(report, targets)));
  await writeFile(svg, barChartSvg(chart));
  return [page, svg];
}

/** `page` with the text between the bench's markers replaced by `generated`. */
export function withGeneratedSection(page: string, generated: string): string {
  const block = `${docsMarkers.begin}\n${generated.trimEnd()}\n${docsMarkers.end}`;
  const begin = page.indexOf(docsMarkers.begin);
  const end = page.indexOf(docsMarkers.end);
  if (begin === -1 || end < begin) return `${page.trimEnd()}\n\n${block}\n`;
  return page.slice(0, begin) + block + page.slice(end + docsMarkers.end.length);
}
