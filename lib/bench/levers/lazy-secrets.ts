// Lever of `npm run bench` (measured, not applied): functions/core/secrets.ts with the Secrets
// Manager client imported on first use. Without code splitting esbuild keeps the module in the
// bundle and wraps everything reachable through the dynamic import in lazy initializers: the
// bundle grows and its cold import got slower, not faster.
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let client: Promise<SecretsManagerClient> | undefined;
const cache = new Map<string, Promise<string>>();

/**
 * The Secrets Manager client, loaded on first use: most requests of most functions never read
 * a secret (a listing's first page needs no cursor key until it has a next page), so its module
 * is not evaluated at cold start. Locally `AWS_ENDPOINT_URL_SECRETS_MANAGER` points the SDK at
 * the emulator's Secrets Manager.
 */
function secretsManager(): Promise<SecretsManagerClient> {
  client ??= import('@aws-sdk/client-secrets-manager').then(
    ({ SecretsManagerClient }) => new SecretsManagerClient({}),
  );
  return client;
}

/**
 * Reads a secret's string once per function instance and keeps it. A failed read is not
 * cached, so the next request retries.
 */
export function secretString(secretId: string): Promise<string> {
  let pending = cache.get(secretId);
  if (!pending) {
    pending = Promise.all([secretsManager(), import('@aws-sdk/client-secrets-manager')]).then(
      async ([sm, { GetSecretValueCommand }]) => {
        const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
        if (!out.SecretString) throw new Error(`Secret ${secretId} has no string value.`);
        return out.SecretString;
      },
    );
    pending.catch(() => cache.delete(secretId));
    cache.set(secretId, pending);
  }
  return pending;
}
