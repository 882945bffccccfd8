import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ShopBackend } from '../demo/backend-hooks.ts';
import type { BenchClient } from './http-client.ts';

/** A variable of the first function of `backend` that has it. */
export function functionVariable(backend: ShopBackend, variable: string): string | undefined {
  for (const fn of backend.functions.values())
    if (fn.spec.environment[variable]) return fn.spec.environment[variable];
  return undefined;
}

/** The value of the secret whose ARN a function of `backend` has in `arnVariable`. */
export async function secretOf(backend: ShopBackend, arnVariable: string): Promise<string> {
  const arn = functionVariable(backend, arnVariable);
  if (!arn) throw new Error(`No function has ${arnVariable}.`);
  const client = new SecretsManagerClient({
    endpoint: backend.secretsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    return (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString ?? '';
  } finally {
    client.destroy();
  }
}

/** Signs in through the API; the access token. */
export async function login(
  client: BenchClient,
  credentials: { email: string; password: string },
): Promise<string> {
  const res = await client.request({
    method: 'POST',
    path: '/auth/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  if (res.status !== 200)
    throw new Error(`Login of ${credentials.email} answered ${res.status}: ${res.body.slice(0, 300)}`);
  return String((JSON.parse(res.body) as { accessToken: string }).accessToken);
}
