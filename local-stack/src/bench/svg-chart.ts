// A grouped bar chart as a self-contained SVG: no library, no fonts to load, readable on GitHub.

export interface BarGroup {
  /** Shown under the group; `\n` splits it into lines. */
  label: string;
  /** Values by series name; a missing series leaves a gap. */
  values: Record<string, number>;
  /** Index in `tones`: the colors of this group's bars (default 0). */
  tone?: number;
}

export interface BarChart {
  title: string;
  subtitle?: string;
  yLabel: string;
  /** The bars of each group, in order (e.g. one per concurrency). */
  series: string[];
  /** Kinds of group, each with a color per series (light to dark) and a legend name. */
  tones: { name: string; colors: string[] }[];
  groups: BarGroup[];
}

const height = 460;
const margin = { top: 96, right: 48, bottom: 64, left: 72 };
const barWidth = 14;
const groupGap = 30;

/** Bars on a log scale (values from ~1 to ~100,000 share one chart), one color per series. */
export function barChartSvg(chart: BarChart): string {
  const groupWidth = chart.series.length * barWidth + groupGap;
  const plotWidth = Math.max(400, chart.groups.length * groupWidth);
  const width = margin.left + plotWidth + margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const values = chart.groups.flatMap((group) => Object.values(group.values)).filter((value) => value > 0);
  const low = 10 ** Math.floor(Math.log10(Math.min(...values, 10)));
  const high = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const y = (value: number) =>
    margin.top +
    plotHeight * (1 - (Math.log10(Math.max(value, low)) - Math.log10(low)) / Math.log10(high / low));

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" role="img">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin.left}" y="24" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
  );
  if (chart.subtitle)
    parts.push(`<text x="${margin.left}" y="42" fill="#555">${escapeXml(chart.subtitle)}</text>`);

  // Grid lines and labels at each power of ten.
  for (let tick = low; tick <= high; tick *= 10) {
    const ty = y(tick).toFixed(1);
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${ty}" y2="${ty}" stroke="#ddd"/>`,
      `<text x="${margin.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${tick.toLocaleString('en-US')}</text>`,
    );
  }
  const midY = margin.top + plotHeight / 2;
  parts.push(
    `<text transform="translate(16 ${midY}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`,
  );

  chart.groups.forEach((group, index) => {
    const x0 = margin.left + index * groupWidth + groupGap / 2;
    const colors = chart.tones[group.tone ?? 0]?.colors ?? [];
    chart.series.forEach((series, s) => {
      const value = group.values[series];
      if (value === undefined || !(value > 0)) return;
      const top = y(value);
      parts.push(
        `<rect x="${x0 + s * barWidth}" y="${top.toFixed(1)}" width="${barWidth - 1}" height="${(margin.top + plotHeight - top).toFixed(1)}" fill="${colors[s] ?? '#888'}"><title>${escapeXml(`${group.label.replaceAll('\n', ' ')}, ${series}: ${Math.round(value).toLocaleString('en-US')}`)}</title></rect>`,
      );
    });
    const cx = x0 + (chart.series.length * barWidth) / 2;
    group.label.split('\n').forEach((line, i) => {
      parts.push(
        `<text x="${cx.toFixed(1)}" y="${margin.top + plotHeight + 14 + i * 12}" text-anchor="middle">${escapeXml(line)}</text>`,
      );
    });
  });
  parts.push(
    `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${margin.top + plotHeight}" y2="${margin.top + plotHeight}" stroke="#333"/>`,
  );

  // Legend: a swatch per series in each tone, the tone's name after it.
  chart.tones.forEach((tone, row) => {
    const ly = 54 + row * 14;
    tone.colors.slice(0, chart.series.length).forEach((color, s) => {
      parts.push(`<rect x="${margin.left + s * 12}" y="${ly}" width="10" height="10" fill="${color}"/>`);
    });
    parts.push(
      `<text x="${margin.left + chart.series.length * 12 + 6}" y="${ly + 9}">${escapeXml(tone.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}
