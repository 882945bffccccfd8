import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * What may import what, read from the import statements of functions/**.ts and lib/**.ts:
 * - functions/ never imports lib/ (or anything else outside functions/): a function's bundle
 *   holds only code deployed to Lambda, and data from the route table travels as synthesized
 *   files or environment variables;
 * - functions/core imports no other folder of functions/: every domain builds on it;
 * - the folders of functions/ (the domains, privacy/, ops/, system/) import each other without
 *   a loop, so each can be read and changed knowing only what it imports;
 * - the local runtime (lib/local/) may use functions/core, never a domain: it emulates AWS and
 *   knows nothing of the shop;
 * - stores, models, key templates and item modules speak in domain errors: they import neither
 *   the HTTP errors (core/errors.ts) nor the HTTP stack (core/http.ts), nor values of
 *   core/auth.ts (its HTTP errors); a type from it is fine.
 */

const ROOT = path.resolve(import.meta.dirname, '..', '..');

interface Import {
  readonly from: string;
  /** Repo-relative path of the imported file, or the package name. */
  readonly to: string;
  /** A relative import: of a file of this repository. */
  readonly relative: boolean;
  readonly typeOnly: boolean;
}

const sourceFiles = (dir: string): string[] =>
  readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.posix.join(dir, file.split(path.sep).join('/')));

/** `import ... from 'x'`, `export ... from 'x'`, `import 'x'` and `import('x')`, with whether only types come. */
const IMPORT =
  /(?:^|\n)\s*(import|export)(\s+type)?\s+(?:[^;'"]*?\sfrom\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): Import[] {
  const source = readFileSync(path.join(ROOT, file), 'utf8');
  return [...source.matchAll(IMPORT)].map((match) => {
    const specifier = (match[3] ?? match[4]) as string;
    const to = specifier.startsWith('.')
      ? path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier))
      : specifier;
    return { from: file, to, relative: specifier.startsWith('.'), typeOnly: match[2] !== undefined };
  });
}

const FILES = [...sourceFiles('functions'), ...sourceFiles('lib')];
const IMPORTS = FILES.flatMap(importsOf);
const isLocal = (imported: Import) => imported.relative;

/** `functions/<folder>` of a path under functions/, else undefined. */
const folderOf = (file: string): string | undefined =>
  file.startsWith('functions/') ? file.split('/').slice(0, 2).join('/') : undefined;

const show = (imports: readonly Import[]) => imports.map((i) => `${i.from} -> ${i.to}`);

/** A loop in a directed graph (as a path that returns to its start), or undefined. */
function findCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('the import graph', () => {
  it('reads the imports it checks (the parser finds them, relative and multi-line ones included)', () => {
    const handler = IMPORTS.filter((i) => i.from === 'functions/catalog/get-product.ts').map((i) => i.to);
    expect(handler).toEqual(expect.arrayContaining(['functions/core/http.ts', 'functions/catalog/store.ts']));
    expect(IMPORTS.filter((i) => i.from.startsWith('lib/local/')).length).toBeGreaterThan(50);
  });

  it('has no import from functions/ to anything outside functions/ (lib/ above all)', () => {
    const climbing = IMPORTS.filter(
      (i) => i.from.startsWith('functions/') && isLocal(i) && !i.to.startsWith('functions/'),
    );
    expect(show(climbing)).toEqual([]);
  });

  it('has functions/core import no other folder of functions/', () => {
    const upward = IMPORTS.filter(
      (i) => i.from.startsWith('functions/core/') && isLocal(i) && !i.to.startsWith('functions/core/'),
    );
    expect(show(upward)).toEqual([]);
  });

  it('has no loop among the folders of functions/ (the domains, privacy, ops, system)', () => {
    const edges = new Map<string, Set<string>>();
    for (const i of IMPORTS) {
      const [from, to] = [folderOf(i.from), folderOf(i.to)];
      if (!from || !to || from === to) continue;
      edges.set(from, new Set([...(edges.get(from) ?? []), to]));
    }
    const cycle = findCycle(edges);
    const witnesses = (cycle ?? []).slice(1).flatMap((to, n) => {
      const from = (cycle ?? [])[n];
      return show(IMPORTS.filter((i) => folderOf(i.from) === from && folderOf(i.to) === to).slice(0, 1));
    });
    expect(witnesses, `loop: ${cycle?.join(' -> ')}`).toEqual([]);
  });

  it('has the local runtime (lib/local/) import functions/core at most, never a domain', () => {
    const shopAware = IMPORTS.filter(
      (i) =>
        i.from.startsWith('lib/local/') &&
        i.to.startsWith('functions/') &&
        !i.to.startsWith('functions/core/'),
    );
    expect(show(shopAware)).toEqual([]);
  });

  it('keeps HTTP out of the stores, models, key templates and item modules', () => {
    const dataLayer = (file: string) =>
      /^functions\/(?!core\/)[^/]+\/.*(store[^/]*|model|keys|items|fence)\.ts$/.test(file);
    const http = IMPORTS.filter(
      (i) =>
        dataLayer(i.from) &&
        (i.to === 'functions/core/errors.ts' ||
          i.to === 'functions/core/http.ts' ||
          (i.to === 'functions/core/auth.ts' && !i.typeOnly)),
    );
    expect(FILES.filter(dataLayer).length).toBeGreaterThan(20);
    expect(show(http)).toEqual([]);
  });
});
