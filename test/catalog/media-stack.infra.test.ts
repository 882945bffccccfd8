import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { IMAGE_PROCESSING_FUNCTION } from '../../lib/stacks/media-stack.ts';
import { resourcesOfType, synthesizeShop } from '../infra/shop-app.ts';

const prod = () => synthesizeShop('prod');
/** A function's staged asset: `asset.<hash>` for the `<hash>.zip` its code points at. */
const assetDir = (assemblyDir: string, code: unknown) =>
  path.join(
    assemblyDir,
    `asset.${String((code as { S3Key?: unknown } | undefined)?.S3Key).replace(/\.zip$/, '')}`,
  );
const media = () => Template.fromStack(prod().stacks.media);

describe('the media stack (product images)', () => {
  it('keeps both buckets private, encrypted and TLS-only; uploads expire', () => {
    const buckets = resourcesOfType(media(), 'AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(2);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties?.BucketEncryption).toBeDefined();
    }
    media().hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 2, Status: 'Enabled' })] },
    });
    media().hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('serves renditions through CloudFront with an origin access control, HTTPS only', () => {
    media().resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    media().hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
      }),
    });
  });

  it('runs the processing function on uploads under originals/, retrying twice into a failure queue', () => {
    media().hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          Match.objectLike({
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'originals/' }] } },
          }),
        ],
      },
    });
    media().hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    media().hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: Match.stringLikeRegexp('dlq-image-processing'),
    });
  });

  it('gives the processing function its measured memory, arm64, and sharp’s linux-arm64 binary in its asset', () => {
    const [, fn] =
      Object.entries(resourcesOfType(media(), 'AWS::Lambda::Function')).find(
        ([, resource]) => resource.Metadata?.['shop:function-id'] === IMAGE_PROCESSING_FUNCTION.functionId,
      ) ?? [];
    expect(fn?.Properties).toMatchObject({ MemorySize: 1536, Architectures: ['arm64'], Timeout: 60 });
    const asset = assetDir(prod().assembly.directory, fn?.Properties?.Code);
    expect(readdirSync(path.join(asset, 'node_modules', '@img')).sort()).toEqual([
      'colour',
      'sharp-libvips-linux-arm64',
      'sharp-linux-arm64',
    ]);
    expect(existsSync(path.join(asset, 'node_modules', 'sharp', 'package.json'))).toBe(true);
  });

  it('lets the local environment ship this machine’s sharp instead', () => {
    const local = synthesizeShop('local');
    const [, fn] =
      Object.entries(resourcesOfType(Template.fromStack(local.stacks.media), 'AWS::Lambda::Function')).find(
        ([, resource]) => resource.Metadata?.['shop:function-id'] === IMAGE_PROCESSING_FUNCTION.functionId,
      ) ?? [];
    const asset = assetDir(local.assembly.directory, fn?.Properties?.Code);
    expect(readdirSync(path.join(asset, 'node_modules', '@img'))).toContain(
      `sharp-${process.platform}-${process.arch}`,
    );
  });
});
