import * as z from 'zod/mini';

/**
 * The files of the reference page at `GET /docs`, served by name from `GET /docs/{asset}`:
 * Swagger UI from its npm package and our start script, copied next to that function's bundle
 * at synthesis (the route's `files`), so nothing is loaded from a CDN.
 */
export const DOCS_ASSETS: Readonly<
  Record<string, { readonly source: string; readonly contentType: string }>
> = {
  'swagger-ui-bundle.js': {
    source: 'node_modules/swagger-ui-dist/swagger-ui-bundle.js',
    contentType: 'text/javascript; charset=utf-8',
  },
  'swagger-ui.css': {
    source: 'node_modules/swagger-ui-dist/swagger-ui.css',
    contentType: 'text/css; charset=utf-8',
  },
  'docs.js': { source: 'functions/system/docs/docs.js', contentType: 'text/javascript; charset=utf-8' },
  'docs.css': { source: 'functions/system/docs/docs.css', contentType: 'text/css; charset=utf-8' },
};

export const DOCS_ASSET_FILES: readonly string[] = Object.values(DOCS_ASSETS).map((asset) => asset.source);
export const DOCS_ASSET_TYPES: readonly string[] = [
  ...new Set(Object.values(DOCS_ASSETS).map((asset) => asset.contentType.split(';')[0] ?? '')),
];

export const docsAssetPath = z.strictObject({
  asset: z.string().check(z.regex(/^[a-z0-9-]{1,60}\.(?:js|css)$/, 'Must be a file name of the page.')),
});

/** `If-None-Match`: the `ETag` of the copy the client has; the same one answers 304. */
export const docsAssetHeaders = z.object({ 'if-none-match': z.optional(z.string().check(z.maxLength(256))) });
