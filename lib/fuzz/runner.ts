import { randomUUID } from 'node:crypto';
import http from 'node:http';
import fc from 'fast-check';
import { type ContractDocument, createContract } from '../api/contract.ts';
import { type FuzzResponse, judge } from './oracle.ts';
import {
  exampleRequest,
  type FuzzDocument,
  type FuzzOperation,
  type FuzzRequest,
  type Identities,
  operationsOf,
  requestArbitrary,
} from './requests.ts';
import type { ValuePool } from './schema.ts';

export interface FuzzOptions {
  /** The API to fuzz (`http://localhost:<port>`). */
  readonly baseUrl: string;
  /** An admin account of that API (the local backend seeds one). */
  readonly admin: { readonly email: string; readonly password: string };
  /** How many generated requests (spread evenly over every operation). */
  readonly runs: number;
  readonly seed: number;
  readonly concurrency: number;
  /** Send only this request index (a replay); the block it belongs to is primed first. */
  readonly only?: number;
  /** Called with a progress line now and then. */
  readonly progress?: (line: string) => void;
  /** Stop after this many failures (default: never; all are collected). */
  readonly maxFailures?: number;
  /** Per-request timeout in ms (default 30 s, past every function's timeout). */
  readonly timeoutMs?: number;
}

export interface FuzzFailure {
  readonly index: number;
  readonly seed: number;
  readonly request: FuzzRequest;
  readonly url: string;
  readonly response: FuzzResponse;
  readonly problems: readonly string[];
}

export interface FuzzReport {
  readonly seed: number;
  readonly requests: number;
  readonly durationMs: number;
  /** Generated requests per operation (by the operation they were generated for). */
  readonly perOperation: Record<string, { requests: number; statuses: Record<string, number> }>;
  readonly statuses: Record<string, number>;
  readonly failures: readonly FuzzFailure[];
  readonly operations: number;
}

/** Requests per block: each block gets fresh users and a fresh priming, so a `DELETE /me` early on does not leave the rest signed in as nobody. */
export const BLOCK_SIZE = 1000;

/** Mixes the run's seed and a request index into the seed of that request (replayable alone). */
export const requestSeed = (seed: number, index: number): number =>
  (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) | 0;

/** Sends one request exactly as generated: raw path, repeated headers, any body. */
export function send(
  baseUrl: string,
  request: FuzzRequest,
  timeoutMs: number,
  agent?: http.Agent,
): Promise<FuzzResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of request.headers) {
      const existing = headers[name];
      headers[name] =
        existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    if (request.body) headers['content-length'] = String(request.body.length);
    let req: http.ClientRequest;
    try {
      req = http.request({
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        headers,
        agent,
        timeout: timeoutMs,
      });
    } catch (error) {
      resolve({
        status: 0,
        contentType: '',
        text: '',
        error: `the client refused to send it: ${String(error)}`,
      });
      return;
    }
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', (error) => resolve({ status: 0, contentType: '', text: '', error: String(error) }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ status: 0, contentType: '', text: '', error: error.message }));
    req.end(request.body);
  });
}

async function sendJson(baseUrl: string, method: string, path: string, body?: unknown, token?: string) {
  const response = await send(
    baseUrl,
    {
      operationId: 'setup',
      method,
      path,
      headers: [
        ...(body ? ([['content-type', 'application/json']] as const) : []),
        ...(token ? ([['authorization', `Bearer ${token}`]] as const) : []),
      ],
      ...(body ? { body: Buffer.from(JSON.stringify(body)) } : {}),
      notes: [],
    },
    30_000,
  );
  if (response.status >= 300)
    throw new Error(`${method} ${path} answered ${response.status}: ${response.text.slice(0, 300)}`);
  return JSON.parse(response.text) as Record<string, unknown>;
}

/**
 * Two fresh customers and the admin, signed in; their sessions go to the pool (user ids,
 * refresh tokens). Should the admin's sign-in fail, the last admin token is kept.
 */
async function signIn(
  options: FuzzOptions,
  label: string,
  previousAdmin?: string,
): Promise<{ identities: Identities; sessions: Record<string, unknown>[] }> {
  const register = (role: string) =>
    sendJson(options.baseUrl, 'POST', '/auth/register', {
      email: `fuzz-${role}-${label}-${randomUUID().slice(0, 8)}@fuzz.example.com`,
      password: `fuzz password ${randomUUID()}`,
      displayName: `Fuzz ${role}`,
    });
  const [user, other, admin] = await Promise.all([
    register('user'),
    register('other'),
    sendJson(options.baseUrl, 'POST', '/auth/login', options.admin).then(
      (session) => String(session.accessToken),
      (error: unknown) => {
        if (previousAdmin) return previousAdmin;
        throw error;
      },
    ),
  ]);
  return {
    identities: { user: String(user.accessToken), other: String(other.accessToken), admin },
    // The other customer's first: a `participantId` or `userId` from the pool is someone else.
    sessions: [other, user],
  };
}

/** Remembers string values of an answer by property name; an `id` also as `<thing>Id` of the path that returned it. */
function harvest(pool: Map<string, string[]>, op: FuzzOperation, text: string): void {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return;
  }
  const params = [...op.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
  const literal =
    op.template
      .split('/')
      .filter((s) => s && !s.startsWith('{'))
      .pop() ?? '';
  const idName = params.at(-1) ?? `${literal === 'me' ? 'user' : literal.replace(/s$/, '')}Id`;
  const remember = (name: string, value: string) => {
    const values = pool.get(name) ?? [];
    if (!values.includes(value) && values.length < 50 && value.length <= 1024) values.push(value);
    pool.set(name, values);
  };
  const walk = (value: unknown, depth: number) => {
    if (depth > 6 || value === null || typeof value !== 'object') return;
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === 'string') {
        remember(key, item);
        if (key === 'id' && depth <= 2) remember(idName, item);
        // A listing's cursor is only valid for that listing.
        if (key === 'nextCursor') remember(`cursor:${op.template}`, item);
      } else walk(item, depth + 1);
    }
  };
  walk(body, 0);
}

/** Fresh identities, then every operation's documented example (DELETEs aside), harvesting ids. */
async function prime(
  options: FuzzOptions,
  operations: readonly FuzzOperation[],
  block: number,
  previousAdmin?: string,
) {
  const { identities, sessions } = await signIn(options, `${options.seed}-${block}`, previousAdmin);
  const pool = new Map<string, string[]>();
  const account = operations.find((op) => op.template === '/me') ?? { template: '/me' };
  for (const session of sessions) harvest(pool, account as FuzzOperation, JSON.stringify(session));
  for (const op of operations) {
    if (op.method === 'DELETE') continue;
    const request = exampleRequest(op, pool, identities);
    const response = await send(options.baseUrl, request, options.timeoutMs ?? 30_000);
    if (response.status < 300) harvest(pool, op, response.text);
  }
  return { identities, pool: pool as ValuePool };
}

/**
 * Fuzzes an API from its own `/openapi.json`: requests generated from the schemas, spread
 * evenly over every operation, each judged by the oracle (`judge`). Request `i` of seed `s`
 * is generated from `requestSeed(s, i)` alone, so `--seed s --only i` regenerates it.
 */
export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const docResponse = await send(
    options.baseUrl,
    { operationId: 'setup', method: 'GET', path: '/openapi.json', headers: [], notes: [] },
    timeoutMs,
  );
  if (docResponse.status !== 200) throw new Error(`GET /openapi.json answered ${docResponse.status}.`);
  const document = JSON.parse(docResponse.text) as FuzzDocument & ContractDocument;
  const contract = createContract(document);
  const operations = operationsOf(document);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });

  const perOperation: FuzzReport['perOperation'] = {};
  const statuses: Record<string, number> = {};
  const failures: FuzzFailure[] = [];
  const indices =
    options.only !== undefined ? [options.only] : Array.from({ length: options.runs }, (_, i) => i);
  let done = 0;
  let lastProgress = 0;

  const blocks = new Map<number, number[]>();
  for (const index of indices) {
    const block = Math.floor(index / BLOCK_SIZE);
    blocks.set(block, [...(blocks.get(block) ?? []), index]);
  }
  let admin: string | undefined;
  for (const [block, blockIndices] of blocks) {
    const { identities, pool } = await prime(options, operations, block, admin);
    admin = identities.admin;
    const arbitraries = new Map<string, fc.Arbitrary<FuzzRequest>>();
    const next = blockIndices[Symbol.iterator]();
    const worker = async () => {
      for (let step = next.next(); !step.done; step = next.next()) {
        if (options.maxFailures !== undefined && failures.length >= options.maxFailures) return;
        const index = step.value;
        const op = operations[index % operations.length] as FuzzOperation;
        let arbitrary = arbitraries.get(op.operationId);
        if (!arbitrary) {
          arbitrary = requestArbitrary(op, document, pool, identities);
          arbitraries.set(op.operationId, arbitrary);
        }
        const [request] = fc.sample(arbitrary, { seed: requestSeed(options.seed, index), numRuns: 1 }) as [
          FuzzRequest,
        ];
        const response = await send(options.baseUrl, request, timeoutMs, agent);
        const url = `${options.baseUrl}${request.path}`;
        const problems = judge(
          contract,
          {
            method: request.method,
            url,
            headers: request.headers,
            ...(request.body ? { body: request.body } : {}),
          },
          response,
        );
        const status = response.error ? 'no answer' : String(response.status);
        statuses[status] = (statuses[status] ?? 0) + 1;
        const entry = perOperation[op.operationId] ?? { requests: 0, statuses: {} };
        perOperation[op.operationId] = entry;
        entry.requests++;
        entry.statuses[status] = (entry.statuses[status] ?? 0) + 1;
        if (problems.length > 0)
          failures.push({ index, seed: options.seed, request, url, response, problems });
        done++;
        const now = performance.now();
        if (options.progress && (now - lastProgress > 2000 || done === indices.length)) {
          lastProgress = now;
          const rate = done / ((now - started) / 1000);
          options.progress(
            `${done}/${indices.length} requests, ${rate.toFixed(0)}/s, ${failures.length} failure${failures.length === 1 ? '' : 's'}, statuses ${histogram(statuses)}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  }
  agent.destroy();
  return {
    seed: options.seed,
    requests: done,
    durationMs: performance.now() - started,
    perOperation,
    statuses,
    failures,
    operations: operations.length,
  };
}

export const histogram = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}:${count}`)
    .join(' ');

/** Quotes for a POSIX shell, with ANSI-C quoting where bytes are not printable. */
function shellQuote(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return `'${value.replace(/'/g, `'\\''`)}'`;
  const bytes = Buffer.from(value, 'latin1');
  return `$'${[...bytes].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('')}'`;
}

/** A `curl` command that sends the request byte for byte (body through base64 when it is not text). */
export function curlCommand(url: string, request: FuzzRequest): string {
  const parts = ['curl', '-i', '--path-as-is', '-X', request.method, shellQuote(url)];
  for (const [name, value] of request.headers) parts.push('-H', shellQuote(`${name}: ${value}`));
  if (!request.body) return parts.join(' ');
  const text = request.body.toString('utf8');
  if (
    Buffer.from(text, 'utf8').equals(request.body) &&
    /^[\x20-\x7e\u00a0-\uffff\t\n]*$/.test(text) &&
    request.body.length <= 20_000
  ) {
    return [...parts, '--data-binary', shellQuote(Buffer.from(text, 'utf8').toString('latin1'))].join(' ');
  }
  if (request.body.length > 20_000 && request.body.every((b) => b === request.body?.[0])) {
    const byte = `\\x${(request.body[0] ?? 0).toString(16).padStart(2, '0')}`;
    return `head -c ${request.body.length} /dev/zero | tr '\\000' $'${byte}' | ${[...parts, '--data-binary', '@-'].join(' ')}`;
  }
  return `printf %s ${request.body.toString('base64')} | base64 -d | ${[...parts, '--data-binary', '@-'].join(' ')}`;
}

/** Everything needed to reproduce a failure: what was wrong, the request, a curl line and the replay command. */
export function describeFailure(failure: FuzzFailure): string {
  const { request, response } = failure;
  const curl = curlCommand(failure.url, request);
  const body = request.body
    ? request.body.length > 600
      ? `${request.body.subarray(0, 600).toString('utf8')}... (${request.body.length} bytes)`
      : request.body.toString('utf8')
    : '(none)';
  return [
    `FAILURE at seed ${failure.seed}, request #${failure.index} (${request.operationId}${request.notes.length ? `; ${request.notes.join('; ')}` : ''})`,
    ...failure.problems.map((problem) => `  - ${problem}`),
    `  request:  ${request.method} ${request.path.length > 300 ? `${request.path.slice(0, 300)}...` : request.path}`,
    ...request.headers.map(
      ([name, value]) =>
        `            ${name}: ${value.length > 200 ? `${value.slice(0, 200)}... (${value.length} chars)` : value}`,
    ),
    `  body:     ${JSON.stringify(body)}`,
    `  response: ${response.error ?? `${response.status} ${response.contentType} ${response.text.slice(0, 400)}`}`,
    `  curl:     ${curl.length > 2000 ? `(${curl.length} characters: see the saved file)` : curl}`,
    `  replay:   npm run fuzz -- --seed ${failure.seed} --only ${failure.index}   (this request alone, after the same priming)`,
    `            npm run fuzz -- --seed ${failure.seed} --runs ${failure.index + 1} --concurrency 1   (with everything before it)`,
  ].join('\n');
}

/** The summary: requests per operation with their statuses, the overall histogram. */
export function describeReport(report: FuzzReport): string {
  const width = Math.max(...Object.keys(report.perOperation).map((id) => id.length), 10);
  const lines = Object.entries(report.perOperation)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([id, { requests, statuses }]) =>
        `  ${id.padEnd(width)} ${String(requests).padStart(6)}  ${histogram(statuses)}`,
    );
  return [
    `Fuzzed ${report.operations} operations with ${report.requests} requests in ${(report.durationMs / 1000).toFixed(1)} s (seed ${report.seed}).`,
    `  ${'operation'.padEnd(width)} ${'sent'.padStart(6)}  statuses`,
    ...lines,
    `Statuses: ${histogram(report.statuses)}`,
    report.failures.length === 0
      ? 'No failures: no 5xx, every answer as documented.'
      : `${report.failures.length} FAILURES.`,
  ].join('\n');
}
