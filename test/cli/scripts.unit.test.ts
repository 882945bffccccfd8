import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const scripts = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

/** Every `npm run` script that runs one of our entry points: `node bin/<x>.ts`. */
const entryPoints = Object.entries(scripts).flatMap(([name, command]) => {
  const match = /^node (bin\/[\w-]+\.ts)$/.exec(command);
  return match?.[1] ? [{ name, file: match[1] }] : [];
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs an entry point as npm would (from the root, on this Node), with nothing that could reach a backend. */
function run(file: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A stack trace's frames (`    at main (file.ts:1:2)`). */
const STACK_FRAME = /^\s+at .+(\(|:\d+:\d+)/m;

describe('every npm run script that runs an entry point', () => {
  it('is found in package.json (the list below is not empty)', () => {
    expect(entryPoints.map((e) => e.name)).toEqual(
      expect.arrayContaining([
        'start',
        'invoke',
        'bench',
        'load',
        'fuzz',
        'events',
        'sam:env',
        'chat',
        'audit:prod',
      ]),
    );
  });

  // Each case is a process of its own that mostly waits for Node to start: they run side by side.
  it.concurrent.for(entryPoints)(
    '$name answers --help with its usage and options, and exits 0',
    async ({ name, file }, { expect }) => {
      const { code, stdout, stderr } = await run(file, ['--help']);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      const command = name === 'start' ? 'npm start' : `npm run ${name}`;
      expect(stdout.startsWith(`Usage: ${command}`)).toBe(true);
      expect(stdout).toContain('--help');
    },
  );

  it.concurrent.for(entryPoints)(
    '$name refuses an unknown option with one line saying so and the usage, exit 2, no stack trace',
    async ({ name, file }, { expect }) => {
      const { code, stdout, stderr } = await run(file, ['--no-such-option']);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      const [first, second] = stderr.split('\n');
      expect(first).toContain("Unknown option '--no-such-option'");
      expect(second).toMatch(new RegExp(`^Usage: npm (start|run ${name.replace(':', '\\:')})`));
      expect(stderr).not.toMatch(STACK_FRAME);
    },
  );
});

describe('npm run fuzz -- --url', () => {
  it('says it writes and deletes data there and exits 2 without --yes', async () => {
    const { code, stderr } = await run('bin/fuzz.ts', ['--url', 'http://127.0.0.1:9', '--runs', '1']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/registers accounts.*deletes products and accounts there\. Add --yes/s);
    expect(stderr).not.toMatch(STACK_FRAME);
  });
});
