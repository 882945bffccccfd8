/**
 * Replaces the generated parts of a markdown document: everything between
 * `<!-- bench:<name> -->` and `<!-- /bench:<name> -->` becomes `sections[name]`. Prose outside
 * the markers is the authors'; a marker that is missing is an error, not a silent skip.
 */
export function replaceSections(markdown: string, sections: Readonly<Record<string, string>>): string {
  let out = markdown;
  for (const [name, content] of Object.entries(sections)) {
    const open = `<!-- bench:${name} -->`;
    const close = `<!-- /bench:${name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start < 0 || end < start) throw new Error(`The document has no ${open} ... ${close} section.`);
    out = `${out.slice(0, start + open.length)}\n${content.trim()}\n${out.slice(end)}`;
  }
  return out;
}

/** A markdown table. */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
): string {
  const align = headers.map((_, i) => (right.includes(i) ? '---:' : '---'));
  return [headers, align, ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
}
