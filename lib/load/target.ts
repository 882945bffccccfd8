import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ShopBackend } from '../demo/backend-hooks.ts';
import type { LoadTarget } from './model.ts';

/** Where the load's payments go: the Stripe provider pointed at a fake Stripe, with its key in local Secrets Manager. */
export const LOAD_STRIPE_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:load-stripe';

/** The variables that make a local backend charge through a (fake) Stripe at `stripeUrl`. */
export const stripeEnvironment = (stripeUrl: string): Record<string, string> => ({
  PAYMENT_PROVIDER: 'stripe',
  STRIPE_API_BASE: stripeUrl,
  STRIPE_API_KEY_SECRET_ARN: LOAD_STRIPE_KEY_ARN,
});

/** What the load needs to know of a running local backend: URLs, its admin, its webhook secret, its mailbox. */
export async function loadTargetOf(backend: ShopBackend): Promise<LoadTarget> {
  const admin = backend.seeded?.admin;
  if (!admin) throw new Error('The backend to load must be seeded (it creates the admin).');
  if (!backend.webSocketUrl) throw new Error('The backend to load has no WebSocket API.');
  const arn = [...backend.functions.values()]
    .map((fn) => fn.spec.environment.PAYMENT_WEBHOOK_SECRET_ARN)
    .find((value) => value);
  if (!arn) throw new Error('No function of the backend has PAYMENT_WEBHOOK_SECRET_ARN.');
  const client = new SecretsManagerClient({
    endpoint: backend.secretsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (!out.SecretString) throw new Error('The payment webhook secret has no value.');
    return {
      url: backend.url,
      webSocketUrl: backend.webSocketUrl,
      admin: { email: admin.email, password: admin.password },
      webhookSecret: out.SecretString,
      mailbox: { storeUrl: backend.ses.storeUrl },
    };
  } finally {
    client.destroy();
  }
}
