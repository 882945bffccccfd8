import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../lib/local/account.ts';
import { type LocalS3, type ObjectEvent, startLocalS3 } from '../../../lib/local/s3/index.ts';

let s3: LocalS3;
let client: S3Client;
const events: ObjectEvent[] = [];
const BUCKET = 'uploads';
const SERVED = 'renditions';

beforeAll(async () => {
  s3 = await startLocalS3();
  s3.ensureBucket(BUCKET);
  s3.ensureBucket(SERVED, { servedByDistribution: true });
  s3.onEvent((event) => events.push(event));
  // As the app's functions configure it: no checksum of an unknown body in presigned URLs.
  client = new S3Client({
    region: LOCAL_REGION,
    endpoint: s3.endpoint,
    credentials: LOCAL_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
});
afterAll(() => s3?.stop());

/** A presigned PUT that signs the type and size, as the images route hands out. */
const presignedPut = (
  key: string,
  contentType: string,
  contentLength: number,
  { expiresIn = 300, c = client, signingDate = new Date() } = {},
) =>
  getSignedUrl(
    c,
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      ContentType: contentType,
      ContentLength: contentLength,
    }),
    {
      expiresIn,
      signingDate,
      signableHeaders: new Set(['content-type', 'content-length']),
    },
  );

/** PUTs `body` to a presigned URL as a browser would, with the content type it names. */
const upload = (url: string, contentType: string, body: string) =>
  fetch(url, { method: 'PUT', headers: { 'content-type': contentType }, body });

const errorCode = async (response: Response) => /<Code>([^<]+)<\/Code>/.exec(await response.text())?.[1];

describe('the local S3: presigned uploads checked as S3 checks them', () => {
  it('accepts the upload the URL was signed for, stores it and announces it', async () => {
    const url = await presignedPut('originals/a b.jpg', 'image/jpeg', 5);
    const response = await upload(url, 'image/jpeg', 'hello');
    expect(response.status).toBe(200);
    expect(s3.getObject(BUCKET, 'originals/a b.jpg')?.body.toString()).toBe('hello');
    expect(events.at(-1)).toMatchObject({
      eventName: 'ObjectCreated:Put',
      bucket: BUCKET,
      object: { key: 'originals/a b.jpg', size: 5 },
    });
  });

  it('refuses another content type, another size, a tampered signature and an expired URL', async () => {
    const url = await presignedPut('originals/b.jpg', 'image/jpeg', 5);
    const otherType = await upload(url, 'image/png', 'hello');
    expect([otherType.status, await errorCode(otherType)]).toEqual([403, 'SignatureDoesNotMatch']);
    const larger = await upload(url, 'image/jpeg', 'hello!');
    expect([larger.status, await errorCode(larger)]).toEqual([403, 'SignatureDoesNotMatch']);
    const tampered = url.replace(
      /X-Amz-Signature=([0-9a-f])/,
      (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`,
    );
    const forged = await upload(tampered, 'image/jpeg', 'hello');
    expect([forged.status, await errorCode(forged)]).toEqual([403, 'SignatureDoesNotMatch']);
    const expiredUrl = await presignedPut('originals/c.jpg', 'image/jpeg', 5, {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 120_000),
    });
    const expired = await upload(expiredUrl, 'image/jpeg', 'hello');
    expect([expired.status, await errorCode(expired)]).toEqual([403, 'AccessDenied']);
    expect(s3.getObject(BUCKET, 'originals/b.jpg')).toBeUndefined();
    expect(s3.getObject(BUCKET, 'originals/c.jpg')).toBeUndefined();
  });

  it('refuses a body whose CRC32 is not the one a URL declared (what the SDK signs by default)', async () => {
    const defaults = new S3Client({
      region: LOCAL_REGION,
      endpoint: s3.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    const url = await presignedPut('originals/d.jpg', 'image/jpeg', 5, { c: defaults });
    const response = await upload(url, 'image/jpeg', 'hello');
    expect([response.status, await errorCode(response)]).toEqual([400, 'BadDigest']);
  });

  it('serves the SDK (header-signed) and refuses unsigned requests except reads of a distribution’s bucket', async () => {
    await client.send(
      new PutObjectCommand({
        Bucket: SERVED,
        Key: 'p/1.webp',
        Body: Buffer.from('webp'),
        ContentType: 'image/webp',
      }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket: SERVED, Key: 'p/1.webp' }));
    expect([got.ContentType, await got.Body?.transformToString()]).toEqual(['image/webp', 'webp']);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: SERVED, Prefix: 'p/' }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['p/1.webp']);
    const anonymous = await fetch(`${s3.endpoint}/${SERVED}/p/1.webp`);
    expect([anonymous.status, anonymous.headers.get('content-type')]).toEqual([200, 'image/webp']);
    const privateRead = await fetch(`${s3.endpoint}/${BUCKET}/originals/a%20b.jpg`);
    expect([privateRead.status, await errorCode(privateRead)]).toEqual([403, 'AccessDenied']);
    const anonymousWrite = await fetch(`${s3.endpoint}/${SERVED}/p/2.webp`, { method: 'PUT', body: 'x' });
    expect(anonymousWrite.status).toBe(403);
    const wrongKey = new S3Client({
      region: LOCAL_REGION,
      endpoint: s3.endpoint,
      credentials: { ...LOCAL_CREDENTIALS, secretAccessKey: 'not-local' },
    });
    await expect(
      wrongKey.send(new GetObjectCommand({ Bucket: SERVED, Key: 'p/1.webp' })),
    ).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
    });
    await client.send(new DeleteObjectCommand({ Bucket: SERVED, Key: 'p/1.webp' }));
    expect(s3.listKeys(SERVED)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ eventName: 'ObjectRemoved:Delete', object: { key: 'p/1.webp' } });
  });
});
