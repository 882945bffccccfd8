import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { parseSigningKeySet, rotateSigningKeySet } from '../accounts/signing-keys.ts';
import { AWS_CLIENT_CONFIG } from '../core/client-timeouts.ts';
import { lambda } from '../core/lambda.ts';
import { logger } from '../core/logger.ts';
import { traced } from '../core/tracing.ts';

/** What Secrets Manager sends a rotation function, once per step of a rotation. */
export interface RotationEvent {
  readonly Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
  readonly SecretId: string;
  /** The version the rotation creates (staged AWSPENDING until `finishSecret`). */
  readonly ClientRequestToken: string;
}

let client: SecretsManagerClient | undefined;
const secrets = () => {
  client ??= traced(new SecretsManagerClient({ ...AWS_CLIENT_CONFIG }));
  return client;
};

/**
 * The rotation function of the token signing-key secret (Secrets Manager's rotation schedule
 * calls it; `aws secretsmanager rotate-secret` starts a rotation by hand). It follows the
 * README's procedure, one step per rotation: the key staged by the last rotation (published in
 * the JWKS ever since) starts signing, the key it replaces stays published until the next
 * rotation, older keys go, and a new key is staged. `rotateSigningKeySet` refuses a rotation that
 * would come too soon after the last one.
 */
export const handler = lambda(async (event: RotationEvent): Promise<void> => {
  const { Step: step, SecretId: secretId, ClientRequestToken: token } = event;
  const described = await secrets().send(new DescribeSecretCommand({ SecretId: secretId }));
  if (described.RotationEnabled === false) throw new Error(`Rotation is not enabled for ${secretId}.`);
  const stages = described.VersionIdsToStages ?? {};
  const tokenStages = stages[token];
  if (!tokenStages) throw new Error(`Version ${token} of ${secretId} does not exist.`);
  if (tokenStages.includes('AWSCURRENT')) {
    logger.info('version already current; nothing to do', { step, secretId, token });
    return;
  }
  if (!tokenStages.includes('AWSPENDING')) {
    throw new Error(`Version ${token} of ${secretId} is not pending rotation.`);
  }
  if (step === 'createSecret') await createSecret(secretId, token);
  else if (step === 'testSecret') await testSecret(secretId, token);
  else if (step === 'finishSecret') await finishSecret(secretId, token, stages);
  // setSecret: nothing outside Secrets Manager holds the private keys; the JWKS is read from here.
  logger.info('rotation step done', { step, secretId, token });
});

/** The next key set, stored as the pending version (once: a retried step finds it there). */
async function createSecret(secretId: string, token: string): Promise<void> {
  const current = await secrets().send(
    new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }),
  );
  try {
    await secrets().send(
      new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: 'AWSPENDING' }),
    );
    return;
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
  }
  const next = rotateSigningKeySet(parseSigningKeySet(current.SecretString ?? ''));
  await secrets().send(
    new PutSecretValueCommand({
      SecretId: secretId,
      ClientRequestToken: token,
      SecretString: JSON.stringify(next),
      VersionStages: ['AWSPENDING'],
    }),
  );
  logger.info('signing key set rotated (pending)', {
    signing: next.keys[0]?.kid,
    published: next.keys.map((key) => key.kid),
    next: next.next?.kid,
  });
}

/** The pending set parses, and its signing key signs what its public half verifies. */
async function testSecret(secretId: string, token: string): Promise<void> {
  const pending = await secrets().send(
    new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: 'AWSPENDING' }),
  );
  const set = parseSigningKeySet(pending.SecretString ?? '');
  for (const key of [...set.keys, ...(set.next ? [set.next] : [])]) {
    const privateKey = createPrivateKey({ key: key.privateJwk, format: 'jwk' });
    const data = Buffer.from(`rotation test ${key.kid}`);
    const signature = sign('sha256', data, privateKey);
    if (!verify('sha256', data, createPublicKey(privateKey), signature)) {
      throw new Error(`Key ${key.kid} of the pending set does not verify its own signature.`);
    }
  }
}

/** Makes the pending version the current one. */
async function finishSecret(
  secretId: string,
  token: string,
  stages: Record<string, string[]>,
): Promise<void> {
  const current = Object.entries(stages).find(([, list]) => list.includes('AWSCURRENT'))?.[0];
  await secrets().send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: token,
      ...(current ? { RemoveFromVersionId: current } : {}),
    }),
  );
}
