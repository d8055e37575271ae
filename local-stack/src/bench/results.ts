import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BenchReport, coldStartTable, markdownTable, tableRows } from './report.js';
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
  return [
    `Measured ${report.startedAt.slice(0, 10)} on ${machine.cpus} cores (${machine.cpuModel}), Node ${machine.node}: ` +
      `${options.durationSeconds} s per run after ${options.warmupSeconds} s of warm-up.`,
    '',
    markdownTable(tableRows(report.runs)),
    '',
    ...(report.coldStart ? [coldStartTable(report.coldStart, true), ''] : []),
    ...targetLines(targets, true),
    '',
  ].join('\n');
}
