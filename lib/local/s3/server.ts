import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import { crc32 } from 'node:zlib';
import type { CorsRule, ObjectStore, S3Object } from './objects.ts';
import { queryPairs, SignatureError, type SigningCredentials, verifySigV4 } from './sigv4.ts';

/** A change S3 announces to the bucket's notification targets. */
export interface ObjectEvent {
  readonly eventName: 'ObjectCreated:Put' | 'ObjectRemoved:Delete';
  readonly bucket: string;
  readonly object: { readonly key: string; readonly size: number; readonly etag?: string };
  readonly time: Date;
}

export interface S3ServerOptions {
  readonly store: ObjectStore;
  readonly credentials: SigningCredentials;
  readonly region: string;
  readonly onEvent: (event: ObjectEvent) => void;
  readonly log?: (line: string) => void;
}

/** The largest body accepted in one PUT here (S3's is 5 GB; an emulator keeps bodies in memory). */
export const MAX_LOCAL_OBJECT_BYTES = 64 * 1024 * 1024;

const xmlEscape = (value: string) =>
  value.replace(/[<>&'"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`);

/** S3's XML error body. */
function sendError(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  resource = '',
): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID() });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>` +
      `<Resource>${xmlEscape(resource)}</Resource></Error>`,
  );
}

function objectHeaders(object: S3Object): Record<string, string> {
  return {
    'content-type': object.contentType,
    'content-length': String(object.body.length),
    etag: object.etag,
    'last-modified': object.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    ...(object.cacheControl ? { 'cache-control': object.cacheControl } : {}),
    ...Object.fromEntries(Object.entries(object.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
  };
}

/** The CORS headers a bucket's rules give this origin and method, if any rule matches. */
function corsHeaders(rules: readonly CorsRule[] | undefined, origin: string | undefined, method: string) {
  if (!rules || !origin) return undefined;
  const rule = rules.find(
    (r) =>
      (r.AllowedOrigins.includes('*') || r.AllowedOrigins.includes(origin)) &&
      r.AllowedMethods.includes(method),
  );
  if (!rule) return undefined;
  return {
    'access-control-allow-origin': rule.AllowedOrigins.includes('*') ? '*' : origin,
    'access-control-allow-methods': rule.AllowedMethods.join(', '),
    'access-control-allow-headers': (rule.AllowedHeaders ?? []).join(', '),
    ...(rule.ExposedHeaders ? { 'access-control-expose-headers': rule.ExposedHeaders.join(', ') } : {}),
    ...(rule.MaxAge ? { 'access-control-max-age': String(rule.MaxAge) } : {}),
    vary: 'Origin',
  };
}

function listObjectsV2(res: http.ServerResponse, store: ObjectStore, bucket: string, url: string) {
  const params = new Map(queryPairs(url));
  const prefix = params.get('prefix') ?? '';
  const max = Math.min(Number(params.get('max-keys') ?? 1000) || 1000, 1000);
  const after = params.get('continuation-token') ?? params.get('start-after') ?? '';
  const all = store.list(bucket, prefix).filter((object) => object.key > after);
  const page = all.slice(0, max);
  const truncated = all.length > page.length;
  const contents = page
    .map(
      (o) =>
        `<Contents><Key>${xmlEscape(o.key)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified>` +
        `<ETag>${xmlEscape(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    )
    .join('');
  res.writeHead(200, { 'content-type': 'application/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount>` +
      `<MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}` +
      (truncated
        ? `<NextContinuationToken>${xmlEscape(page.at(-1)?.key ?? '')}</NextContinuationToken>`
        : '') +
      '</ListBucketResult>',
  );
}

/** Answers one request whose body has been read (path-style: `/<bucket>/<key>`). */
function answer(options: S3ServerOptions, req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) {
  const { store } = options;
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const [rawBucket = '', ...rawKey] = (url.split('?')[0] ?? '').slice(1).split('/');
  const bucketName = decodeURIComponent(rawBucket);
  const key = decodeURIComponent(rawKey.join('/'));
  const resource = `/${bucketName}/${key}`;
  const bucket = store.bucket(bucketName);
  if (!bucket) return sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', bucketName);
  const cors = corsHeaders(
    bucket.settings.cors,
    req.headers.origin,
    method === 'OPTIONS' ? String(req.headers['access-control-request-method'] ?? '') : method,
  );
  if (method === 'OPTIONS') {
    if (!cors)
      return sendError(res, 403, 'AccessForbidden', 'CORSResponse: This CORS request is not allowed.');
    res.writeHead(200, cors);
    return res.end();
  }
  for (const [name, value] of Object.entries(cors ?? {})) res.setHeader(name, value);
  const anonymousRead = bucket.settings.servedByDistribution && (method === 'GET' || method === 'HEAD');
  if (!anonymousRead || req.headers.authorization || url.includes('X-Amz-Signature=')) {
    try {
      verifySigV4(
        { method, url, headers: req.headers, bodySha256: createHash('sha256').update(body).digest('hex') },
        options.credentials,
        options.region,
      );
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      return sendError(res, error.status, error.code, error.message, resource);
    }
  }
  if (!key) {
    if (method === 'GET' && url.includes('list-type=2')) return listObjectsV2(res, store, bucketName, url);
    if (method === 'HEAD') return res.writeHead(200).end();
    options.log?.(`[s3] unsupported bucket request ${method} ${url}`);
    return sendError(res, 501, 'NotImplemented', `${method} on a bucket is not emulated locally.`, resource);
  }
  switch (method) {
    case 'PUT': {
      if (body.length > MAX_LOCAL_OBJECT_BYTES)
        return sendError(
          res,
          400,
          'EntityTooLarge',
          'Your proposed upload exceeds the maximum allowed size',
          resource,
        );
      // A CRC32 the client declared (header, or query of a presigned URL) must be the body's.
      const declaredCrc =
        req.headers['x-amz-checksum-crc32'] ?? new Map(queryPairs(url)).get('x-amz-checksum-crc32');
      if (declaredCrc !== undefined) {
        const actual = Buffer.alloc(4);
        actual.writeUInt32BE(crc32(body));
        if (actual.toString('base64') !== declaredCrc)
          return sendError(
            res,
            400,
            'BadDigest',
            'The CRC32 you specified did not match the calculated checksum.',
            resource,
          );
      }
      const metadata = Object.fromEntries(
        Object.entries(req.headers).flatMap(([name, value]) =>
          name.startsWith('x-amz-meta-') && typeof value === 'string' ? [[name.slice(11), value]] : [],
        ),
      );
      const stored = store.put(bucketName, {
        key,
        body,
        contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
        cacheControl: req.headers['cache-control'],
        metadata,
      });
      res.writeHead(200, { etag: stored.etag, 'x-amz-request-id': randomUUID() });
      res.end();
      return options.onEvent({
        eventName: 'ObjectCreated:Put',
        bucket: bucketName,
        object: { key, size: body.length, etag: stored.etag.replaceAll('"', '') },
        time: stored.lastModified,
      });
    }
    case 'GET':
    case 'HEAD': {
      const object = store.get(bucketName, key);
      if (!object) {
        if (method === 'HEAD') return res.writeHead(404).end();
        return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.', resource);
      }
      res.writeHead(200, objectHeaders(object));
      return res.end(method === 'GET' ? object.body : undefined);
    }
    case 'DELETE': {
      const removed = store.delete(bucketName, key);
      res.writeHead(204).end();
      if (removed)
        options.onEvent({
          eventName: 'ObjectRemoved:Delete',
          bucket: bucketName,
          object: { key, size: 0 },
          time: new Date(),
        });
      return;
    }
    default:
      options.log?.(`[s3] unsupported request ${method} ${url}`);
      return sendError(res, 501, 'NotImplemented', `${method} is not emulated locally.`, resource);
  }
}

/** The HTTP side of the local S3: each request read whole (up to the local limit), then answered. */
export function s3Server(options: S3ServerOptions): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_LOCAL_OBJECT_BYTES + 1) chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        answer(options, req, res, Buffer.concat(chunks));
      } catch (error) {
        options.log?.(
          `[s3] ${req.method} ${req.url} failed: ${error instanceof Error ? error.stack : String(error)}`,
        );
        sendError(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      }
    });
  });
}
