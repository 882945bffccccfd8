/**
 * AWS Secrets Manager, locally: a loopback server that answers Secrets Manager's AWS JSON 1.1
 * protocol, so functions read secrets with the real SDK call through
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`: `GetSecretValue`, and the version and staging-label calls
 * of a rotation function (`DescribeSecret`, `PutSecretValue`, `UpdateSecretVersionStage`).
 * Secrets of the template start with a generated value (or the one a custom resource's emulator
 * gives); with a persist file, current values survive restarts (tokens and cursors stay valid).
 * Not emulated: binary secrets, resource policies, KMS, replication, scheduled rotation (a test
 * starts one with `beginRotation`), deletion and its recovery window.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { resourcesOfType, type TemplateResolver } from '../cloudformation/template.ts';
import { closeServer, listen } from '../net.ts';
import type { LocalService } from '../services.ts';
import { type Operation, secretsManagerOperations } from './operations.ts';
import { ApiError, type LocalSecret, SecretStore } from './store.ts';

export type { LocalSecret } from './store.ts';

export interface LocalSecretsManager extends LocalService {
  readonly endpoint: string;
  /**
   * Adds or replaces a secret (a new AWSCURRENT version). With `keepPersisted`, a value saved by
   * an earlier run wins over the given one (generated keys survive restarts); otherwise the
   * given value is stored.
   */
  put(secret: LocalSecret, options?: { keepPersisted?: boolean }): void;
  /**
   * What Secrets Manager does when a rotation starts, before it calls the rotation function: a
   * new version `token` labelled AWSPENDING, without a value until `createSecret` puts one.
   */
  beginRotation(secretId: string, token: string): void;
  stop(): Promise<void>;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random value shaped like Secrets Manager's GenerateSecretString (alphanumeric). */
export function generateSecretValue(length = 64): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
}

/** The HTTP side: `POST /` with `X-Amz-Target: secretsmanager.<Operation>`. */
function secretsManagerServer(operations: Readonly<Record<string, Operation>>): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('secretsmanager.')
        ? operations[target.slice('secretsmanager.'.length)]
        : undefined;
      if (!operation) {
        return reply(400, {
          __type: 'UnknownOperationException',
          message: `${target} is not emulated locally.`,
        });
      }
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return reply(400, { __type: 'SerializationException', message: 'Malformed request body.' });
      }
      try {
        reply(200, operation(input));
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        reply(400, { __type: error.type, message: error.message });
      }
    });
  });
}

/** Starts the local Secrets Manager on 127.0.0.1 (with `secrets` in it) and resolves once it listens. */
export async function startLocalSecretsManager(
  options: { persistFile?: string; secrets?: readonly LocalSecret[]; port?: number } = {},
): Promise<LocalSecretsManager> {
  const store = new SecretStore(options.persistFile);
  for (const secret of options.secrets ?? []) store.put(secret);
  const server = secretsManagerServer(secretsManagerOperations(store));
  const endpoint = `http://127.0.0.1:${await listen(server, options.port, '127.0.0.1')}`;
  return {
    endpoint,
    functionEnvironment: { AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint },
    put: (secret, putOptions) => store.put(secret, putOptions),
    beginRotation: (secretId, token) =>
      store.addVersion(store.find(secretId), token, undefined, ['AWSPENDING']),
    stop: () => closeServer(server),
  };
}

/**
 * Puts every `AWS::SecretsManager::Secret` of the template: the value `presetValues` has for its
 * ARN (what a custom resource fills it with at deploy), else one generated as its
 * `GenerateSecretString` asks. A value kept from an earlier run wins over either.
 */
export function putTemplateSecrets(
  secrets: LocalSecretsManager,
  resolver: TemplateResolver,
  presetValues: ReadonlyMap<string, string>,
): void {
  for (const { stackName, logicalId, resource } of resourcesOfType(
    resolver.assembly,
    'AWS::SecretsManager::Secret',
  )) {
    const generate = resource.Properties?.GenerateSecretString as { PasswordLength?: number } | undefined;
    const arn = resolver.resource(stackName, logicalId).ref;
    const value = presetValues.get(arn) ?? generateSecretValue(generate?.PasswordLength ?? 64);
    secrets.put({ arn, name: `${stackName}/${logicalId}`, value }, { keepPersisted: true });
  }
}
