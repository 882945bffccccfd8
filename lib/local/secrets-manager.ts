import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalSecret {
  readonly arn: string;
  readonly name: string;
  readonly value: string;
}

export interface LocalSecretsManager {
  readonly endpoint: string;
  /** Adds or replaces a secret (the JWT dev key, a test key). */
  /**
   * Adds or replaces a secret. With `keepPersisted`, a value saved by an earlier run wins over
   * the given one (generated keys survive restarts); otherwise the given value is stored.
   */
  put(secret: LocalSecret, options?: { keepPersisted?: boolean }): void;
  stop(): Promise<void>;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random value shaped like Secrets Manager's GenerateSecretString (alphanumeric). */
export function generateSecretValue(length = 64): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
}

/**
 * A loopback server that answers Secrets Manager's `GetSecretValue` (AWS JSON 1.1 protocol),
 * so functions read secrets with the real SDK call through `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
 * With `persistFile`, generated values survive restarts (tokens and cursors stay valid).
 */
export async function startLocalSecretsManager(
  options: { persistFile?: string; secrets?: readonly LocalSecret[]; port?: number } = {},
): Promise<LocalSecretsManager> {
  const secrets = new Map<string, LocalSecret>();
  const persisted: Record<string, string> =
    options.persistFile && existsSync(options.persistFile)
      ? (JSON.parse(readFileSync(options.persistFile, 'utf8')) as Record<string, string>)
      : {};
  const put = (secret: LocalSecret, { keepPersisted = false } = {}) => {
    const value = (keepPersisted ? persisted[secret.arn] : undefined) ?? secret.value;
    const stored = { ...secret, value };
    secrets.set(secret.arn, stored);
    secrets.set(secret.name, stored);
    if (options.persistFile && persisted[secret.arn] !== value) {
      persisted[secret.arn] = value;
      writeFileSync(options.persistFile, JSON.stringify(persisted, null, 2), { mode: 0o600 });
    }
  };
  for (const secret of options.secrets ?? []) put(secret);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target !== 'secretsmanager.GetSecretValue') {
        return reply(400, {
          __type: 'UnknownOperationException',
          message: `${target} is not emulated locally.`,
        });
      }
      let secretId = '';
      try {
        secretId = String(
          (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown }).SecretId,
        );
      } catch {
        return reply(400, { __type: 'SerializationException', message: 'Malformed request body.' });
      }
      const secret = secrets.get(secretId);
      if (!secret) {
        return reply(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
      }
      reply(200, {
        ARN: secret.arn,
        Name: secret.name,
        SecretString: secret.value,
        VersionId: 'local',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 0,
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    put,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
