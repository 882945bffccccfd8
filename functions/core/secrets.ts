import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let client: SecretsManagerClient | undefined;
const cache = new Map<string, Promise<string>>();

/**
 * Reads a secret's string once per function instance and keeps it. A failed read is not
 * cached, so the next request retries. Locally `AWS_ENDPOINT_URL_SECRETS_MANAGER` points the
 * SDK at the emulator's Secrets Manager.
 */
export function secretString(secretId: string): Promise<string> {
  let pending = cache.get(secretId);
  if (!pending) {
    client ??= new SecretsManagerClient({});
    pending = client.send(new GetSecretValueCommand({ SecretId: secretId })).then((out) => {
      if (!out.SecretString) throw new Error(`Secret ${secretId} has no string value.`);
      return out.SecretString;
    });
    pending.catch(() => cache.delete(secretId));
    cache.set(secretId, pending);
  }
  return pending;
}
