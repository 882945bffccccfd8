import {
  DOCS_ASSET_FILES,
  DOCS_ASSET_TYPES,
  docsAssetHeaders,
  docsAssetPath,
} from '../../../functions/system/model.ts';
import type { RouteDefinition } from '../routes.ts';
import { healthSchema, openApiSchema } from '../schemas.ts';
import { invalid } from './responses.ts';

const health = { description: 'The service is up.' };

/** Health, the OpenAPI document and its reference page. Part of THE route table (lib/api/routes.ts). */
export const SYSTEM_ROUTES: readonly RouteDefinition[] = [
  {
    method: 'GET',
    path: '/health',
    id: 'SystemGetHealth',
    entry: 'functions/system/get-health.ts',
    summary: 'Liveness check',
    tag: 'system',
    stack: 'api',
    auth: 'public',
    table: 'none',
    responses: { 200: { ...health, schema: healthSchema } },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    id: 'SystemGetOpenapi',
    entry: 'functions/system/get-openapi.ts',
    documents: ['openapi'],
    summary: 'This OpenAPI 3.1 document',
    tag: 'system',
    stack: 'api',
    auth: 'public',
    table: 'none',
    responses: { 200: { description: 'The OpenAPI document.', schema: openApiSchema } },
  },
  {
    method: 'GET',
    path: '/docs',
    id: 'SystemGetDocs',
    entry: 'functions/system/get-docs.ts',
    summary: 'This reference as an interactive page (Swagger UI)',
    tag: 'system',
    stack: 'api',
    auth: 'public',
    table: 'none',
    webSocketUrl: true,
    responses: { 200: { description: 'The HTML page.', contentTypes: ['text/html'] } },
  },
  {
    method: 'GET',
    path: '/docs/{asset}',
    id: 'SystemGetDocsAsset',
    entry: 'functions/system/get-docs-asset.ts',
    summary: 'A script or style sheet of the reference page',
    tag: 'system',
    stack: 'api',
    auth: 'public',
    table: 'none',
    request: { path: docsAssetPath, headers: docsAssetHeaders },
    responses: {
      200: {
        description: 'The file (compressed when the client accepts it).',
        contentTypes: DOCS_ASSET_TYPES,
        headers: ['etag', 'cache-control'],
      },
      304: { description: 'Not modified since the ETag in If-None-Match.', headers: ['etag'] },
      400: invalid,
      404: { description: 'No such file.' },
    },
    files: DOCS_ASSET_FILES,
  },
];
