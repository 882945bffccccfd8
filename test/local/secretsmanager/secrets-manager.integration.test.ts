import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TemplateResolver } from '../../../lib/local/cloudformation/template.ts';
import {
  type LocalSecretsManager,
  putTemplateSecrets,
  startLocalSecretsManager,
} from '../../../lib/local/secretsmanager/index.ts';
import { assemblyOf } from '../assembly.ts';

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const ASSEMBLY = assemblyOf({
  data: {
    Resources: {
      Cursor: {
        Type: 'AWS::SecretsManager::Secret',
        Properties: { GenerateSecretString: { PasswordLength: 32 } },
      },
      Keys: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    },
  },
});
const CURSOR_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:data-Cursor-local';
const KEYS_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:data-Keys-local';

describe('the local Secrets Manager, through the real SDK client', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'local-secrets-'));
  const persistFile = path.join(dir, 'secrets.json');
  const resolver = new TemplateResolver(ASSEMBLY, {});
  let secrets: LocalSecretsManager;
  let client: SecretsManagerClient;

  const value = async (secretId: string) =>
    (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;

  beforeAll(async () => {
    secrets = await startLocalSecretsManager({ persistFile });
    client = new SecretsManagerClient({
      endpoint: secrets.endpoint,
      region: 'us-east-1',
      credentials: CREDENTIALS,
    });
  });

  afterAll(async () => {
    client.destroy();
    await secrets.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts the template's secrets with a generated value, or the one a custom resource gives", async () => {
    putTemplateSecrets(secrets, resolver, new Map([[KEYS_ARN, 'a key set']]));
    expect(await value(KEYS_ARN)).toBe('a key set');
    expect(await value(CURSOR_ARN)).toMatch(/^[A-Za-z0-9]{32}$/);
    // By name too, as `<stack>/<logical id>`.
    expect(await value('data/Keys')).toBe('a key set');
    expect(secrets.functionEnvironment).toEqual({ AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint });
  });

  it('answers an unknown secret with ResourceNotFoundException', async () => {
    await expect(value('arn:aws:secretsmanager:us-east-1:000000000000:secret:nope')).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('keeps current values across a restart (mode 600), so generated keys and cursors stay valid', async () => {
    await client.send(new PutSecretValueCommand({ SecretId: KEYS_ARN, SecretString: 'the rotated key set' }));
    const cursor = await value(CURSOR_ARN);
    expect(statSync(persistFile).mode & 0o777).toBe(0o600);

    const restarted = await startLocalSecretsManager({ persistFile });
    try {
      putTemplateSecrets(restarted, resolver, new Map([[KEYS_ARN, 'another key set']]));
      const again = new SecretsManagerClient({
        endpoint: restarted.endpoint,
        region: 'us-east-1',
        credentials: CREDENTIALS,
      });
      const read = async (secretId: string) =>
        (await again.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
      expect(await read(KEYS_ARN)).toBe('the rotated key set');
      expect(await read(CURSOR_ARN)).toBe(cursor);
      again.destroy();
    } finally {
      await restarted.stop();
    }
  });
});
