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

/**
 * The whole local backend on the run's shared DynamoDB Local and synthesized app, with tables
 * of its own (a unique prefix) and the demo catalog seeded, so e2e files can run in parallel.
 * Every line it logs (emulator and functions) is kept; `stop()` fails if any holds a token,
 * a password, an Authorization value or a Stripe secret (test/support/secret-scan.ts).
 */
export async function startTestBackend(
  environment?: Record<string, string>,
  options: {
    log?: (line: string) => void;
    /** Variables for one function (by logical id) only, e.g. an endpoint a fault test controls. */
    functionEnvironment?: (logicalId: string) => Readonly<Record<string, string>>;
  } = {},
): Promise<ShopBackend> {
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
  const admin = backend.seeded?.admin;
  return {
    ...backend,
    async stop() {
      await backend.stop();
      assertNoSecrets(`the test backend at ${backend.url}`, lines, admin ? [admin.password] : []);
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
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
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
