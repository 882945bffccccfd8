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

/** One version of a secret: its value (none yet for a rotation's fresh pending version) and stages. */
interface SecretVersion {
  value: string | undefined;
  readonly stages: Set<string>;
}

interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  readonly versions: Map<string, SecretVersion>;
}

class ApiError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

const currentVersion = (secret: StoredSecret) =>
  [...secret.versions].find(([, version]) => version.stages.has('AWSCURRENT'));

const notFound = (what: string) => new ApiError('ResourceNotFoundException', what);

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random value shaped like Secrets Manager's GenerateSecretString (alphanumeric). */
export function generateSecretValue(length = 64): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
}

/**
 * A loopback server that answers Secrets Manager (AWS JSON 1.1 protocol), so functions read
 * secrets with the real SDK call through `AWS_ENDPOINT_URL_SECRETS_MANAGER`: `GetSecretValue`,
 * and the version and staging-label calls of a rotation function (`DescribeSecret`,
 * `PutSecretValue`, `UpdateSecretVersionStage`). With `persistFile`, current values survive
 * restarts (tokens and cursors stay valid).
 */
export async function startLocalSecretsManager(
  options: { persistFile?: string; secrets?: readonly LocalSecret[]; port?: number } = {},
): Promise<LocalSecretsManager> {
  const secrets = new Map<string, StoredSecret>();
  const persisted: Record<string, string> =
    options.persistFile && existsSync(options.persistFile)
      ? (JSON.parse(readFileSync(options.persistFile, 'utf8')) as Record<string, string>)
      : {};
  let versionCounter = 0;
  const persist = (secret: StoredSecret) => {
    const value = currentVersion(secret)?.[1].value;
    if (!options.persistFile || value === undefined || persisted[secret.arn] === value) return;
    persisted[secret.arn] = value;
    writeFileSync(options.persistFile, JSON.stringify(persisted, null, 2), { mode: 0o600 });
  };
  const find = (secretId: unknown): StoredSecret => {
    const secret = secrets.get(String(secretId));
    if (!secret) throw notFound("Secrets Manager can't find the specified secret.");
    return secret;
  };
  /** Gives `stage` to one version only; the version that had AWSCURRENT gets AWSPREVIOUS. */
  const moveStage = (secret: StoredSecret, stage: string, to: string) => {
    for (const [id, version] of secret.versions) {
      if (id === to || !version.stages.has(stage)) continue;
      version.stages.delete(stage);
      if (stage === 'AWSCURRENT') {
        for (const other of secret.versions.values()) other.stages.delete('AWSPREVIOUS');
        version.stages.add('AWSPREVIOUS');
      }
    }
    secret.versions.get(to)?.stages.add(stage);
    for (const [id, version] of secret.versions) if (version.stages.size === 0) secret.versions.delete(id);
  };
  const addVersion = (
    secret: StoredSecret,
    id: string,
    value: string | undefined,
    stages: readonly string[],
  ) => {
    secret.versions.set(id, { value, stages: new Set() });
    for (const stage of stages) moveStage(secret, stage, id);
  };
  const put = (secret: LocalSecret, { keepPersisted = false } = {}) => {
    const value = (keepPersisted ? persisted[secret.arn] : undefined) ?? secret.value;
    const stored: StoredSecret = secrets.get(secret.arn) ?? {
      arn: secret.arn,
      name: secret.name,
      versions: new Map(),
    };
    addVersion(stored, `local-${++versionCounter}`, value, ['AWSCURRENT']);
    secrets.set(secret.arn, stored);
    secrets.set(secret.name, stored);
    persist(stored);
  };
  for (const secret of options.secrets ?? []) put(secret);

  /** The operations functions and the rotation function use, as the AWS JSON 1.1 protocol carries them. */
  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    GetSecretValue: (input) => {
      const secret = find(input.SecretId);
      const stage = typeof input.VersionStage === 'string' ? input.VersionStage : undefined;
      const entry =
        typeof input.VersionId === 'string'
          ? ([input.VersionId, secret.versions.get(input.VersionId)] as const)
          : [...secret.versions].find(([, version]) => version.stages.has(stage ?? 'AWSCURRENT'));
      const [versionId, version] = entry ?? [];
      if (!versionId || !version || version.value === undefined || (stage && !version.stages.has(stage))) {
        throw notFound("Secrets Manager can't find the specified secret value for staging label or version.");
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        SecretString: version.value,
        VersionId: versionId,
        VersionStages: [...version.stages],
        CreatedDate: 0,
      };
    },
    PutSecretValue: (input) => {
      const secret = find(input.SecretId);
      const token = String(input.ClientRequestToken ?? `local-${++versionCounter}`);
      const stages = Array.isArray(input.VersionStages) ? input.VersionStages.map(String) : ['AWSCURRENT'];
      const existing = secret.versions.get(token);
      if (existing?.value !== undefined && existing.value !== input.SecretString) {
        throw new ApiError('ResourceExistsException', `Version ${token} already exists with another value.`);
      }
      if (existing) existing.value = String(input.SecretString);
      else addVersion(secret, token, String(input.SecretString), stages);
      for (const stage of stages) moveStage(secret, stage, token);
      persist(secret);
      return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: stages };
    },
    DescribeSecret: (input) => {
      const secret = find(input.SecretId);
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionIdsToStages: Object.fromEntries(
          [...secret.versions].map(([id, version]) => [id, [...version.stages]]),
        ),
      };
    },
    UpdateSecretVersionStage: (input) => {
      const secret = find(input.SecretId);
      const to = String(input.MoveToVersionId ?? '');
      if (!secret.versions.has(to)) throw notFound(`No version ${to}.`);
      moveStage(secret, String(input.VersionStage), to);
      persist(secret);
      return { ARN: secret.arn, Name: secret.name };
    },
  };

  const server = http.createServer((req, res) => {
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    put,
    beginRotation: (secretId, token) => addVersion(find(secretId), token, undefined, ['AWSPENDING']),
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
