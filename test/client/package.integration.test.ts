import { execFile, type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Runs a command; fails with its output when it does not exit 0. */
function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

/** The JSON `npm pack --json` prints, after whatever its prepack script printed. */
const packJson = <T>(stdout: string): T => JSON.parse(stdout.slice(stdout.search(/^\[/m))) as T;

/** The client's runtime dependencies and theirs, as installed in the repository. */
function dependencyDirs(packageDir: string, seen = new Set<string>()): string[] {
  const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    const dir = path.join(ROOT, 'node_modules', name);
    if (seen.has(dir)) continue;
    seen.add(dir);
    dependencyDirs(dir, seen);
  }
  return [...seen];
}

/** What another repository writes against the package: calls, types, and two mistakes the types must catch. */
const consumer = (
  apiUrl: string,
) => `import { createShopClient, type Product, type ShopClient } from '@shop/client';

const shop: ShopClient = createShopClient({ baseUrl: '${apiUrl}' });
const { data, response } = await shop.api.GET('/products', { params: { query: { limit: 3 } } });
const items: Product[] = data?.items ?? [];
console.log(JSON.stringify({ status: response.status, items: items.length, signedIn: shop.tokens !== undefined }));

export function mistakes(): void {
  // @ts-expect-error: the types know every path, and this one is not one of them.
  void shop.api.GET('/no-such-path');
  // @ts-expect-error: limit is a number.
  void shop.api.GET('/products', { params: { query: { limit: 'three' } } });
}
`;

describe('the typed client as another repository gets it (npm pack -w client)', () => {
  let work: string;
  let app: string;
  let tarball: string;
  let files: string[];
  /** Requests the API stand-in received. */
  const seen: string[] = [];
  const api = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ items: [], nextCursor: null }));
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', () => resolve()));
    work = mkdtempSync(path.join(tmpdir(), 'shop-client-pack-'));
    // prepack builds dist/ (compiled ESM and .d.ts) first.
    const packed = packJson<{ filename: string; files: { path: string }[] }[]>(
      run('npm', ['pack', '-w', 'client', '--pack-destination', work, '--json'], ROOT).stdout,
    );
    tarball = path.join(work, packed[0]?.filename ?? '');
    files = (packed[0]?.files ?? []).map((file) => file.path).sort();
    // Its dependencies as tarballs of the copies this repository installed: the install below
    // needs no registry at all.
    const dependencies = JSON.parse(
      run(
        'npm',
        ['pack', ...dependencyDirs(path.join(ROOT, 'client')), '--pack-destination', work, '--json'],
        work,
      ).stdout,
    ) as { name: string; filename: string }[];
    app = path.join(work, 'app');
    mkdirSync(app);
    writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: {
          '@shop/client': `file:${tarball}`,
          ...Object.fromEntries(dependencies.map((d) => [d.name, `file:${path.join(work, d.filename)}`])),
        },
      }),
    );
    writeFileSync(
      path.join(app, 'consumer.ts'),
      consumer(`http://127.0.0.1:${(api.address() as AddressInfo).port}`),
    );
    writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          lib: ['es2022', 'dom'],
          types: [],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
        },
        files: ['consumer.ts'],
      }),
    );
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);
  }, 180_000);

  afterAll(() => {
    api.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs compiled ESM and its declarations, the README and nothing of the sources', () => {
    expect(files).toEqual([
      'README.md',
      'dist/generated/openapi.d.ts',
      'dist/generated/openapi.js',
      'dist/index.d.ts',
      'dist/index.js',
      'package.json',
    ]);
    const manifest = JSON.parse(
      readFileSync(path.join(app, 'node_modules/@shop/client/package.json'), 'utf8'),
    );
    expect(manifest.exports).toEqual({ '.': { types: './dist/index.d.ts', default: './dist/index.js' } });
  });

  it('type-checks a consumer against it with tsc, mistakes caught', () => {
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app], {
      encoding: 'utf8',
    });
    expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('runs in Node 24 from node_modules, calling an API', async () => {
    // Asynchronously: the API stand-in answers from this process.
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['consumer.ts'], { cwd: app });
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({ status: 200, items: 0, signedIn: false });
    expect(seen).toEqual(['GET /products?limit=3']);
  });
});
