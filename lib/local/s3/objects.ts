import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** One stored object: its bytes and what S3 keeps with them. */
export interface S3Object {
  readonly key: string;
  readonly body: Buffer;
  readonly contentType: string;
  /** Quoted MD5 of the body, as S3 answers for a single-part upload. */
  readonly etag: string;
  readonly lastModified: Date;
  /** `Cache-Control` given at upload, answered on GET. */
  readonly cacheControl?: string;
  /** User metadata (`x-amz-meta-*`), lower-case names without the prefix. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** What a bucket allows a browser (its `CorsConfiguration.CorsRules`). */
export interface CorsRule {
  readonly AllowedOrigins: readonly string[];
  readonly AllowedMethods: readonly string[];
  readonly AllowedHeaders?: readonly string[];
  readonly ExposedHeaders?: readonly string[];
  readonly MaxAge?: number;
}

export interface BucketSettings {
  /**
   * Anyone may GET and HEAD its objects without a signature: a bucket that is a CloudFront
   * distribution's origin, read through the distribution's origin access control.
   */
  readonly servedByDistribution?: boolean;
  readonly cors?: readonly CorsRule[];
}

interface Bucket {
  readonly name: string;
  settings: BucketSettings;
  readonly objects: Map<string, S3Object>;
}

/**
 * The buckets and their objects, in memory, and also in files under `persistDir` when given
 * (`npm start` keeps its data between runs): `<dir>/<bucket>/<encoded key>` and a `.json` beside it.
 */
export class ObjectStore {
  private readonly buckets = new Map<string, Bucket>();
  private readonly persistDir: string | undefined;

  constructor(persistDir?: string) {
    this.persistDir = persistDir;
  }

  /** Creates a bucket unless it exists (its objects loaded from disk when persisted); updates its settings. */
  ensureBucket(name: string, settings: BucketSettings = {}): void {
    const existing = this.buckets.get(name);
    if (existing) {
      existing.settings = settings;
      return;
    }
    const bucket: Bucket = { name, settings, objects: new Map() };
    this.buckets.set(name, bucket);
    const dir = this.bucketDir(name);
    if (!dir || !existsSync(dir)) return;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const meta = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Omit<
        S3Object,
        'body' | 'lastModified'
      > & {
        lastModified: string;
      };
      const body = readFileSync(path.join(dir, file.slice(0, -'.json'.length)));
      bucket.objects.set(meta.key, { ...meta, body, lastModified: new Date(meta.lastModified) });
    }
  }

  bucket(name: string): Bucket | undefined {
    return this.buckets.get(name);
  }

  bucketNames(): string[] {
    return [...this.buckets.keys()];
  }

  put(bucketName: string, object: Omit<S3Object, 'etag' | 'lastModified'>): S3Object {
    const bucket = this.required(bucketName);
    const stored: S3Object = {
      ...object,
      etag: `"${createHash('md5').update(object.body).digest('hex')}"`,
      lastModified: new Date(),
    };
    bucket.objects.set(object.key, stored);
    const dir = this.bucketDir(bucketName);
    if (dir) {
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, encodeURIComponent(object.key));
      writeFileSync(file, stored.body);
      const { body: _body, ...meta } = stored;
      writeFileSync(`${file}.json`, JSON.stringify(meta));
    }
    return stored;
  }

  get(bucketName: string, key: string): S3Object | undefined {
    return this.buckets.get(bucketName)?.objects.get(key);
  }

  /** Removes an object; true when there was one (S3 answers 204 either way). */
  delete(bucketName: string, key: string): boolean {
    const removed = this.required(bucketName).objects.delete(key);
    const dir = this.bucketDir(bucketName);
    if (dir && removed) {
      const file = path.join(dir, encodeURIComponent(key));
      rmSync(file, { force: true });
      rmSync(`${file}.json`, { force: true });
    }
    return removed;
  }

  /** Keys under a prefix, in key order (ListObjectsV2's order). */
  list(bucketName: string, prefix = ''): S3Object[] {
    return [...this.required(bucketName).objects.values()]
      .filter((object) => object.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private required(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket)
      throw Object.assign(new Error(`The specified bucket does not exist: ${name}`), {
        code: 'NoSuchBucket',
      });
    return bucket;
  }

  private bucketDir(name: string): string | undefined {
    return this.persistDir ? path.join(this.persistDir, name) : undefined;
  }
}
