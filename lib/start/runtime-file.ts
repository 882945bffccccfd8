import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What a running `npm start` serves, written to `.local/runtime.json` once it is ready and
 * removed when it stops, so other tools (`npm run sam:env`) use its ports instead of guessing.
 */
export interface RuntimeInfo {
  /** The `npm start` process; a file whose process is gone is stale. */
  readonly pid: number;
  readonly startedAt: string;
  readonly apiUrl: string;
  readonly webSocketUrl?: string;
  readonly dynamodbEndpoint: string;
  readonly secretsEndpoint: string;
  readonly sqsEndpoint: string;
  /** The local S3 (uploads; renditions at `<endpoint>/<renditions bucket>/<key>`). */
  readonly s3Endpoint?: string;
  /** The synthesized templates it serves. */
  readonly assemblyDir: string;
}

/**
 * Where `npm start` keeps its state (data, synthesized app, runtime.json): `.local/`, or
 * LOCAL_STATE_DIR (a test's own directory, so it never touches a developer's running backend).
 */
export const localStateDir = (projectRoot: string, env: NodeJS.ProcessEnv = process.env): string =>
  env.LOCAL_STATE_DIR ? path.resolve(env.LOCAL_STATE_DIR) : path.join(projectRoot, '.local');

export const runtimeFile = (localDir: string): string => path.join(localDir, 'runtime.json');

export function writeRuntimeInfo(localDir: string, info: RuntimeInfo): void {
  mkdirSync(localDir, { recursive: true });
  writeFileSync(runtimeFile(localDir), `${JSON.stringify(info, null, 2)}\n`);
}

/** Removes the file, if it is this process's (a second `npm start` that failed must not remove the first's). */
export function removeRuntimeInfo(localDir: string, pid = process.pid): void {
  const found = readRuntimeFile(localDir);
  if (found?.pid === pid) rmSync(runtimeFile(localDir), { force: true });
}

function readRuntimeFile(localDir: string): RuntimeInfo | undefined {
  try {
    const parsed = JSON.parse(readFileSync(runtimeFile(localDir), 'utf8')) as Partial<RuntimeInfo>;
    return typeof parsed.pid === 'number' && typeof parsed.dynamodbEndpoint === 'string'
      ? (parsed as RuntimeInfo)
      : undefined;
  } catch {
    return undefined;
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The running backend's ports and endpoints, or why there is none. */
export function readRuntimeInfo(
  localDir: string,
): { readonly ok: true; readonly info: RuntimeInfo } | { readonly ok: false; readonly reason: string } {
  const info = readRuntimeFile(localDir);
  if (!info) return { ok: false, reason: `no ${path.relative(process.cwd(), runtimeFile(localDir))}` };
  if (!alive(info.pid)) {
    return { ok: false, reason: `the backend that wrote ${runtimeFile(localDir)} (pid ${info.pid}) is gone` };
  }
  return { ok: true, info };
}
