/**
 * Builds what `npm pack -w client` ships (run by `prepack`): dist/ with ESM JavaScript and
 * .d.ts files, compiled by this workspace's TypeScript 5 from src/. The sources import with
 * `.ts` extensions (Node runs them as they are in this repository); TypeScript rewrites those in
 * the JavaScript, and this script in the declarations, so another project resolves `.js` files.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const build = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);

let rewritten = 0;
for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.d.ts')) continue;
  const full = path.join(dist, file);
  const text = readFileSync(full, 'utf8');
  const fixed = text.replace(/(from\s+['"]\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1.js$2');
  if (fixed !== text) {
    writeFileSync(full, fixed);
    rewritten++;
  }
}
console.log(`client/dist: built from src/ (${rewritten} declaration file(s) pointed at .js)`);
