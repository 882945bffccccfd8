import { describe, expect, it } from 'vitest';
import { notFound } from '../../functions/core/errors.ts';
import { type HttpResponse, http, ok } from '../../functions/core/http.ts';
import { type EventOptions, httpEvent, lambdaContext } from '../support/events.ts';
import { quietLogger } from '../support/logs.ts';

const USER = { claims: { sub: '01ARZ3NDEKTSV4RRFFQ69G5FAV' } } as const;

/** Runs a handler through the http() stack and returns its answer's headers. */
async function headersOf(
  routeKey: string,
  handler: () => Promise<HttpResponse>,
  options: EventOptions = {},
): Promise<Record<string, unknown>> {
  quietLogger();
  const response = await http(handler)(httpEvent(routeKey, options), lambdaContext());
  return response.headers ?? {};
}

const publicCache = async () => ok({}, { 'cache-control': 'public, max-age=300' });

describe('security headers of the http() stack', () => {
  it('puts HSTS for a year with subdomains and nosniff on a public answer, keeping its caching', async () => {
    const headers = await headersOf('GET /products', publicCache);
    expect(headers).toMatchObject({
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'cache-control': 'public, max-age=300',
    });
  });

  it('answers an authenticated route with no-store, whatever the handler chose', async () => {
    const headers = await headersOf('GET /me/preferences', publicCache, USER);
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['strict-transport-security']).toMatch(/max-age=31536000/);
  });

  it('answers a public POST (register, login and refresh return tokens) with no-store', async () => {
    const headers = await headersOf('POST /auth/login', async () => ok({ accessToken: 'x' }));
    expect(headers['cache-control']).toBe('no-store');
  });

  it('puts the headers and no-store on a problem answer too', async () => {
    const headers = await headersOf('GET /products/{productId}', async () => {
      throw notFound('No such product.');
    });
    expect(headers).toMatchObject({
      'content-type': 'application/problem+json',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
  });

  it('replaces a handler’s own spelling of the headers rather than sending two', async () => {
    const headers = await headersOf(
      'GET /me',
      async () => ok({}, { 'Cache-Control': 'public', 'Strict-Transport-Security': 'max-age=1' }),
      USER,
    );
    const names = Object.keys(headers).map((name) => name.toLowerCase());
    expect(names.filter((name) => name === 'cache-control')).toHaveLength(1);
    expect(names.filter((name) => name === 'strict-transport-security')).toHaveLength(1);
    expect(headers['cache-control']).toBe('no-store');
  });
});
