import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { useTable } from '../../functions/core/db.ts';
import { type ShopBackend, shopBackendOptions } from '../../lib/demo/backend-hooks.ts';
import { startLocalBackend } from '../../lib/local/backend.ts';
import { assertContract, checkContractOf } from './contract.ts';
import { assertNoSecrets } from './secret-scan.ts';

interface TestBackendOptions {
  log?: (line: string) => void;
  /** Variables for one function (by logical id) only, e.g. an endpoint a fault test controls. */
  functionEnvironment?: (logicalId: string) => Readonly<Record<string, string>>;
}

/** A backend of the shop on the run's DynamoDB Local and app, and every line it logged so far. */
async function bootTestBackend(
  environment: Record<string, string> | undefined,
  options: TestBackendOptions,
): Promise<{ backend: ShopBackend; lines: string[] }> {
  const lines: string[] = [];
  const shop = shopBackendOptions();
  const backend = await startLocalBackend({
    assemblyDir: inject('assemblyDir'),
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tableNamePrefix: `e2e-${randomUUID().slice(0, 8)}-`,
    port: 0,
    ...shop,
    // Tests run schedules themselves (backend.runSchedules()), so timing never decides an outcome.
    runSchedules: false,
    environment: { ...shop.environment, ...environment },
    ...(options.functionEnvironment ? { functionEnvironment: options.functionEnvironment } : {}),
    // E2E_LOG=1 shows what the functions log (their errors included) while debugging a test.
    log: (line: string) => {
      lines.push(line);
      options.log?.(line);
      if (process.env.E2E_LOG) console.log(line);
    },
  });
  // Every answer of this backend that call() receives is held to the OpenAPI document.
  checkContractOf(backend.url);
  if (backend.webSocketUrl) checkContractOf(backend.webSocketUrl);
  return { backend, lines };
}

/** Fails when any of the lines holds a token, a password, an Authorization value or a Stripe secret. */
function scanLines(backend: ShopBackend, what: string, lines: readonly string[]): void {
  const admin = backend.seeded?.admin;
  assertNoSecrets(`${what} at ${backend.url}`, lines, admin ? [admin.password] : []);
}

/**
 * The whole local backend on the run's shared DynamoDB Local and synthesized app, with tables
 * of its own (a unique prefix) and the demo catalog seeded: for a file that needs a backend to
 * itself (its own environment, faults, counts over the whole table). Every line it logs
 * (emulator and functions) is kept; `stop()` fails if any holds a token, a password, an
 * Authorization value or a Stripe secret (test/support/secret-scan.ts).
 */
export async function startTestBackend(
  environment?: Record<string, string>,
  options: TestBackendOptions = {},
): Promise<ShopBackend> {
  const { backend, lines } = await bootTestBackend(environment, options);
  return {
    ...backend,
    async stop() {
      await backend.stop();
      scanLines(backend, 'the test backend', lines);
    },
  };
}

/** The backend this worker's files share, started by the first that asks (see sharedTestBackend). */
let shared: Promise<{ backend: ShopBackend; lines: string[] }> | undefined;

/**
 * The backend (default environment, demo catalog seeded) that the e2e files of one vitest worker
 * share: booting a backend (table, seeding, every function's cold start) costs more than most
 * files' tests, and the e2e project runs a worker's files one after the other in one module
 * graph (`isolate: false`). A file that uses it makes its own data (new accounts, products,
 * orders) and asserts only on that, never on counts over the whole table. Its `stop()` leaves the
 * backend running for the next file and scans the lines logged since this file took it, as a
 * backend of its own would be scanned. The worker's exit ends it.
 */
export async function sharedTestBackend(): Promise<ShopBackend> {
  shared ??= bootTestBackend(undefined, {});
  let booted: { backend: ShopBackend; lines: string[] };
  try {
    booted = await shared;
  } catch (error) {
    shared = undefined;
    throw error;
  }
  const { backend, lines } = booted;
  const from = lines.length;
  return {
    ...backend,
    async stop() {
      scanLines(backend, 'the shared test backend', lines.slice(from));
    },
  };
}

/**
 * Returns status, content type and parsed JSON body of a response. Asserts only the contract:
 * a response of a test backend that the OpenAPI document does not allow (status, content type,
 * body schema) throws, so an undocumented status or field fails the test that received it.
 */
export async function call(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; contentType: string; headers: Headers; body: Record<string, unknown> }> {
  const { status, contentType, headers, text } = await callPage(url, init);
  return { status, contentType, headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/**
 * `call` for a route that answers HTML (the simulated 3-D Secure page): the body as text, held
 * to the OpenAPI document like every answer.
 */
export async function callPage(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; contentType: string; headers: Headers; text: string }> {
  const res = await fetch(url, init);
  const text = await res.text();
  assertContract({
    method: init?.method ?? 'GET',
    url,
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    text,
    request: sentRequest(init),
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    headers: res.headers,
    text,
  };
}

/**
 * Points this test file's stores (`functions/<domain>/store.ts`) at a test backend's table, so a test
 * can read what the backend's functions wrote (connection items, say) through the same code.
 */
export function useBackendTable(backend: ShopBackend): void {
  useTable(
    DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: backend.dynamodbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    ),
    backend.tables[0]?.name as string,
  );
}

/** The headers and body a `fetch` init sends, as the contract check reads them. */
export function sentRequest(init: RequestInit | undefined): {
  headers: Record<string, string>;
  body?: string | Uint8Array;
} {
  const headers = Object.fromEntries(new Headers(init?.headers).entries());
  const body = init?.body;
  return typeof body === 'string' || body instanceof Uint8Array ? { headers, body } : { headers };
}

/** A variable every function of the backend that has it agrees on (a secret's ARN, the issuer). */
export function functionVariable(backend: ShopBackend, variable: string): string {
  for (const fn of backend.functions.values()) {
    const value = fn.spec.environment[variable];
    if (value) return value;
  }
  throw new Error(`No function of the backend has ${variable}.`);
}

/** A secret's value as the backend's functions read it, from its local Secrets Manager. */
export async function backendSecret(backend: ShopBackend, arnVariable: string): Promise<string> {
  const client = new SecretsManagerClient({
    endpoint: backend.secretsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const out = await client.send(
      new GetSecretValueCommand({ SecretId: functionVariable(backend, arnVariable) }),
    );
    if (!out.SecretString) throw new Error(`The secret behind ${arnVariable} has no value.`);
    return out.SecretString;
  } finally {
    client.destroy();
  }
}
