import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ConfigurationSet, EmailIdentity, Identity, SuppressionReasons } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environments.ts';

/**
 * Amazon SES v2 for the shop's transactional email: the environment's domain identity
 * (Easy DKIM: publish the three CNAME records SES shows; see README "Email"), and a
 * configuration set that every send names, with reputation metrics and the account-level
 * suppression list applied for bounces and complaints. Suppression is SES's own, not items of
 * ours: SES adds hard-bouncing and complaining addresses itself and refuses later sends to
 * them, before any cost or reputation damage, with no SNS topic, consumer or extra read per
 * email to keep. `grantSend` allows `ses:SendEmail` from this identity in this configuration
 * set, nothing else.
 */
export class TransactionalEmail extends Construct {
  readonly configurationSetName: string;
  readonly fromAddress: string;
  readonly identity: EmailIdentity;

  constructor(scope: Construct, id: string, props: { readonly config: EnvironmentConfig }) {
    super(scope, id);
    const { config } = props;
    this.configurationSetName = `shop-${config.name}`;
    this.fromAddress = config.email.fromAddress;
    const configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: this.configurationSetName,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.identity = new EmailIdentity(this, 'Identity', {
      identity: Identity.domain(config.email.domain),
      configurationSet,
    });
  }

  /** `ses:SendEmail` on this identity and configuration set only. */
  grantSend(fn: IFunction): void {
    const stack = Stack.of(this);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          stack.formatArn({
            service: 'ses',
            resource: 'identity',
            resourceName: this.identity.emailIdentityName,
          }),
          stack.formatArn({
            service: 'ses',
            resource: 'configuration-set',
            resourceName: this.configurationSetName,
          }),
        ],
      }),
    );
  }
}
