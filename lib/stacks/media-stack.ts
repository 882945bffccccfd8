import { CfnOutput, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  PriceClass,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  EventType,
  HttpMethods,
} from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { IMAGE_ENV } from '../../functions/catalog/image-objects.ts';
import { ORIGINALS_PREFIX } from '../../functions/catalog/keys.ts';
import type { EnvironmentConfig } from '../config/environments.ts';
import { notifyingAlarm, RUNBOOK_SECTIONS } from '../constructs/alarms.ts';
import { EndpointFunction } from '../constructs/endpoint-function.ts';
import { SHOP_TABLE_INDEXES } from '../constructs/table-definition.ts';
import {
  acknowledgeImageAccess,
  acknowledgeImageBuckets,
  acknowledgeImageDistribution,
  acknowledgeImageProcessing,
} from './nag-suppressions.ts';

/** The image processing function: its id (metrics, alarms, memory) and handler. */
export const IMAGE_PROCESSING_FUNCTION = {
  functionId: 'CatalogProcessImage',
  entry: 'functions/catalog/process-image.ts',
} as const;

/** Where renditions live in their bucket (what the distribution serves). */
const RENDITIONS_PREFIX = 'products/';

export interface MediaStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly table: ITable;
  readonly alarmTopic: ITopic;
}

/**
 * Product images (issue 22): a private uploads bucket that admins PUT originals into with
 * presigned URLs (the bytes never pass through Lambda's 6 MB payload), an S3 notification that
 * runs the processing function (sharp: magic bytes, pixel limit, no metadata, WebP renditions),
 * and a private renditions bucket that a CloudFront distribution serves through an origin
 * access control. Failed processing is retried twice, then parked in a dead-letter queue whose
 * depth alarms.
 */
export class MediaStack extends Stack {
  readonly uploads: Bucket;
  readonly renditions: Bucket;
  readonly distribution: Distribution;
  readonly processing: EndpointFunction;
  readonly deadLetterQueue: Queue;
  /**
   * Export names of the buckets' names and ARNs: the API stack's functions import them by
   * name (stable, unlike CDK's generated exports), and their IAM policies, with the cdk-nag
   * acknowledgements of those, name the buckets by them.
   */
  readonly exportNames: Readonly<
    Record<'uploadsArn' | 'uploadsName' | 'renditionsArn' | 'renditionsName', string>
  >;

  constructor(scope: Construct, id: string, props: MediaStackProps) {
    super(scope, id, props);
    const { config, table, alarmTopic } = props;
    const privateBucket = {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: config.removalPolicy,
    } as const;
    this.uploads = new Bucket(this, 'ImageUploads', {
      ...privateBucket,
      // Originals are deleted once processed; whatever is left (an upload whose processing
      // kept failing) expires, as originals may carry a photo's GPS position.
      lifecycleRules: [
        { expiration: Duration.days(2), abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      // Browsers PUT straight to the bucket from the shop's admin front end.
      ...(config.corsOrigins.length > 0
        ? {
            cors: [
              {
                allowedOrigins: [...config.corsOrigins],
                allowedMethods: [HttpMethods.PUT],
                allowedHeaders: ['content-type'],
                maxAge: 3600,
              },
            ],
          }
        : {}),
    });
    this.renditions = new Bucket(this, 'ImageRenditions', privateBucket);
    this.distribution = new Distribution(this, 'ImageDistribution', {
      comment: `Shop product images (${config.name})`,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.renditions),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        compress: false,
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
    });
    acknowledgeImageBuckets([this.uploads, this.renditions]);
    this.exportNames = {
      uploadsArn: `${this.stackName}-ImageUploadsArn`,
      uploadsName: `${this.stackName}-ImageUploadsName`,
      renditionsArn: `${this.stackName}-ImageRenditionsArn`,
      renditionsName: `${this.stackName}-ImageRenditionsName`,
    };
    const exported = {
      uploadsArn: this.uploads.bucketArn,
      uploadsName: this.uploads.bucketName,
      renditionsArn: this.renditions.bucketArn,
      renditionsName: this.renditions.bucketName,
    };
    for (const [key, value] of Object.entries(exported)) {
      const exportName = this.exportNames[key as keyof typeof exported];
      new CfnOutput(this, exportName.slice(this.stackName.length + 1), { value, exportName });
    }
    acknowledgeImageDistribution(this.distribution);

    this.deadLetterQueue = new Queue(this, 'ImageProcessingDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: config.removalPolicy,
    });
    this.processing = new EndpointFunction(this, 'ProcessImage', {
      ...IMAGE_PROCESSING_FUNCTION,
      config,
      alarmTopic,
      nativeModules: ['sharp'],
      // A 40 MP original takes a few seconds at 1536 MB (docs/performance.md, "Images").
      timeout: Duration.seconds(60),
      environment: {
        [IMAGE_ENV.uploadsBucket]: this.uploads.bucketName,
        [IMAGE_ENV.renditionsBucket]: this.renditions.bucketName,
        [IMAGE_ENV.imagesDomain]: this.distribution.distributionDomainName,
      },
    });
    const fn = this.processing.function;
    this.processing.bindTable(table, 'readwrite', SHOP_TABLE_INDEXES);
    // S3 invokes asynchronously: Lambda retries a failed event twice, then sends it, with the
    // error, to the on-failure destination.
    fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:GetObject', 's3:DeleteObject'],
        resources: [this.uploads.arnForObjects(`${ORIGINALS_PREFIX}*`)],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [this.renditions.arnForObjects(`${RENDITIONS_PREFIX}*`)],
      }),
    );
    this.uploads.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(fn), {
      prefix: ORIGINALS_PREFIX,
    });
    acknowledgeImageProcessing(this, this.processing, {
      uploads: this.getLogicalId(this.uploads.node.defaultChild as CfnBucket),
      renditions: this.getLogicalId(this.renditions.node.defaultChild as CfnBucket),
      originalsPrefix: ORIGINALS_PREFIX,
      renditionsPrefix: RENDITIONS_PREFIX,
      deadLetterQueue: this.deadLetterQueue,
    });
    notifyingAlarm(this, 'ImageProcessingDeadLettersAlarm', {
      config,
      topic: alarmTopic,
      name: 'dlq-image-processing',
      description:
        'Image uploads that the processing function failed on three times are in its dead-letter ' +
        'queue (each message is the S3 event: bucket and key of the original).',
      runbookSection: RUNBOOK_SECTIONS.deadLetters,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 0,
    });
  }

  /**
   * Lets an API function (in another stack) do what its route's `images` says: `upload`
   * presigns PUTs of originals (only under `originals/`), `delete` removes an image's original
   * and renditions. Buckets are imported by export name.
   */
  bindImageAccess(endpoint: EndpointFunction, access: 'upload' | 'delete'): void {
    const fn = endpoint.function;
    const names = this.exportNames;
    fn.addEnvironment(IMAGE_ENV.uploadsBucket, Fn.importValue(names.uploadsName));
    const originals = `${Fn.importValue(names.uploadsArn)}/${ORIGINALS_PREFIX}*`;
    const renditions = `${Fn.importValue(names.renditionsArn)}/${RENDITIONS_PREFIX}*`;
    if (access === 'delete')
      fn.addEnvironment(IMAGE_ENV.renditionsBucket, Fn.importValue(names.renditionsName));
    fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [access === 'upload' ? 's3:PutObject' : 's3:DeleteObject'],
        resources: access === 'upload' ? [originals] : [originals, renditions],
      }),
    );
    acknowledgeImageAccess(endpoint.role, access, names, ORIGINALS_PREFIX, RENDITIONS_PREFIX);
  }
}
