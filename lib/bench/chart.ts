/** One bar of the cold-start chart. */
export interface ColdStartBar {
  readonly name: string;
  /** Median and 90th percentile cold import, ms. */
  readonly p50: number;
  readonly p90: number;
}

export interface FloorLine {
  readonly label: string;
  readonly ms: number;
  readonly color: string;
}

const escapeXml = (text: string): string =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );

/**
 * A horizontal bar chart as a standalone SVG: one bar per function (median cold import, a
 * whisker to the 90th percentile), with the floors as vertical lines. Bars left of the first
 * floor are drawn in one colour, bars beyond it in another, so a regression stands out.
 */
export function coldStartChart(
  title: string,
  bars: readonly ColdStartBar[],
  floors: readonly FloorLine[],
): string {
  const rowHeight = 16;
  const labelWidth = 260;
  const plotWidth = 560;
  const top = 46;
  const bottom = 34;
  const height = top + bars.length * rowHeight + bottom;
  const width = labelWidth + plotWidth + 30;
  const max = Math.max(...bars.map((b) => b.p90), ...floors.map((f) => f.ms), 1) * 1.05;
  const x = (ms: number) => labelWidth + (ms / max) * plotWidth;
  const limit = floors[0]?.ms ?? Number.POSITIVE_INFINITY;
  const tick = [5, 10, 20, 25, 50, 100, 200, 250, 500].find((step) => max / step <= 8) ?? 1000;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  floors.forEach((floor, i) => {
    parts.push(
      `<line x1="${labelWidth + 10 + i * 250}" y1="32" x2="${labelWidth + 30 + i * 250}" y2="32" stroke="${floor.color}" stroke-width="2" stroke-dasharray="4 3"/>`,
      `<text x="${labelWidth + 35 + i * 250}" y="36">${escapeXml(`${floor.label} ${floor.ms.toFixed(1)} ms`)}</text>`,
    );
  });
  for (let ms = 0; ms <= max; ms += tick) {
    parts.push(
      `<line x1="${x(ms)}" y1="${top - 4}" x2="${x(ms)}" y2="${height - bottom}" stroke="#e5e5e5"/>`,
      `<text x="${x(ms)}" y="${height - bottom + 14}" text-anchor="middle" fill="#555">${ms}</text>`,
    );
  }
  parts.push(
    `<text x="${labelWidth + plotWidth / 2}" y="${height - 6}" text-anchor="middle" fill="#555">cold import, ms (bar: median, whisker: p90)</text>`,
  );
  bars.forEach((bar, i) => {
    const y = top + i * rowHeight;
    const color = bar.p50 <= limit ? '#4a7fb5' : '#d9822b';
    parts.push(
      `<text x="${labelWidth - 6}" y="${y + 11}" text-anchor="end">${escapeXml(bar.name)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${Math.max(1, x(bar.p50) - labelWidth)}" height="${rowHeight - 6}" fill="${color}"/>`,
      `<line x1="${x(bar.p50)}" y1="${y + rowHeight / 2}" x2="${x(bar.p90)}" y2="${y + rowHeight / 2}" stroke="#333"/>`,
    );
  });
  for (const floor of floors) {
    parts.push(
      `<line x1="${x(floor.ms)}" y1="${top - 4}" x2="${x(floor.ms)}" y2="${height - bottom}" stroke="${floor.color}" stroke-width="2" stroke-dasharray="4 3"/>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
