import { ApiError, notFound, type SecretStore } from './store.ts';

/** One operation of Secrets Manager's AWS JSON 1.1 protocol. */
export type Operation = (input: Record<string, unknown>) => unknown;

/** The operations functions and the rotation function use, as the AWS JSON 1.1 protocol carries them. */
export function secretsManagerOperations(store: SecretStore): Record<string, Operation> {
  return {
    GetSecretValue: (input) => {
      const secret = store.find(input.SecretId);
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
      const secret = store.find(input.SecretId);
      const token = String(input.ClientRequestToken ?? store.newVersionId());
      const stages = Array.isArray(input.VersionStages) ? input.VersionStages.map(String) : ['AWSCURRENT'];
      const existing = secret.versions.get(token);
      if (existing?.value !== undefined && existing.value !== input.SecretString) {
        throw new ApiError('ResourceExistsException', `Version ${token} already exists with another value.`);
      }
      if (existing) existing.value = String(input.SecretString);
      else store.addVersion(secret, token, String(input.SecretString), stages);
      for (const stage of stages) store.moveStage(secret, stage, token);
      store.persist(secret);
      return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: stages };
    },
    DescribeSecret: (input) => {
      const secret = store.find(input.SecretId);
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionIdsToStages: Object.fromEntries(
          [...secret.versions].map(([id, version]) => [id, [...version.stages]]),
        ),
      };
    },
    UpdateSecretVersionStage: (input) => {
      const secret = store.find(input.SecretId);
      const to = String(input.MoveToVersionId ?? '');
      if (!secret.versions.has(to)) throw notFound(`No version ${to}.`);
      store.moveStage(secret, String(input.VersionStage), to);
      store.persist(secret);
      return { ARN: secret.arn, Name: secret.name };
    },
  };
}
