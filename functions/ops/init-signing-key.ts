import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { newSigningKeySetValue, parseSigningKeySet } from '../accounts/signing-keys.ts';
import { AWS_CLIENT_CONFIG } from '../core/client-timeouts.ts';

const secrets = new SecretsManagerClient({ ...AWS_CLIENT_CONFIG });

/** Puts a fresh RSA key set into the secret unless it already holds a valid one (idempotent). */
export async function ensureSigningKeySet(secretId: string): Promise<'created' | 'kept'> {
  const current = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  try {
    parseSigningKeySet(current.SecretString ?? '');
    return 'kept';
  } catch {
    await secrets.send(
      new PutSecretValueCommand({ SecretId: secretId, SecretString: newSigningKeySetValue() }),
    );
    return 'created';
  }
}

async function respond(
  event: CloudFormationCustomResourceEvent,
  context: Context,
  status: 'SUCCESS' | 'FAILED',
  reason?: string,
): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    Reason: reason ?? `See log stream ${context.logStreamName}`,
    PhysicalResourceId: event.ResourceProperties.SecretId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  // CloudFormation waits for this PUT to its presigned URL (an empty content type is required).
  const res = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
  if (!res.ok) throw new Error(`CloudFormation response failed with ${res.status}`);
}

/**
 * Custom resource `Custom::SigningKeySet`: at deploy time, makes sure the signing-key secret
 * holds an RSA key set (Secrets Manager cannot generate one). Deleting the resource leaves the
 * secret to its own removal policy. Key rotation is an operator action (see README).
 */
export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  try {
    if (event.RequestType !== 'Delete') {
      const outcome = await ensureSigningKeySet(String(event.ResourceProperties.SecretId));
      console.log(JSON.stringify({ message: 'signing key set', outcome }));
    }
    await respond(event, context, 'SUCCESS');
  } catch (error) {
    console.error(error);
    await respond(event, context, 'FAILED', error instanceof Error ? error.message : String(error));
  }
}
