import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

// Stack traces that name our source files, paid for only when an error's stack is rendered.
//
// `NODE_OPTIONS=--enable-source-maps` makes Node read and parse a bundle's source map while it
// loads the bundle: about a fifth of a function's cold import (npm run bench measures it). So
// the functions run without it, their bundles keep `index.mjs.map` next to them, and this hook
// maps a stack's frames through that file the first time a stack is rendered (V8 formats
// `error.stack` lazily, on first access): a 4xx never pays for it, a 500 pays once per instance.

const maps = new Map<string, SourceMap | null>();

function sourceMapOf(fileName: string): SourceMap | null {
  let map = maps.get(fileName);
  if (map === undefined) {
    try {
      const file = fileName.startsWith('file:') ? fileURLToPath(fileName) : fileName;
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(fileName, map);
  }
  return map;
}

/** One frame as V8 prints it, with the source position when the bundle's map knows it. */
function describeFrame(site: NodeJS.CallSite): string {
  const fileName = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  const map = fileName && line !== null && column !== null ? sourceMapOf(fileName) : null;
  const entry = map?.findEntry((line as number) - 1, (column as number) - 1);
  if (!map || !entry || !('originalSource' in entry)) return site.toString();
  // The name is the bundle's (minified); the position is the source's.
  const name = site.getFunctionName() ?? '<anonymous>';
  const where = `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  return `${site.isAsync() ? 'async ' : ''}${name} (${where})`;
}

function errorHeader(error: Error): string {
  try {
    return String(error);
  } catch {
    return 'Error';
  }
}

/**
 * Installs the lazy source-mapped stack traces, once, when this code runs from a bundle with
 * a source map beside it and Node's own source-map support is off. Unbundled code (tests)
 * keeps whatever its runner installed.
 */
export function installSourceMappedStacks(moduleUrl: string = import.meta.url): boolean {
  if (process.sourceMapsEnabled || !moduleUrl.startsWith('file:')) return false;
  if (!existsSync(`${fileURLToPath(moduleUrl)}.map`)) return false;
  Error.prepareStackTrace = (error, sites) =>
    `${errorHeader(error)}${sites.map((site) => `\n    at ${describeFrame(site)}`).join('')}`;
  return true;
}
