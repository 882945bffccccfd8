/**
 * A local Amazon S3: path-style REST (`/<bucket>/<key>`) for what the app does with objects
 * (PutObject, GetObject, HeadObject, DeleteObject, ListObjectsV2), with AWS Signature Version 4
 * checked on every request as S3 checks it (presigned URLs: signature, scope and expiry; signed
 * headers compared with those actually sent, so a presigned PUT that signed `content-type` and
 * `content-length` refuses another type or size), event notifications to the template's
 * functions (`Custom::S3BucketNotifications`, see notifications.ts), and the buckets a
 * CloudFront distribution serves readable without a signature (the local stand-in for the
 * distribution and its origin access control). Functions reach it through
 * `AWS_ENDPOINT_URL_S3`; the SDK signs path-style for an IP endpoint, so no function has a
 * local-only code path.
 *
 * Why our own and not a package (issue 22): `fauxqs` 2.4.1 (the registry's latest, S3+SQS+SNS,
 * Node >= 22.5) accepts presigned URLs without checking their signature, expiry or signed
 * headers, and has no event notifications, so it would need both added around its `buildApp()`
 * (a request hook re-implementing SigV4, and our own dispatch) plus its dependency tree
 * (Fastify and its plugins) in every install; what remained ours would be the part that matters.
 * `s3rver` is unmaintained (last release 2021, no SigV4 presign checks either); MinIO and
 * LocalStack are a server binary and Docker. This is ~450 lines of our code with no
 * dependencies, and it refuses exactly what S3 refuses for the flows the app uses.
 *
 * Not emulated: virtual-hosted-style addressing, multipart uploads, chunked (`aws-chunked`)
 * payloads, POST policy uploads, versioning, ACLs and bucket policies (any valid signature of
 * the local account may do anything), ranges, conditional requests, lifecycle rules, checksums
 * beyond `x-amz-content-sha256`.
 */
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../account.ts';
import { resourcesOfType, type TemplateResolver } from '../cloudformation/template.ts';
import { closeServer, listen } from '../net.ts';
import type { LocalService } from '../services.ts';
import { type BucketSettings, type CorsRule, ObjectStore, type S3Object } from './objects.ts';
import { type ObjectEvent, s3Server } from './server.ts';

export type { ObjectEvent } from './server.ts';

export interface LocalS3 extends LocalService {
  /** `http://127.0.0.1:<port>`; objects are at `<endpoint>/<bucket>/<key>`. */
  readonly endpoint: string;
  /** Creates a bucket unless it exists; sets its CORS rules and whether a distribution serves it. */
  ensureBucket(name: string, settings?: BucketSettings): void;
  /** An object as stored, or undefined (in process: tests and tools). */
  getObject(bucket: string, key: string): S3Object | undefined;
  /** The buckets' names. */
  bucketNames(): string[];
  /** Keys of a bucket under a prefix, in key order. */
  listKeys(bucket: string, prefix?: string): string[];
  /** Called after every change a notification could announce (uploads, deletions). */
  onEvent(listener: (event: ObjectEvent) => void): void;
  stop(): Promise<void>;
}

export interface LocalS3Options {
  /** Port to listen on (127.0.0.1); a free one when omitted or 0. */
  readonly port?: number;
  /** Keep objects in files under this directory; in memory when omitted. */
  readonly persistDir?: string;
  readonly log?: (line: string) => void;
}

/** Starts the local S3 on 127.0.0.1 and resolves once it listens. */
export async function startLocalS3(options: LocalS3Options = {}): Promise<LocalS3> {
  const store = new ObjectStore(options.persistDir);
  const listeners: ((event: ObjectEvent) => void)[] = [];
  const server = s3Server({
    store,
    credentials: LOCAL_CREDENTIALS,
    region: LOCAL_REGION,
    log: options.log,
    onEvent: (event) => {
      for (const listener of listeners) listener(event);
    },
  });
  const endpoint = `http://127.0.0.1:${await listen(server, options.port, '127.0.0.1')}`;
  return {
    endpoint,
    functionEnvironment: { AWS_ENDPOINT_URL_S3: endpoint },
    ensureBucket: (name, settings) => store.ensureBucket(name, settings),
    getObject: (bucket, key) => store.get(bucket, key),
    bucketNames: () => store.bucketNames(),
    listKeys: (bucket, prefix) => store.list(bucket, prefix).map((object) => object.key),
    onEvent: (listener) => listeners.push(listener),
    stop: () => closeServer(server),
  };
}

/**
 * Creates the template's `AWS::S3::Bucket`s under their local names, with their CORS rules, and
 * marks those a CloudFront distribution has as an origin as served by it.
 */
export function ensureTemplateBuckets(s3: LocalS3, resolver: TemplateResolver): void {
  const served = new Set(
    resourcesOfType(resolver.assembly, 'AWS::CloudFront::Distribution').flatMap(({ stackName, resource }) => {
      const config = resource.Properties?.DistributionConfig as
        | { Origins?: { DomainName?: unknown }[] }
        | undefined;
      return (config?.Origins ?? []).flatMap((origin) => {
        const getAtt = (origin.DomainName as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
        return getAtt ? [resolver.resource(stackName, getAtt[0]).ref] : [];
      });
    }),
  );
  for (const { stackName, logicalId, resource } of resourcesOfType(resolver.assembly, 'AWS::S3::Bucket')) {
    const name = resolver.resource(stackName, logicalId).ref;
    const cors = resolver.resolve(
      (resource.Properties?.CorsConfiguration as { CorsRules?: unknown } | undefined)?.CorsRules ?? [],
      stackName,
    ) as CorsRule[];
    s3.ensureBucket(name, { servedByDistribution: served.has(name), cors });
  }
}
