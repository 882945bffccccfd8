export type Align = 'left' | 'right';

export interface Column {
  readonly header: string;
  readonly align?: Align;
}

/** A plain-text table: a header, a rule, and rows padded to the widest cell of each column. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? '';
        const width = widths[i] ?? 0;
        return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((row) => line(row)),
  ].join('\n');
}

export const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : '-');
export const kb = (bytes: number): string => (bytes / 1024).toFixed(1);
export const ratio = (value: number, floor: number): string =>
  Number.isFinite(value / floor) && floor > 0 ? `${(value / floor).toFixed(2)}x` : '-';
export const percent = (value: number): string => `${(value * 100).toFixed(0)}%`;
/** Seconds since `since` (a `performance.now()`), for progress lines. */
export const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;
