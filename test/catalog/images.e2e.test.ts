import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminImage, ImageUpload } from '../../functions/catalog/images-model.ts';
import type { Product } from '../../functions/catalog/model.ts';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import { demoProducts } from '../../lib/demo/seed.ts';
import {
  accountsApi,
  bearer,
  errorPaths,
  expectProblem,
  jsonInit,
  type Session,
} from '../support/accounts-api.ts';
import { call, startTestBackend } from '../support/local-api.ts';

/*
 * Product images end to end, as a shop's admin front end does it: ask the API for a presigned
 * upload, PUT the bytes to (local) S3, let S3's notification run the processing function, read
 * the product. Every refusal S3 or the processing makes is checked, and that nothing is left
 * half-written (no listed image, no renditions).
 */

const products = demoProducts();
let backend: ShopBackend;
let api: string;
let admin: Session;
let customer: Session;

beforeAll(async () => {
  backend = await startTestBackend();
  api = backend.url;
  const client = accountsApi(api);
  const seededAdmin = backend.seeded?.admin;
  if (!seededAdmin) throw new Error('The test backend seeds an admin.');
  admin = await client.signIn(seededAdmin.email, seededAdmin.password);
  customer = await client.newCustomer('image-shopper');
});
afterAll(() => backend?.stop());

const productAt = (index: number) => (products[index] as Product).id;
const requestUpload = (productId: string, body: unknown, token = admin.accessToken) =>
  call(`${api}/products/${productId}/images`, jsonInit('POST', body, bearer(token)));
const listImages = async (productId: string) =>
  (await call(`${api}/products/${productId}/images`, { headers: bearer(admin.accessToken) })).body
    .items as AdminImage[];
const getProduct = async (productId: string) => (await call(`${api}/products/${productId}`)).body as Product;

/** Asks for an upload of `body` (declared as `contentType`), PUTs it as the answer says, waits for processing. */
async function upload(productId: string, body: Buffer, contentType = 'image/jpeg', alt = 'A photo') {
  const res = await requestUpload(productId, { contentType, contentLength: body.length, alt });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const { imageId, upload: presigned } = res.body as ImageUpload;
  const put = await fetch(presigned.url, {
    method: presigned.method,
    headers: { 'content-type': contentType },
    body,
  });
  expect(put.status, await put.clone().text()).toBe(200);
  await backend.s3NotificationsSettled();
  return imageId;
}

/** A 3000 x 2000 JPEG, rotated by its EXIF orientation, with a GPS position in its EXIF. */
const photoWithGps = () =>
  sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#3a7' } })
    .jpeg({ quality: 80 })
    .withMetadata({
      orientation: 6,
      exif: { IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '52/1 31/1 0/1' } },
    } as never)
    .toBuffer();

/** EXIF's GPS IFD pointer tag (0x8825), little-endian as sharp writes it. */
const GPS_POINTER = Buffer.from([0x25, 0x88]);

describe('product images: presigned upload to S3, processing, renditions', () => {
  it('lists a processed image with WebP renditions at 200, 800 and 1600 px, upright and without EXIF', async () => {
    const productId = productAt(0);
    const photo = await photoWithGps();
    expect((await sharp(photo).metadata()).exif?.includes(GPS_POINTER)).toBe(true);
    const imageId = await upload(productId, photo, 'image/jpeg', 'Green, sideways');
    const product = await getProduct(productId);
    // Upright: the EXIF orientation (6: 90°) turns 3000 x 2000 into 2000 x 3000.
    expect(product.images).toEqual([
      { id: imageId, alt: 'Green, sideways', width: 2000, height: 3000, urls: expect.any(Object) },
    ]);
    const image = product.images[0];
    for (const width of [200, 800, 1600] as const) {
      const res = await fetch(image?.urls[width] ?? '');
      expect([res.status, res.headers.get('content-type')]).toEqual([200, 'image/webp']);
      expect(res.headers.get('cache-control')).toContain('immutable');
      const metadata = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect([metadata.format, metadata.width, metadata.height]).toEqual(['webp', width, width * 1.5]);
      expect(metadata.exif).toBeUndefined();
    }
    // The original (with its GPS position) is gone from the uploads bucket.
    expect(backend.s3.listKeys(bucketNamed('imageuploads'), `originals/${productId}/`)).toEqual([]);
    const listed = await call(`${api}/products?limit=100`);
    const inListing = (listed.body.items as Product[]).find((p) => p.id === productId);
    expect(inListing?.images.map((i) => i.id)).toEqual([imageId]);
  });

  it('never upscales: a 300 px wide image keeps 300 px in every rendition', async () => {
    const productId = productAt(1);
    const small = await sharp({ create: { width: 300, height: 100, channels: 3, background: '#f80' } })
      .png()
      .toBuffer();
    await upload(productId, small, 'image/png');
    const [image] = (await getProduct(productId)).images;
    expect([image?.width, image?.height]).toEqual([300, 100]);
    const res = await fetch(image?.urls[1600] ?? '');
    expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).width).toBe(300);
  });

  it('rejects what is not the declared type (a PNG sent as image/jpeg), not an image (a zip), or a pixel bomb', async () => {
    const productId = productAt(2);
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#00f' } })
      .png()
      .toBuffer();
    const zip = Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(2000, 0)]);
    // A valid PNG header that declares 100,000 x 100,000 pixels (10 GP) in a file of a few hundred bytes.
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(100_000, 16);
    bomb.writeUInt32BE(100_000, 20);
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    const misnamed = await upload(productId, png, 'image/jpeg');
    const zipped = await upload(productId, zip, 'image/png');
    const bombed = await upload(productId, bomb, 'image/png');
    const images = await listImages(productId);
    const byId = new Map(images.map((image) => [image.id, image]));
    expect(byId.get(misnamed)).toMatchObject({
      status: 'rejected',
      reason: 'Declared as image/jpeg but the bytes are png.',
    });
    expect(byId.get(zipped)).toMatchObject({
      status: 'rejected',
      reason: expect.stringMatching(/not a readable/),
    });
    expect(byId.get(bombed)).toMatchObject({
      status: 'rejected',
      reason: expect.stringMatching(/100000 x 100000/),
    });
    expect((await getProduct(productId)).images).toEqual([]);
    expect(backend.s3.listKeys(renditionsBucket(), `products/${productId}/`)).toEqual([]);
  });

  it('S3 refuses an upload of another size or type than signed, and the image stays pending', async () => {
    const productId = productAt(3);
    const photo = await sharp({ create: { width: 50, height: 50, channels: 3, background: '#123' } })
      .jpeg()
      .toBuffer();
    const res = await requestUpload(productId, { contentType: 'image/jpeg', contentLength: photo.length });
    const { imageId, upload: presigned } = res.body as ImageUpload;
    expect(presigned.headers).toEqual({
      'content-type': 'image/jpeg',
      'content-length': String(photo.length),
    });
    const larger = await fetch(presigned.url, {
      method: 'PUT',
      headers: { 'content-type': 'image/jpeg' },
      body: Buffer.concat([photo, Buffer.alloc(1024)]),
    });
    expect(larger.status).toBe(403);
    const otherType = await fetch(presigned.url, {
      method: 'PUT',
      headers: { 'content-type': 'image/png' },
      body: photo,
    });
    expect(otherType.status).toBe(403);
    const tampered = await fetch(presigned.url.replace('X-Amz-Expires=600', 'X-Amz-Expires=6000'), {
      method: 'PUT',
      headers: { 'content-type': 'image/jpeg' },
      body: photo,
    });
    expect(tampered.status).toBe(403);
    await backend.s3NotificationsSettled();
    expect(await listImages(productId)).toEqual([
      expect.objectContaining({ id: imageId, status: 'pending' }),
    ]);
  });

  it('refuses an upload over 10 MB, another media type, and bad ids with a 400 problem, writing nothing', async () => {
    const productId = productAt(4);
    for (const body of [
      { contentType: 'image/jpeg', contentLength: 11 * 1024 * 1024 },
      { contentType: 'image/gif', contentLength: 1000 },
      { contentType: 'image/jpeg', contentLength: 0 },
      { contentType: 'image/jpeg', contentLength: 1000, alt: 'x'.repeat(301) },
      { contentType: 'image/jpeg', contentLength: 1000, imageUrl: 'https://evil.example/x.jpg' },
    ]) {
      const res = await requestUpload(productId, body);
      expectProblem(res, 400);
    }
    expect(
      errorPaths(
        await requestUpload(productId, { contentType: 'image/jpeg', contentLength: 11 * 1024 * 1024 }),
      ),
    ).toEqual(['body.contentLength']);
    expectProblem(await requestUpload('not-a-ulid', { contentType: 'image/jpeg', contentLength: 10 }), 400);
    expectProblem(
      await requestUpload('01ARZ3NDEKTSV4RRFFQ69G5FAV', { contentType: 'image/jpeg', contentLength: 10 }),
      404,
    );
    expect(await listImages(productId)).toEqual([]);
  });

  it('reorders and deletes images (with If-Match), and deleting removes the renditions', async () => {
    const productId = productAt(5);
    const picture = (colour: string) =>
      sharp({ create: { width: 400, height: 300, channels: 3, background: colour } })
        .jpeg()
        .toBuffer();
    const first = await upload(productId, await picture('#a00'));
    const second = await upload(productId, await picture('#0a0'));
    expect((await getProduct(productId)).images.map((i) => i.id)).toEqual([first, second]);

    const badOrder = await call(
      `${api}/products/${productId}/images/order`,
      jsonInit('PUT', { imageIds: [second] }, bearer(admin.accessToken)),
    );
    expectProblem(badOrder, 400);
    const reordered = await call(
      `${api}/products/${productId}/images/order`,
      jsonInit('PUT', { imageIds: [second, first] }, bearer(admin.accessToken)),
    );
    expect(reordered.status).toBe(200);
    expect((await getProduct(productId)).images.map((i) => i.id)).toEqual([second, first]);
    const etag = reordered.headers.get('etag') ?? '';

    const stale = await call(`${api}/products/${productId}/images/${first}`, {
      method: 'DELETE',
      headers: bearer(admin.accessToken, { 'if-match': '"1"' }),
    });
    expectProblem(stale, 412);
    const removed = await call(`${api}/products/${productId}/images/${first}`, {
      method: 'DELETE',
      headers: bearer(admin.accessToken, { 'if-match': etag }),
    });
    expect(removed.status).toBe(204);
    expect((await getProduct(productId)).images.map((i) => i.id)).toEqual([second]);
    expect(backend.s3.listKeys(renditionsBucket(), `products/${productId}/${first}/`)).toEqual([]);
    expect(backend.s3.listKeys(renditionsBucket(), `products/${productId}/${second}/`)).toHaveLength(3);
    const again = await call(`${api}/products/${productId}/images/${first}`, {
      method: 'DELETE',
      headers: bearer(admin.accessToken),
    });
    expectProblem(again, 404);
  });

  it('is for admins only', async () => {
    const res = await requestUpload(
      productAt(6),
      { contentType: 'image/jpeg', contentLength: 10 },
      customer.accessToken,
    );
    expect(res.status).toBe(403);
  });
});

/** A bucket of the media stack by the start of its logical id (`imagerenditions`), as the local S3 names it. */
function bucketNamed(part: string): string {
  const found = backend.s3.bucketNames().find((name) => name.startsWith(`shop-local-media-${part}`));
  if (!found) throw new Error(`No ${part} bucket in the template.`);
  return found;
}

const renditionsBucket = () => bucketNamed('imagerenditions');
