import sharp from 'sharp';
import { presignOriginalUpload } from '../../functions/catalog/image-objects.ts';
import { addPendingImage } from '../../functions/catalog/images-store.ts';
import { newId } from '../../functions/core/ids.ts';

/** Products of the demo catalog that get a picture (the newest ones, first in listings). */
export const DEMO_IMAGE_COUNT = 6;
const PALETTE = ['#e4572e', '#17bebb', '#ffc914', '#2e282a', '#76b041', '#7768ae'];

/** A small generated picture (shapes, no text: no fonts needed), different per product. */
async function demoPicture(index: number): Promise<Buffer> {
  const colour = PALETTE[index % PALETTE.length];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="900">
    <rect width="1200" height="900" fill="#f4f1ea"/>
    <circle cx="${400 + index * 60}" cy="450" r="260" fill="${colour}"/>
    <rect x="700" y="${200 + index * 30}" width="300" height="300" rx="40" fill="#2e282a" opacity="0.8"/>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 80 }).toBuffer();
}

/** The demo pictures, JPEG, one per product that gets one: needs neither the table nor S3. */
export function renderDemoPictures(): Promise<Buffer[]> {
  return Promise.all(Array.from({ length: DEMO_IMAGE_COUNT }, (_, index) => demoPicture(index)));
}

/**
 * Gives a few demo products a picture the way an admin would: a pending image and a presigned
 * upload (the catalog's own functions), then the bytes PUT to the local S3, whose notification
 * runs the processing function; the product lists the image once it is done (a second or so).
 * Runs with the environment of the function serving `POST /products/{productId}/images`; the
 * products get `pictures` in turn, as many as there are.
 */
export async function uploadDemoImages(
  productIds: readonly string[],
  pictures: readonly Buffer[],
): Promise<number> {
  const chosen = productIds.slice(0, pictures.length);
  for (const [index, productId] of chosen.entries()) {
    const body = pictures[index] as Buffer;
    const imageId = newId();
    const { url, expiresAt } = await presignOriginalUpload(productId, imageId, 'image/jpeg', body.length);
    await addPendingImage(productId, {
      id: imageId,
      alt: 'Demo product photo',
      contentType: 'image/jpeg',
      contentLength: body.length,
      uploadExpiresAt: expiresAt,
    });
    const response = await fetch(url, { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body });
    if (!response.ok)
      throw new Error(`The demo image upload failed: ${response.status} ${await response.text()}`);
  }
  return chosen.length;
}
