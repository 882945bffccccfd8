import sharp, { type Metadata } from 'sharp';
import { type ImageContentType, MAX_IMAGE_PIXELS, RENDITION_WIDTHS } from './images-model.ts';

/** What an upload became: renditions to write, or why it is refused. */
export type ProcessedImage =
  | {
      readonly ok: true;
      /** Of the original, upright. */
      readonly width: number;
      readonly height: number;
      readonly renditions: readonly { width: number; body: Buffer }[];
    }
  | { readonly ok: false; readonly reason: string };

/** sharp's name of the format each declared type must have (read from the magic bytes). */
const FORMAT_OF: Record<ImageContentType, string> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
};

// One image at a time per environment: Lambda runs one event at a time, and libvips' own
// threads already use the function's vCPUs. No cache between invocations: every image is new.
sharp.cache(false);

/**
 * Checks an upload and makes its WebP renditions. The format comes from the bytes (sharp reads
 * the magic bytes), never from the declared type, and must be the declared one; the pixel
 * count is checked from the header before anything is decoded (a decompression bomb declares
 * huge dimensions in a small file), and `limitInputPixels` holds the decoder to it too. The
 * EXIF orientation is applied, then every metadata block (EXIF with its GPS position, XMP,
 * ICC aside from sRGB conversion) is left out of the renditions, which sharp does unless asked
 * to keep them. Never upscales: a rendition is at most the original's width.
 */
export async function processImage(body: Buffer, declared: ImageContentType): Promise<ProcessedImage> {
  const options = { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' } as const;
  let metadata: Metadata;
  try {
    // The header only, so the pixel limit below can say what it found; decoding is limited.
    metadata = await sharp(body, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch {
    return { ok: false, reason: 'The upload is not a readable JPEG, PNG or WebP image.' };
  }
  const expected = FORMAT_OF[declared];
  if (metadata.format !== expected) {
    const actual =
      metadata.format && Object.values(FORMAT_OF).includes(metadata.format) ? metadata.format : undefined;
    return {
      ok: false,
      reason: actual
        ? `Declared as ${declared} but the bytes are ${actual}.`
        : 'The upload is not a JPEG, PNG or WebP image.',
    };
  }
  const { width = 0, height = 0 } = metadata.autoOrient ?? metadata;
  if (width * height > MAX_IMAGE_PIXELS || (metadata.pages ?? 1) > 1)
    return {
      ok: false,
      reason: `The image has ${width} x ${height} pixels${(metadata.pages ?? 1) > 1 ? ' in several frames' : ''}; at most ${MAX_IMAGE_PIXELS} in one frame.`,
    };
  try {
    const upright = sharp(body, options).autoOrient();
    const renditions = await Promise.all(
      RENDITION_WIDTHS.map(async (target) => ({
        width: target,
        body: await upright
          .clone()
          .resize({ width: target, withoutEnlargement: true })
          .webp({ quality: 80 })
          .toBuffer(),
      })),
    );
    return { ok: true, width, height, renditions };
  } catch {
    return { ok: false, reason: 'The image could not be decoded (truncated or corrupt).' };
  }
}
