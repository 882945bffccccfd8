import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../lib/local/net.ts';
import { lanUrls } from '../../lib/start/settings.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** `npm start` as a user runs it (bin/local.ts on this Node), serving the run's synthesized app. */
function npmStart(args: readonly string[], env: Record<string, string>): ChildProcess {
  return spawn(
    process.execPath,
    ['bin/local.ts', '--assembly', inject('assemblyDir'), '--in-memory', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

/** Collects a stream's lines. */
function linesOf(stream: NodeJS.ReadableStream): string[] {
  const lines: string[] = [];
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  });
  stream.on('end', () => {
    if (rest) lines.push(rest);
  });
  return lines;
}

const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('npm start: ports checked before anything starts', () => {
  it('refuses a taken PORT with the variable to change, exit 2, before synthesis or DynamoDB Local', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
    const taken = (holder.address() as net.AddressInfo).port;
    try {
      const child = npmStart([], {
        PORT: String(taken),
        WS_PORT: String(await freePort()),
        S3_PORT: String(await freePort()),
      });
      const stdout = linesOf(child.stdout as NodeJS.ReadableStream);
      const stderr = linesOf(child.stderr as NodeJS.ReadableStream);
      expect(await exited(child)).toBe(2);
      expect(stderr.join('\n')).toContain(`PORT=${taken}: port ${taken} is in use by another process`);
      expect(stderr.join('\n')).toMatch(/choose another: PORT=\d+ npm start/);
      expect(stdout).toEqual([]);
    } finally {
      holder.close();
    }
  });
});

describe('npm start -- --log-format json, on every interface, with LOCAL_CORS_ORIGINS', () => {
  let child: ChildProcess;
  let stdout: string[];
  let stderr: string[];
  let stateDir: string;
  let ready: Record<string, unknown>;
  let port: number;
  const phoneOrigin = 'http://phone.test:5173';

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'shop-start-'));
    port = await freePort();
    child = npmStart(['--log-format', 'json'], {
      PORT: String(port),
      WS_PORT: String(await freePort()),
      S3_PORT: String(await freePort()),
      HOST: '0.0.0.0',
      LOCAL_CORS_ORIGINS: phoneOrigin,
      LOCAL_STATE_DIR: stateDir,
    });
    stdout = linesOf(child.stdout as NodeJS.ReadableStream);
    stderr = linesOf(child.stderr as NodeJS.ReadableStream);
    ready = await until(
      'the ready line',
      () => {
        if (child.exitCode !== null)
          throw new Error(`npm start exited ${child.exitCode}:\n${stderr.join('\n')}`);
        const line = stdout.find((l) => l.includes('"Shop API (local) ready'));
        return line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
      },
      120_000,
    );
  }, 150_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await exited(child);
    }
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('says where everything is, the addresses on the network included', () => {
    expect(ready).toMatchObject({
      level: 'INFO',
      api: `http://localhost:${port}`,
      admin: 'admin@shop.local',
    });
    expect(ready.network ?? []).toEqual(lanUrls('http', port));
  });

  it('serves the API on the network interfaces too, and allows the extra CORS origin', async () => {
    for (const base of [`http://127.0.0.1:${port}`, ...lanUrls('http', port)]) {
      const res = await fetch(`${base}/health`);
      expect(res.status, base).toBe(200);
    }
    const preflight = await fetch(`http://127.0.0.1:${port}/products`, {
      method: 'OPTIONS',
      headers: { origin: phoneOrigin, 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(phoneOrigin);
    const other = await fetch(`http://127.0.0.1:${port}/products`, {
      method: 'OPTIONS',
      headers: { origin: 'http://elsewhere.test', 'access-control-request-method': 'GET' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('writes its ports to runtime.json, which npm run sam:env reads', () => {
    const runtime = JSON.parse(readFileSync(path.join(stateDir, 'runtime.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(runtime).toMatchObject({ pid: child.pid, apiUrl: `http://localhost:${port}` });
    const samEnv = spawnSync(process.execPath, ['bin/sam-env.ts', '--host', '127.0.0.1'], {
      cwd: ROOT,
      env: { ...process.env, LOCAL_STATE_DIR: stateDir },
      encoding: 'utf8',
    });
    expect(samEnv.status, samEnv.stderr).toBe(0);
    const written = JSON.parse(readFileSync(path.join(stateDir, 'sam-env.json'), 'utf8')) as Record<
      string,
      Record<string, string>
    >;
    const endpoints = new Set(Object.values(written).map((env) => env.AWS_ENDPOINT_URL_DYNAMODB));
    expect([...endpoints]).toEqual([runtime.dynamodbEndpoint]);
  });

  it('prints nothing but JSON lines on stdout, access lines with the time and the function, until it stops', async () => {
    await fetch(`http://127.0.0.1:${port}/products?limit=1`);
    await until(
      'the access line',
      () => stdout.find((l) => l.includes('"kind":"access"') && l.includes('/products')),
      10_000,
    );
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    const parsed = stdout
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.length).toBeGreaterThan(5);
    for (const line of parsed)
      expect(typeof line.message === 'string' || '_aws' in line, JSON.stringify(line)).toBe(true);
    const access = parsed.find((l) => l.kind === 'access' && l.method === 'GET' && l.path === '/products');
    expect(access).toMatchObject({ status: 200, function: 'CatalogListProducts' });
    expect(Date.parse(String(access?.timestamp))).not.toBeNaN();
    expect(parsed.at(-1)).toMatchObject({ message: 'Stopped.' });
    expect(existsSync(path.join(stateDir, 'runtime.json'))).toBe(false);
    const samEnv = spawnSync(process.execPath, ['bin/sam-env.ts'], {
      cwd: ROOT,
      env: { ...process.env, LOCAL_STATE_DIR: stateDir },
      encoding: 'utf8',
    });
    expect(samEnv.status).toBe(2);
    expect(samEnv.stderr).toContain('Could not find a running local backend');
  });
});
