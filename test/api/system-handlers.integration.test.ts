import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../functions/core/http.ts';
import { DOCS_CONTENT_SECURITY_POLICY, handler as getDocs } from '../../functions/system/get-docs.ts';
import { handler as getDocsAsset } from '../../functions/system/get-docs-asset.ts';
import { handler as getHealth } from '../../functions/system/get-health.ts';
import { handler as getOpenApi } from '../../functions/system/get-openapi.ts';
import { handler as routeNotFound } from '../../functions/system/route-not-found.ts';
import { writeOpenApiDocument } from '../../lib/api/openapi.ts';
import { ROUTES, routeKey } from '../../lib/api/routes.ts';
import { httpEvent, lambdaContext } from '../support/events.ts';
import { quietLogger } from '../support/logs.ts';
import { expectProblem, jsonBodyOf } from '../support/problems.ts';

/** What API Gateway sends the `$default` route for a request no route matched. */
function defaultRouteEvent(method: string, path: string): APIGatewayProxyEventV2 {
  const event = httpEvent(`${method} ${path}`);
  return {
    ...event,
    routeKey: '$default',
    rawPath: path,
    requestContext: {
      ...event.requestContext,
      routeKey: '$default',
      http: { ...event.requestContext.http, method, path },
    },
  };
}
/** The methods the route table defines for a route path, sorted. */
const methodsOf = (template: string): string[] =>
  ROUTES.filter((route) => route.path === template)
    .map((route) => route.method)
    .sort();
/** The methods a response's Allow header lists. */
const allowOf = (response: HttpResponse): string[] =>
  response.headers?.allow === undefined ? [] : String(response.headers.allow).split(', ');
const fallback = (method: string, path: string) =>
  routeNotFound(defaultRouteEvent(method, path), lambdaContext());

describe('system handlers', () => {
  let documentsDir: string;
  beforeAll(() => {
    documentsDir = mkdtempSync(path.join(tmpdir(), 'shop-documents-'));
  });
  afterAll(() => rmSync(documentsDir, { recursive: true, force: true }));

  beforeEach(() => {
    quietLogger();
    // As the API stack writes them from the route table (asserted by the infra tests).
    process.env.ROUTE_KEYS = ROUTES.map(routeKey).join(',');
    process.env.OPENAPI_DOCUMENT = writeOpenApiDocument(documentsDir);
  });

  describe('GET /health', () => {
    it('returns 200 {"status":"ok"}, never cached', async () => {
      const response = await getHealth(httpEvent('GET /health'), lambdaContext());
      expect(response.statusCode).toBe(200);
      expect(response.headers?.['content-type']).toMatch(/^application\/json/);
      expect(response.headers?.['cache-control']).toBe('no-store');
      expect(jsonBodyOf(response)).toEqual({ status: 'ok' });
    });
  });

  describe('GET /openapi.json', () => {
    it('returns 200 with the OpenAPI 3.1.0 document of every route, served from this host', async () => {
      const response = await getOpenApi(httpEvent('GET /openapi.json'), lambdaContext());
      expect(response.statusCode).toBe(200);
      expect(response.headers?.['content-type']).toMatch(/^application\/json/);
      const document = jsonBodyOf<{
        openapi: string;
        servers: { url: string }[];
        paths: Record<string, Record<string, unknown>>;
      }>(response);
      expect(document.openapi).toBe('3.1.0');
      expect(document.servers).toEqual([{ url: 'https://api.test.local' }]);
      for (const route of ROUTES) {
        expect(document.paths[route.path]?.[route.method.toLowerCase()], routeKey(route)).toBeDefined();
      }
    });
  });

  describe('GET /openapi.json server', () => {
    it('names the API as the request reached it: scheme from x-forwarded-proto, host, and a named stage', async () => {
      const event = httpEvent('GET /openapi.json', { headers: { 'x-forwarded-proto': 'http' } });
      const staged = { ...event, requestContext: { ...event.requestContext, stage: 'v1' } };
      const document = jsonBodyOf<{ servers: { url: string }[] }>(await getOpenApi(staged, lambdaContext()));
      expect(document.servers).toEqual([{ url: 'http://api.test.local/v1' }]);
    });
  });

  describe('GET /docs', () => {
    it('serves the reference page under a strict Content-Security-Policy: own scripts and styles only', async () => {
      const response = await getDocs(httpEvent('GET /docs'), lambdaContext());
      expect(response.statusCode).toBe(200);
      expect(response.headers?.['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers?.['content-security-policy']).toBe(DOCS_CONTENT_SECURITY_POLICY);
      expect(DOCS_CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
      expect(DOCS_CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
      expect(DOCS_CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|https?:|\*/);
      const html = String(response.body);
      expect(html).toContain('src="docs/swagger-ui-bundle.js"');
      expect(html).toContain('src="docs/docs.js"');
      // No inline script or style: the CSP would block it.
      expect(html).not.toMatch(/<script>|<style|style=/);
    });
  });

  describe('GET /docs/{asset}', () => {
    const asset = (name: string, headers: Record<string, string> = {}) =>
      getDocsAsset(
        httpEvent('GET /docs/{asset}', { pathParameters: { asset: name }, headers }),
        lambdaContext(),
      );

    it('serves Swagger UI from the npm package, gzip-compressed when accepted, with an ETag', async () => {
      const response = await asset('swagger-ui-bundle.js', { 'accept-encoding': 'gzip, deflate' });
      expect(response.statusCode).toBe(200);
      expect(response.headers).toMatchObject({
        'content-type': 'text/javascript; charset=utf-8',
        'content-encoding': 'gzip',
        vary: 'accept-encoding',
      });
      expect(response.isBase64Encoded).toBe(true);
      const source = gunzipSync(Buffer.from(String(response.body), 'base64')).toString('utf8');
      expect(source).toContain('SwaggerUIBundle');
      expect(response.headers?.etag).toMatch(/^"[\w-]+"$/);
    });

    it('prefers brotli and serves the plain file to clients that accept no encoding', async () => {
      expect((await asset('docs.css', { 'accept-encoding': 'gzip, br' })).headers?.['content-encoding']).toBe(
        'br',
      );
      const plain = await asset('docs.js');
      expect(plain.headers).not.toHaveProperty('content-encoding');
      expect(Buffer.from(String(plain.body), 'base64').toString('utf8')).toContain('SwaggerUIBundle');
    });

    it('answers 304 without a body when If-None-Match names the current ETag', async () => {
      const first = await asset('swagger-ui.css');
      const again = await asset('swagger-ui.css', { 'if-none-match': String(first.headers?.etag) });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBeUndefined();
    });

    it('answers a file the page does not have with 404, and a path that is no file name with 400', async () => {
      expect((await asset('index.js')).statusCode).toBe(404);
      expectProblem(await asset('..%2Fpackage.json'), 400);
    });
  });

  describe('$default route (no route matched)', () => {
    it('answers DELETE /products with 405 problem+json and an Allow header listing GET', async () => {
      const response = await fallback('DELETE', '/products');
      const problem = expectProblem(response, 405);
      expect(problem.type).toBe('/problems/method-not-allowed');
      expect(problem.detail).toContain('DELETE');
      expect(allowOf(response)).toContain('GET');
      expect(allowOf(response).sort()).toEqual(methodsOf('/products'));
    });

    it.each([
      ['/products', '/products'],
      ['/products/{productId}', '/products/01ARZ3NDEKTSV4RRFFQ69G5FAV'],
      ['/health', '/health'],
      ['/openapi.json', '/openapi.json'],
    ])(
      'answers a method that %s does not define with 405 and Allow listing the ones it does',
      async (template, path) => {
        const method = ['DELETE', 'PUT', 'PATCH', 'POST'].find((m) => !methodsOf(template).includes(m));
        if (!method) throw new Error(`${template} defines every method`);
        const response = await fallback(method, path);
        expectProblem(response, 405);
        expect(allowOf(response).sort()).toEqual(methodsOf(template));
      },
    );

    it.each([
      ['GET', '/nope'],
      ['GET', '/'],
      ['DELETE', '/nope'],
      ['GET', '/products/01ARZ3NDEKTSV4RRFFQ69G5FAV/reviews'],
      ['GET', '/Products'],
    ])('answers %s %s with 404 problem+json and no Allow header', async (method, path) => {
      const response = await fallback(method, path);
      const problem = expectProblem(response, 404);
      expect(problem.type).toBe('/problems/not-found');
      expect(response.headers).not.toHaveProperty('allow');
    });

    it('names the request id as instance', async () => {
      const event = defaultRouteEvent('GET', '/nope');
      const problem = expectProblem(await routeNotFound(event, lambdaContext()), 404);
      expect(problem.instance).toBe(event.requestContext.requestId);
    });

    it('never answers 405 with an Allow header that lists the method used (GET /health/ with a trailing slash)', async () => {
      // $default only sees requests no route matched. If `/health/` arrives here, GET did not route,
      // so a 405 that lists GET in Allow contradicts itself; the honest answer is 404.
      const response = await fallback('GET', '/health/');
      expect(allowOf(response)).not.toContain('GET');
      expectProblem(response, 404);
    });
  });
});
