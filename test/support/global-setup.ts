import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { newSigningKeySetValue } from '../../functions/accounts/signing-keys.ts';
import { startDynamoDbLocal } from '../../lib/local/dynamodb/launcher.ts';
import { generateSecretValue, startLocalSecretsManager } from '../../lib/local/secretsmanager/index.ts';
import { synthesize } from '../../lib/synth.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** DynamoDB Local, started once for the whole run. */
    dynamodbEndpoint: string;
    /** The `local` environment synthesized once for the whole run. */
    assemblyDir: string;
    /** A Secrets Manager stand-in holding the test cursor key. */
    secretsEndpoint: string;
    cursorSecretArn: string;
    /** The RSA key set that signs test access tokens. */
    signingKeySecretArn: string;
  }
}

/** Starts what every suite shares: one DynamoDB Local, one synthesized cloud assembly. */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const assemblyDir = mkdtempSync(path.join(tmpdir(), 'shop-cdk-out-'));
  // Java boots while esbuild bundles; if anything fails, nothing is left running.
  const starting = Promise.all([
    startDynamoDbLocal({ port: process.env.DYNAMODB_PORT ? Number(process.env.DYNAMODB_PORT) : undefined }),
    startLocalSecretsManager(),
  ]);
  try {
    synthesize('local', assemblyDir);
  } catch (error) {
    const [dynamodb, secrets] = await starting;
    await Promise.all([dynamodb.stop(), secrets.stop()]);
    throw error;
  }
  const [dynamodb, secrets] = await starting;
  const cursorSecretArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:test-cursor';
  secrets.put({ arn: cursorSecretArn, name: 'test-cursor', value: generateSecretValue() });
  project.provide('dynamodbEndpoint', dynamodb.endpoint);
  project.provide('assemblyDir', assemblyDir);
  project.provide('secretsEndpoint', secrets.endpoint);
  project.provide('cursorSecretArn', cursorSecretArn);
  const signingKeySecretArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:test-signing-keys';
  secrets.put({ arn: signingKeySecretArn, name: 'test-signing-keys', value: newSigningKeySetValue() });
  project.provide('signingKeySecretArn', signingKeySecretArn);
  console.log(
    `[setup] DynamoDB Local at ${dynamodb.endpoint}, local stacks synthesized in ${Date.now() - started} ms`,
  );
  return async () => {
    await Promise.all([dynamodb.stop(), secrets.stop()]);
    rmSync(assemblyDir, { recursive: true, force: true });
  };
}
