import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../../lib/local/net.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const HANDLER = 'functions/accounts/get-openid-configuration.ts';
const ROUTE = '/.well-known/openid-configuration';

/**
 * A checkout of its own for `npm start` to serve and watch: the sources copied, node_modules
 * linked. Edits in a test go there, never into the repository's files.
 */
function scratchCheckout(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shop-watch-'));
  for (const part of ['bin', 'lib', 'functions', 'docs', 'package.json', 'cdk.json', 'tsconfig.json'])
    cpSync(path.join(ROOT, part), path.join(dir, part), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/** `npm start` of a checkout, serving the run's synthesized app, with its output lines collected. */
class NpmStart {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly url: string;

  constructor(checkout: string, port: number, webSocketPort: number, args: readonly string[]) {
    this.url = `http://localhost:${port}`;
    this.child = spawn(
      process.execPath,
      [path.join(checkout, 'bin', 'local.ts'), '--assembly', inject('assemblyDir'), '--in-memory', ...args],
      {
        cwd: checkout,
        env: {
          ...process.env,
          NO_COLOR: '1',
          PORT: String(port),
          WS_PORT: String(webSocketPort),
          LOCAL_STATE_DIR: path.join(checkout, '.local'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let rest = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        this.lines.push(...parts);
      });
    }
  }

  /** Waits until a line matching `pattern` has been printed (from index `from` on); answers it. */
  async line(pattern: RegExp, timeoutMs: number, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find((line) => pattern.test(line));
      if (found) return found;
      if (this.child.exitCode !== null) throw new Error(`npm start exited:\n${this.lines.join('\n')}`);
      if (Date.now() > deadline)
        throw new Error(`No line like ${pattern} within ${timeoutMs} ms:\n${this.lines.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

const configuration = async (url: string) =>
  (await (await fetch(`${url}${ROUTE}`)).json()) as Record<string, unknown>;

/** Edits the scratch checkout's handler: `marker` becomes one more field of its answer. */
function editHandler(checkout: string, edit: (source: string) => string): void {
  const file = path.join(checkout, HANDLER);
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
}
const withMarker = (marker: string) => (source: string) =>
  source.replace(/issuer,\n/, `issuer,\n      marker: '${marker}',\n`);

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('Timed out');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * `npm start` with `args` in a scratch checkout of its own, up before the describe's tests and
 * stopped (its checkout removed) after them.
 */
function useScratchStart(args: readonly string[]): { checkout: string; start: NpmStart } {
  const run = {} as { checkout: string; start: NpmStart };
  beforeAll(async () => {
    run.checkout = scratchCheckout();
    run.start = new NpmStart(run.checkout, await freePort(), await freePort(), args);
    await run.start.line(/Press Ctrl\+C to stop/, 150_000);
  }, 180_000);
  afterAll(async () => {
    await run.start?.stop();
    if (run.checkout) rmSync(run.checkout, { recursive: true, force: true });
  });
  return run;
}

describe('npm start watches the sources: a saved handler is served without a restart', () => {
  const run = useScratchStart([]);

  it('says it watches, and serves the edited handler, reloading only its function', async () => {
    expect(run.start.lines.join('\n')).toContain('Watching functions/, lib/api/ and lib/config/');
    // Another function warm before the edit: it must stay warm.
    expect((await fetch(`${run.start.url}/.well-known/jwks.json`)).status).toBe(200);
    expect(await configuration(run.start.url)).not.toHaveProperty('marker');
    const from = run.start.lines.length;
    editHandler(run.checkout, withMarker('first edit'));
    const reload = await run.start.line(/↻ Reloaded/, 60_000, from);
    expect(reload).toMatch(
      /Reloaded AccountsGetOpenidConfiguration in \d+ ms \(functions\/accounts\/get-openid-configuration\.ts\)/,
    );
    expect(await configuration(run.start.url)).toMatchObject({ marker: 'first edit' });
    const jwks = run.start.lines.length;
    expect((await fetch(`${run.start.url}/.well-known/jwks.json`)).status).toBe(200);
    const access = await run.start.line(/GET \/\.well-known\/jwks\.json -> 200/, 10_000, jwks);
    expect(access).not.toContain('cold');
  }, 90_000);

  it("reports a broken edit with esbuild's message and keeps serving the previous code", async () => {
    const from = run.start.lines.length;
    editHandler(run.checkout, (source) => source.replace("marker: 'first edit',", "marker: 'broken' +,"));
    await run.start.line(
      /↻ The build failed after a change to functions\/accounts\/get-openid-configuration\.ts; still serving the previous code/,
      60_000,
      from,
    );
    await run.start.line(/get-openid-configuration\.ts:\d+:\d+: ERROR/, 5_000, from);
    expect(await configuration(run.start.url)).toMatchObject({ marker: 'first edit' });
    // Fixed again: served again.
    editHandler(run.checkout, (source) => source.replace("marker: 'broken' +,", "marker: 'fixed',"));
    await until(
      async () => ((await configuration(run.start.url)).marker === 'fixed' ? true : undefined),
      60_000,
    );
  }, 150_000);
});

describe('npm start -- --no-watch', () => {
  const run = useScratchStart(['--no-watch']);

  it('serves the code it started with after an edit, and prints no reload', async () => {
    expect(run.start.lines.join('\n')).not.toContain('Watching');
    editHandler(run.checkout, withMarker('unwatched'));
    // Longer than a watched reload takes on this machine.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    expect(await configuration(run.start.url)).not.toHaveProperty('marker');
    expect(run.start.lines.join('\n')).not.toContain('↻');
  }, 30_000);
});
