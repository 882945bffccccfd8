import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ENTRY = path.join(import.meta.dirname, '..', 'fixtures', 'source-maps', 'throws.ts');

/** Runs `code` in a fresh Node process (the hook is global; vitest's own must stay untouched). */
function runNode(code: string, env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

describe('source-mapped stack traces without --enable-source-maps', () => {
  let dir: string;
  let bundle: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shop-stack-traces-'));
    bundle = path.join(dir, 'index.mjs');
    // As the functions are built: minified ESM with a map beside it, no embedded sources.
    await build({
      entryPoints: [ENTRY],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      logLevel: 'silent',
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const stackOf = (env?: Record<string, string>) =>
    runNode(
      `const m = await import(${JSON.stringify(bundle)}); try { m.fail(); } catch (e) { console.log(JSON.stringify({ installed: m.installed, stack: e.stack })); }`,
      env,
    );

  it('names the source file and line of each frame of a bundle', () => {
    const { installed, stack } = JSON.parse(stackOf()) as { installed: boolean; stack: string };
    expect(installed).toBe(true);
    expect(stack).toMatch(/^Error: thrown on line 7\n/);
    expect(stack).toMatch(/\(.*test\/fixtures\/source-maps\/throws\.ts:7:\d+\)/);
  });

  it('leaves stacks alone when Node maps them itself', () => {
    const { installed, stack } = JSON.parse(stackOf({ NODE_OPTIONS: '--enable-source-maps' })) as {
      installed: boolean;
      stack: string;
    };
    expect(installed).toBe(false);
    expect(stack).toMatch(/throws\.ts:7/);
  });

  it('does nothing for a module without a map beside it', () => {
    const plain = path.join(dir, 'plain.mjs');
    writeFileSync(plain, 'export {};');
    const out = runNode(
      `const { installSourceMappedStacks } = await import(${JSON.stringify(path.join(import.meta.dirname, '..', '..', 'functions', 'core', 'stack-traces.ts'))}); console.log(installSourceMappedStacks(${JSON.stringify(`file://${plain}`)}));`,
    );
    expect(out.trim()).toBe('false');
  });
});
