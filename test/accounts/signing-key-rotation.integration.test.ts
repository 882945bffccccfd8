import { randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  newSigningKeySetValue,
  parseSigningKeySet,
  publicJwks,
  type SigningKeySet,
} from '../../functions/accounts/signing-keys.ts';
import { issueAccessToken, signingKeySet } from '../../functions/accounts/tokens.ts';
import { SECRET_CACHE_MS } from '../../functions/core/secrets.ts';
import { handler, type RotationEvent } from '../../functions/ops/rotate-signing-key.ts';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../lib/local/secretsmanager/index.ts';
import { lambdaContext } from '../support/events.ts';
import { quietLogger } from '../support/logs.ts';
import { LOCAL_CREDENTIALS } from '../support/table.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:rotation-test-keys';
const DAY_MS = 24 * 3600_000;

/**
 * The token signing-key secret's rotation, run as Secrets Manager runs it: a pending version
 * is labelled first, then the rotation function is called once per step. The local Secrets
 * Manager keeps versions and staging labels as the real one does.
 */
describe('signing-key rotation (Secrets Manager rotation function)', () => {
  let secrets: LocalSecretsManager;
  let client: SecretsManagerClient;
  let original: SigningKeySet;

  beforeAll(async () => {
    secrets = await startLocalSecretsManager();
    const value = newSigningKeySetValue(new Date(Date.now() - 3 * DAY_MS));
    original = parseSigningKeySet(value);
    secrets.put({ arn: SECRET_ARN, name: 'rotation-test-keys', value });
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
    process.env.SIGNING_KEY_SECRET_ARN = SECRET_ARN;
    process.env.AUTH_ISSUER = 'https://api.test.local';
    process.env.AUTH_AUDIENCE = 'shop-api-test';
    client = new SecretsManagerClient({
      endpoint: secrets.endpoint,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
    });
    quietLogger();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  afterAll(async () => {
    client.destroy();
    await secrets.stop();
  });

  const step = (Step: RotationEvent['Step'], token: string) =>
    handler({ Step, SecretId: SECRET_ARN, ClientRequestToken: token }, lambdaContext());

  const current = async (): Promise<SigningKeySet> =>
    parseSigningKeySet(
      String((await client.send(new GetSecretValueCommand({ SecretId: SECRET_ARN }))).SecretString),
    );

  const stages = async () =>
    (await client.send(new DescribeSecretCommand({ SecretId: SECRET_ARN }))).VersionIdsToStages ?? {};

  it('promotes the staged key, keeps the replaced one published, and stages a new one', async () => {
    const token = randomUUID();
    secrets.beginRotation(SECRET_ARN, token);
    await step('createSecret', token);
    // Secrets Manager may call a step again: the pending value stays the one created first.
    const pending = (
      await client.send(new GetSecretValueCommand({ SecretId: SECRET_ARN, VersionStage: 'AWSPENDING' }))
    ).SecretString;
    await step('createSecret', token);
    expect(
      (await client.send(new GetSecretValueCommand({ SecretId: SECRET_ARN, VersionStage: 'AWSPENDING' })))
        .SecretString,
    ).toBe(pending);
    expect((await current()).keys).toEqual(original.keys);

    await step('setSecret', token);
    await step('testSecret', token);
    await step('finishSecret', token);

    const rotated = await current();
    expect(rotated.keys.map((key) => key.kid)).toEqual([original.next?.kid, original.keys[0]?.kid]);
    expect(rotated.next?.kid).toBeDefined();
    expect(publicJwks(rotated).map((jwk) => jwk.kid)).toEqual([
      original.next?.kid,
      original.keys[0]?.kid,
      rotated.next?.kid,
    ]);
    const labels = await stages();
    expect(labels[token]).toContain('AWSCURRENT');
    expect(Object.values(labels).filter((list) => list.includes('AWSPREVIOUS'))).toHaveLength(1);
  });

  it('refuses a second rotation right after the first, and the current keys stay as they are', async () => {
    const before = await current();
    const token = randomUUID();
    secrets.beginRotation(SECRET_ARN, token);
    await expect(step('createSecret', token)).rejects.toThrow(/Rotation refused: the next key/);
    expect(await current()).toEqual(before);
  });

  it('does nothing for a version that is already current (a step Secrets Manager repeats)', async () => {
    const labels = await stages();
    const currentVersion = Object.entries(labels).find(([, list]) => list.includes('AWSCURRENT'))?.[0] ?? '';
    const before = await current();
    await step('finishSecret', currentVersion);
    await step('createSecret', currentVersion);
    expect(await current()).toEqual(before);
  });

  it('moves token signing to the promoted key within the secret cache time, and the JWKS shows the staged key', async () => {
    const kidOf = async () =>
      String(decodeProtectedHeader(await issueAccessToken({ id: 'u1', role: 'customer' })).kid);
    vi.useFakeTimers({ toFake: ['Date'] });
    const signingNow = (await signingKeySet()).keys[0]?.kid;
    expect(await kidOf()).toBe(signingNow);
    // Another rotation, two days on (past the publication margin), while this instance is warm.
    vi.setSystemTime(Date.now() + 2 * DAY_MS);
    const token = randomUUID();
    secrets.beginRotation(SECRET_ARN, token);
    for (const name of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const)
      await step(name, token);
    const rotated = await current();
    // Cached until the cache time passes, then read again.
    vi.setSystemTime(Date.now() + SECRET_CACHE_MS + 1000);
    expect(await kidOf()).toBe(rotated.keys[0]?.kid);
    expect(publicJwks(await signingKeySet()).map((jwk) => jwk.kid)).toContain(rotated.next?.kid);
  });
});
