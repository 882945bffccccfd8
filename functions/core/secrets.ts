import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AWS_CLIENT_CONFIG } from './client-timeouts.ts';
import { logger } from './logger.ts';
import { traced } from './tracing.ts';

/**
 * How long an instance keeps a secret before reading it again: long enough that reads are rare,
 * short enough that a rotated secret (a new signing key staged or promoted) reaches every warm
 * instance within minutes; the signing-key rotation leaves hours between its steps.
 */
export const SECRET_CACHE_MS = 5 * 60 * 1000;

let client: SecretsManagerClient | undefined;
const cache = new Map<string, { readonly value: Promise<string>; readonly readAt: number }>();

/**
 * Reads a secret's string, keeping it per function instance for `SECRET_CACHE_MS`. A failed
 * read is not kept, so the next request retries; while a value read earlier exists, a failed
 * refresh answers with it (Secrets Manager being briefly unreachable should not fail
 * requests). Locally `AWS_ENDPOINT_URL_SECRETS_MANAGER` points the SDK at the emulator.
 */
export function secretString(secretId: string, now = Date.now()): Promise<string> {
  const cached = cache.get(secretId);
  if (cached && now - cached.readAt < SECRET_CACHE_MS) return cached.value;
  client ??= traced(new SecretsManagerClient({ ...AWS_CLIENT_CONFIG }));
  const read = client.send(new GetSecretValueCommand({ SecretId: secretId })).then((out) => {
    if (!out.SecretString) throw new Error(`Secret ${secretId} has no string value.`);
    return out.SecretString;
  });
  const value = cached
    ? read.catch((error: unknown) => {
        logger.warn('secret refresh failed; using the value read before', {
          secretId,
          error: error instanceof Error ? error.message : String(error),
        });
        return cached.value;
      })
    : read;
  value.catch(() => cache.delete(secretId));
  cache.set(secretId, { value, readAt: now });
  return value;
}
