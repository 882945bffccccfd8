import { CustomResource, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environments.ts';
import { notifyingAlarm, RUNBOOK_SECTIONS } from '../constructs/alarms.ts';
import { EndpointFunction } from '../constructs/endpoint-function.ts';
import { ShopTable } from '../constructs/shop-table.ts';
import {
  acknowledgeAlarmEmailSubscription,
  acknowledgeCursorSecret,
  acknowledgeDeployFunction,
  acknowledgeProviderSecret,
  acknowledgeRotationFunction,
} from './nag-suppressions.ts';

/**
 * The deploy-time functions of the signing key. Their construct ids (`InitSigningKey`,
 * `RotateSigningKey`) name their resources; their function ids name their metrics and alarms.
 */
export const SIGNING_KEY_FUNCTIONS = {
  init: { functionId: 'OpsInitSigningKey', entry: 'functions/ops/init-signing-key.ts' },
  rotate: { functionId: 'OpsRotateSigningKey', entry: 'functions/ops/rotate-signing-key.ts' },
} as const;

export interface DataStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/** The table operations our code performs: their throttles and system errors alarm (at most 10 per alarm). */
const TABLE_OPERATIONS = [
  Operation.GET_ITEM,
  Operation.BATCH_GET_ITEM,
  Operation.QUERY,
  Operation.PUT_ITEM,
  Operation.UPDATE_ITEM,
  Operation.DELETE_ITEM,
  Operation.BATCH_WRITE_ITEM,
  Operation.TRANSACT_WRITE_ITEMS,
  Operation.GET_RECORDS,
];

/**
 * The stateful half of an environment: the table, the secrets and the alarm topic (whose email
 * subscription must be confirmed once). Kept apart from the API so the API stack can be replaced
 * freely while the data, with its removal policy, stays.
 */
export class DataStack extends Stack {
  readonly table: Table;
  /** HMAC key that makes pagination cursors tamper-evident. */
  readonly cursorSecret: Secret;
  /** RSA key set that signs access tokens (filled at deploy time by `Custom::SigningKeySet`, rotated on a schedule). */
  readonly signingKeySecret: Secret;
  /** The payment webhook signing secret (Stripe's `whsec_...` for Stripe; generated for simulated). */
  readonly paymentWebhookSecret: Secret;
  /** Stripe's secret API key, set by an operator; only where the provider is Stripe. */
  readonly stripeApiKeySecret?: Secret;
  /** Every alarm of the environment notifies this one topic. */
  readonly alarmTopic: Topic;
  readonly tableAlarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.alarmTopic = alarmTopic(this, config);
    const alarmTopicProp = { alarmTopic: this.alarmTopic };

    this.table = new ShopTable(this, 'Shop', config).table;
    this.tableAlarms = [
      notifyingAlarm(this, 'TableThrottlesAlarm', {
        config,
        topic: this.alarmTopic,
        name: 'dynamodb-throttles',
        description:
          'DynamoDB throttled requests to the table (a hot partition, or a burst beyond on-demand limits).',
        runbookSection: RUNBOOK_SECTIONS.dynamoThrottles,
        metric: this.table.metricThrottledRequestsForOperations({
          operations: TABLE_OPERATIONS,
          period: Duration.minutes(5),
        }),
        threshold: 0,
      }),
      notifyingAlarm(this, 'TableSystemErrorsAlarm', {
        config,
        topic: this.alarmTopic,
        name: 'dynamodb-system-errors',
        description: 'DynamoDB answered requests to the table with 500s (its fault; the SDK retried them).',
        runbookSection: RUNBOOK_SECTIONS.dynamoSystemErrors,
        metric: this.table.metricSystemErrorsForOperations({
          operations: TABLE_OPERATIONS,
          period: Duration.minutes(5),
        }),
        threshold: 0,
      }),
    ];

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
    // Secrets Manager cannot generate an RSA key; this deploy-time function puts one in,
    // once, and keeps it on later deployments.
    const initKey = new EndpointFunction(this, 'InitSigningKey', {
      ...SIGNING_KEY_FUNCTIONS.init,
      config,
      ...alarmTopicProp,
    });
    this.signingKeySecret.grantRead(initKey.function);
    this.signingKeySecret.grantWrite(initKey.function);
    acknowledgeDeployFunction(initKey);
    const keySet = new CustomResource(this, 'SigningKeySet', {
      serviceToken: initKey.function.functionArn,
      resourceType: 'Custom::SigningKeySet',
      properties: { SecretId: this.signingKeySecret.secretArn },
    });
    // The README's rotation procedure as a rotation function: each run promotes the key the last
    // run published, keeps the replaced key published, and stages the next.
    const rotateKey = new EndpointFunction(this, 'RotateSigningKey', {
      ...SIGNING_KEY_FUNCTIONS.rotate,
      config,
      ...alarmTopicProp,
    });
    acknowledgeRotationFunction(rotateKey);
    const rotation = this.signingKeySecret.addRotationSchedule('Rotation', {
      rotationLambda: rotateKey.function,
      automaticallyAfter: Duration.days(config.signingKeyRotationDays),
      // The first key set comes from the custom resource; rotating on creation would race it.
      rotateImmediatelyOnUpdate: false,
    });
    rotation.node.addDependency(keySet);

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
  }
}

/**
 * The environment's alarm topic, encrypted with a key of its own: CloudWatch alarms cannot
 * publish to a topic under the AWS-managed `aws/sns` key (its policy does not let CloudWatch
 * use it), so this key's policy does. An email subscription when the config names one.
 */
function alarmTopic(scope: Construct, config: EnvironmentConfig): Topic {
  const key = new Key(scope, 'AlarmTopicKey', {
    description: `Encrypts the shop alarm topic (${config.name})`,
    enableKeyRotation: true,
    removalPolicy: config.removalPolicy,
  });
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  const topic = new Topic(scope, 'AlarmTopic', {
    displayName: `Shop alarms (${config.name})`,
    enforceSSL: true,
    masterKey: key,
  });
  if (config.alarms.email) {
    acknowledgeAlarmEmailSubscription(topic.addSubscription(new EmailSubscription(config.alarms.email)));
  }
  return topic;
}
