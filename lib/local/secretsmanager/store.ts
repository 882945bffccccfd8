import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface LocalSecret {
  readonly arn: string;
  readonly name: string;
  readonly value: string;
}

/** One version of a secret: its value (none yet for a rotation's fresh pending version) and stages. */
export interface SecretVersion {
  value: string | undefined;
  readonly stages: Set<string>;
}

export interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  readonly versions: Map<string, SecretVersion>;
}

/** An error of Secrets Manager's protocol (`__type` and `message`). */
export class ApiError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

export const notFound = (what: string) => new ApiError('ResourceNotFoundException', what);

const currentVersion = (secret: StoredSecret) =>
  [...secret.versions].find(([, version]) => version.stages.has('AWSCURRENT'));

/**
 * The secrets of a local Secrets Manager, by ARN and by name: versions and their staging labels
 * moved as Secrets Manager moves them. With `persistFile`, current values are saved (mode 600)
 * and survive restarts.
 */
export class SecretStore {
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly persisted: Record<string, string>;
  private readonly persistFile: string | undefined;
  private versionCounter = 0;

  constructor(persistFile: string | undefined) {
    this.persistFile = persistFile;
    this.persisted =
      persistFile && existsSync(persistFile)
        ? (JSON.parse(readFileSync(persistFile, 'utf8')) as Record<string, string>)
        : {};
  }

  /** A version id for a version put without a client request token. */
  newVersionId(): string {
    return `local-${++this.versionCounter}`;
  }

  /** Saves the secret's current value, when it has one that is not saved yet. */
  persist(secret: StoredSecret): void {
    const value = currentVersion(secret)?.[1].value;
    if (!this.persistFile || value === undefined || this.persisted[secret.arn] === value) return;
    this.persisted[secret.arn] = value;
    writeFileSync(this.persistFile, JSON.stringify(this.persisted, null, 2), { mode: 0o600 });
  }

  find(secretId: unknown): StoredSecret {
    const secret = this.secrets.get(String(secretId));
    if (!secret) throw notFound("Secrets Manager can't find the specified secret.");
    return secret;
  }

  /** Gives `stage` to one version only; the version that had AWSCURRENT gets AWSPREVIOUS. */
  moveStage(secret: StoredSecret, stage: string, to: string): void {
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
  }

  addVersion(secret: StoredSecret, id: string, value: string | undefined, stages: readonly string[]): void {
    secret.versions.set(id, { value, stages: new Set() });
    for (const stage of stages) this.moveStage(secret, stage, id);
  }

  /** Adds or replaces a secret (a new AWSCURRENT version); with `keepPersisted`, a saved value wins. */
  put(secret: LocalSecret, { keepPersisted = false } = {}): void {
    const value = (keepPersisted ? this.persisted[secret.arn] : undefined) ?? secret.value;
    const stored: StoredSecret = this.secrets.get(secret.arn) ?? {
      arn: secret.arn,
      name: secret.name,
      versions: new Map(),
    };
    this.addVersion(stored, this.newVersionId(), value, ['AWSCURRENT']);
    this.secrets.set(secret.arn, stored);
    this.secrets.set(secret.name, stored);
    this.persist(stored);
  }
}
