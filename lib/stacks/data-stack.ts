import { CustomResource, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environments.ts';
import { EndpointFunction } from '../constructs/endpoint-function.ts';
import { ShopTable } from '../constructs/shop-table.ts';
import {
  acknowledgeCursorSecret,
  acknowledgeDeployFunction,
  acknowledgeProviderSecret,
  acknowledgeSigningKeySecret,
} from './nag-suppressions.ts';

export interface DataStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * The stateful half of an environment: the table and the secrets. Kept apart from the API so
 * the API stack can be replaced freely while the data, with its removal policy, stays.
 */
export class DataStack extends Stack {
  readonly table: Table;
  /** HMAC key that makes pagination cursors tamper-evident. */
  readonly cursorSecret: Secret;
  /** RSA key set that signs access tokens (filled at deploy time by `Custom::SigningKeySet`). */
  readonly signingKeySecret: Secret;
  /** The payment webhook signing secret (Stripe's `whsec_...` for Stripe; generated for simulated). */
  readonly paymentWebhookSecret: Secret;
  /** Stripe's secret API key, set by an operator; only where the provider is Stripe. */
  readonly stripeApiKeySecret?: Secret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.table = new ShopTable(this, 'Shop', config).table;
    this.cursorSecret = new Secret(this, 'CursorSigningKey', {
      description: `HMAC key for pagination cursors (${config.name})`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: config.removalPolicy,
    });
    acknowledgeCursorSecret(this.cursorSecret);

    this.signingKeySecret = new Secret(this, 'TokenSigningKeys', {
      description: `RSA key set that signs access tokens (${config.name})`,
      removalPolicy: config.removalPolicy,
    });
    acknowledgeSigningKeySecret(this.signingKeySecret);
    // Secrets Manager cannot generate an RSA key; this deploy-time function puts one in,
    // once, and keeps it on later deployments.
    const initKey = new EndpointFunction(this, 'InitSigningKey', {
      entry: 'functions/ops/init-signing-key.ts',
      config,
    });
    this.signingKeySecret.grantRead(initKey.function);
    this.signingKeySecret.grantWrite(initKey.function);
    acknowledgeDeployFunction(initKey);
    this.paymentWebhookSecret = new Secret(this, 'PaymentWebhookSecret', {
      description: `Signing secret of payment provider webhooks (${config.name})`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: config.removalPolicy,
    });
    acknowledgeProviderSecret(this.paymentWebhookSecret);
    if (config.paymentProvider === 'stripe') {
      this.stripeApiKeySecret = new Secret(this, 'StripeApiKey', {
        description: `Stripe secret API key (${config.name}); set it after the first deploy`,
        removalPolicy: config.removalPolicy,
      });
      acknowledgeProviderSecret(this.stripeApiKeySecret);
    }
    new CustomResource(this, 'SigningKeySet', {
      serviceToken: initKey.function.functionArn,
      resourceType: 'Custom::SigningKeySet',
      properties: { SecretId: this.signingKeySecret.secretArn },
    });
  }
}
