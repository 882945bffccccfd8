import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  badRequest,
  HttpError,
  methodNotAllowed,
  notFound,
  RETRY_AFTER_SECONDS,
  unsupportedMediaType,
} from '../../functions/core/errors.ts';
import {
  DEADLINE_MARGIN_MS,
  type HttpEvent,
  http,
  json,
  noContent,
  ok,
  problemResponse,
} from '../../functions/core/http.ts';
import { logger } from '../../functions/core/logger.ts';
import { type EventOptions, httpEvent, lambdaContext } from '../support/events.ts';
import { quietLogger } from '../support/logs.ts';
import { expectProblem, jsonBodyOf } from '../support/problems.ts';

const GENERIC_DETAIL = 'The server could not complete the request.';

describe('problemResponse', () => {
  it('renders an HttpError as application/problem+json with type, title, status and detail', () => {
    const response = problemResponse(notFound('No product with id X.'));
    expect(response.statusCode).toBe(404);
    expect(response.headers).toEqual({ 'content-type': 'application/problem+json' });
    expect(jsonBodyOf(response)).toEqual({
      type: '/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: 'No product with id X.',
    });
  });

  it('adds the errors array of a validation problem', () => {
    const errors = [{ path: 'query.limit', message: 'Must be at least 1.' }];
    const body = expectProblem(problemResponse(badRequest('The query has an invalid field.', errors)), 400);
    expect(body.type).toBe('/problems/validation-error');
    expect(body.errors).toEqual(errors);
  });

  it('leaves errors out when there are none', () => {
    expect(jsonBodyOf(problemResponse(badRequest('The body is not valid JSON.')))).not.toHaveProperty(
      'errors',
    );
  });

  it('sets instance when given one', () => {
    expect(jsonBodyOf(problemResponse(notFound('x'), 'req-123')).instance).toBe('req-123');
  });

  it("keeps the error's own headers, such as Allow on a 405", () => {
    const response = problemResponse(
      methodNotAllowed('DELETE is not allowed on /products.', ['GET', 'HEAD']),
    );
    expect(response.headers).toEqual({ allow: 'GET, HEAD', 'content-type': 'application/problem+json' });
  });

  it('never lets an error header override the problem content type', () => {
    const error = new HttpError(400, 'bad-request', 'Bad request', 'x', {
      headers: { 'content-type': 'text/html' },
    });
    expect(problemResponse(error).headers?.['content-type']).toBe('application/problem+json');
  });

  it('turns a plain Error into a 500 that exposes neither its message nor its stack', () => {
    const response = problemResponse(new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2'));
    const body = expectProblem(response, 500);
    expect(body).toEqual({
      type: '/problems/internal-error',
      title: 'Internal server error',
      status: 500,
      detail: GENERIC_DETAIL,
    });
    expect(response.body).not.toContain('hunter2');
  });

  it('turns thrown non-errors (strings, undefined, objects) into a generic 500', () => {
    for (const thrown of ['boom', undefined, null, { secret: 'x' }, 42]) {
      const body = expectProblem(problemResponse(thrown), 500);
      expect(body.detail).toBe(GENERIC_DETAIL);
    }
  });

  it('never exposes the detail of a 5xx HttpError', () => {
    const error = new HttpError(
      503,
      'unavailable',
      'Service unavailable',
      'table shop-prod throttled at shard 7',
    );
    const body = expectProblem(problemResponse(error), 503);
    expect(body.detail).toBe(GENERIC_DETAIL);
    expect(problemResponse(error).body).not.toContain('shard 7');
  });
});

describe('problemResponse for a dependency that failed', () => {
  /** An error shaped as the AWS SDK v3 throws it after its retries. */
  const sdkError = (name: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(`${name} from the SDK`), { name, $metadata: { attempts: 3 }, ...extra });

  it('answers 503 service-unavailable with Retry-After for an unreachable, throttled, slow or failing DynamoDB', () => {
    const failures = [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      new Error('fetch failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }),
      sdkError('TimeoutError'),
      sdkError('ProvisionedThroughputExceededException', { $retryable: { throttling: true } }),
      sdkError('ThrottlingException'),
      sdkError('InternalServerError', { $fault: 'server', $metadata: { httpStatusCode: 500 } }),
      sdkError('UnknownError', { $metadata: { httpStatusCode: 503 } }),
    ];
    for (const error of failures) {
      const response = problemResponse(error);
      const body = expectProblem(response, 503);
      expect(body.type, error.name).toBe('/problems/service-unavailable');
      expect(response.headers?.['retry-after'], error.name).toBe(String(RETRY_AFTER_SECONDS));
      expect(response.body, error.name).not.toContain('127.0.0.1');
    }
  });

  it('keeps 500 for errors that are our bug, not a dependency’s outage', () => {
    const bugs = [
      new TypeError('Cannot read properties of undefined'),
      sdkError('ValidationException', { $fault: 'client', $metadata: { httpStatusCode: 400 } }),
      sdkError('ResourceNotFoundException', { $fault: 'client', $metadata: { httpStatusCode: 400 } }),
    ];
    for (const error of bugs) expectProblem(problemResponse(error), 500);
  });
});

describe('json responses', () => {
  it('ok() is a 200 with a JSON content type and a serialized body', () => {
    expect(ok({ a: 1 }, { 'cache-control': 'no-store' })).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body: '{"a":1}',
    });
    expect(json(201, []).statusCode).toBe(201);
  });

  it('noContent() is a 204 without a body', () => {
    expect(noContent()).toEqual({ statusCode: 204, headers: {} });
  });
});

describe('http() middy stack', () => {
  let logs: ReturnType<typeof quietLogger>;
  beforeEach(() => {
    logs = quietLogger();
  });

  /** A handler that takes a JSON body and echoes what it parsed. */
  const echo = http(async (event) => ok({ received: event.jsonBody ?? null }), { jsonBody: true });
  const small = http(async (event) => ok({ received: event.jsonBody ?? null }), {
    jsonBody: true,
    maxBodyBytes: 10,
  });
  const call = (handler: typeof echo, options: EventOptions) =>
    handler(httpEvent('POST /things', options) as HttpEvent, lambdaContext());

  it('passes a parsed JSON body to the handler', async () => {
    const response = await call(echo, { body: { name: 'Kettle', tags: ['a'] } });
    expect(response.statusCode).toBe(200);
    expect(jsonBodyOf(response)).toEqual({ received: { name: 'Kettle', tags: ['a'] } });
  });

  it('decodes a base64 body before parsing it', async () => {
    const rawBody = Buffer.from(JSON.stringify({ name: 'Jürgen' })).toString('base64');
    const response = await call(echo, {
      rawBody,
      isBase64Encoded: true,
      headers: { 'content-type': 'application/json' },
    });
    expect(jsonBodyOf(response)).toEqual({ received: { name: 'Jürgen' } });
  });

  it('accepts application/json with parameters, in any case, under any header spelling, and +json types', async () => {
    const variants: Record<string, string>[] = [
      { 'content-type': 'application/json; charset=utf-8' },
      { 'Content-Type': 'Application/JSON' },
      { 'content-type': 'application/merge-patch+json' },
    ];
    for (const headers of variants) {
      const response = await call(echo, { rawBody: '{"a":1}', headers });
      expect(response.statusCode, JSON.stringify(headers)).toBe(200);
    }
  });

  it('answers 400 problem+json for malformed JSON', async () => {
    const response = await call(echo, {
      rawBody: '{"name": "Kettle",',
      headers: { 'content-type': 'application/json' },
    });
    const body = expectProblem(response, 400);
    expect(body.detail).toBe('The body is not valid JSON.');
  });

  it('answers 503 problem+json with Retry-After before the function’s timeout when the handler is still waiting', async () => {
    const hanging = http(() => new Promise<never>(() => undefined));
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => DEADLINE_MARGIN_MS + 50 };
    const response = await hanging(httpEvent('GET /things') as HttpEvent, context);
    const body = expectProblem(response, 503);
    expect(body.type).toBe('/problems/service-unavailable');
    expect(response.headers?.['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
    expect(logs.error).toHaveBeenCalledWith('request failed: service unavailable', expect.anything());
  });

  it('answers 400 problem+json for a missing body', async () => {
    expectProblem(await call(echo, { headers: { 'content-type': 'application/json' } }), 400);
  });

  it('answers 415 problem+json for a body that is not declared as JSON', async () => {
    const variants: Record<string, string>[] = [
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      {},
    ];
    for (const headers of variants) {
      const body = expectProblem(await call(echo, { rawBody: '{"a":1}', headers }), 415);
      expect(body.type).toBe('/problems/unsupported-media-type');
    }
  });

  it('answers 413 problem+json for a body over the default 16 KiB limit', async () => {
    const rawBody = JSON.stringify({ pad: 'x'.repeat(16 * 1024) });
    const body = expectProblem(
      await call(echo, { rawBody, headers: { 'content-type': 'application/json' } }),
      413,
    );
    expect(body.type).toBe('/problems/payload-too-large');
  });

  it('accepts a body of exactly the limit, and honours a route-specific limit', async () => {
    expect(
      (await call(small, { rawBody: '"12345678"', headers: { 'content-type': 'application/json' } }))
        .statusCode,
    ).toBe(200);
    expectProblem(
      await call(small, { rawBody: '"123456789"', headers: { 'content-type': 'application/json' } }),
      413,
    );
  });

  it('measures a base64 body after decoding it', async () => {
    // 12 KiB of JSON is 16 KiB+ of base64: within the limit once decoded.
    const decoded = JSON.stringify({ pad: 'x'.repeat(12 * 1024) });
    const rawBody = Buffer.from(decoded).toString('base64');
    expect(rawBody.length).toBeGreaterThan(16 * 1024);
    const response = await call(echo, {
      rawBody,
      isBase64Encoded: true,
      headers: { 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(200);
  });

  it('turns a thrown HttpError into its problem response, with the request id as instance', async () => {
    const handler = http(async () => {
      throw unsupportedMediaType('Send the body as application/json.');
    });
    const event = httpEvent('GET /x');
    const body = expectProblem(await handler(event as HttpEvent, lambdaContext()), 415);
    expect(body.instance).toBe(event.requestContext.requestId);
    expect(logs.error).not.toHaveBeenCalled();
  });

  it('turns a thrown plain Error into a 500 with a generic detail, and logs the real error', async () => {
    const failure = new Error('DynamoDB said: ResourceNotFoundException table shop-prod');
    const handler = http(async () => {
      throw failure;
    });
    const response = await handler(httpEvent('GET /x') as HttpEvent, lambdaContext());
    const body = expectProblem(response, 500);
    expect(body.detail).toBe(GENERIC_DETAIL);
    expect(response.body).not.toContain('shop-prod');
    expect(logs.error).toHaveBeenCalledWith('request failed', failure);
  });

  it('refuses any body on a route that takes none with 413, and serves one without a body or with an empty one', async () => {
    const handler = http(async () => ok({ ran: true }));
    for (const options of [
      { rawBody: 'not json', headers: { 'content-type': 'text/plain' } },
      { rawBody: '{}', headers: { 'content-type': 'application/json' } },
      { rawBody: Buffer.from('x').toString('base64'), isBase64Encoded: true },
    ]) {
      const response = await handler(httpEvent('POST /x', options) as HttpEvent, lambdaContext());
      expect(expectProblem(response, 413).type).toBe('/problems/payload-too-large');
    }
    for (const rawBody of [undefined, '']) {
      const response = await handler(
        httpEvent('POST /x', rawBody === undefined ? {} : { rawBody }) as HttpEvent,
        lambdaContext(),
      );
      expect(jsonBodyOf(response)).toEqual({ ran: true });
    }
  });

  it('leaves the bytes of a rawBody route to its handler, bounding only their size (any media type)', async () => {
    const handler = http(async (event) => ok({ body: event.body, parsed: event.jsonBody ?? null }), {
      rawBody: true,
      maxBodyBytes: 8,
    });
    const read = await handler(
      httpEvent('POST /x', { rawBody: 'not json', headers: { 'content-type': 'text/plain' } }) as HttpEvent,
      lambdaContext(),
    );
    expect(jsonBodyOf(read)).toEqual({ body: 'not json', parsed: null });
    const tooLarge = await handler(
      httpEvent('POST /x', { rawBody: '123456789' }) as HttpEvent,
      lambdaContext(),
    );
    expectProblem(tooLarge, 413);
    const empty = await handler(httpEvent('POST /x', { rawBody: '' }) as HttpEvent, lambdaContext());
    expectProblem(empty, 400);
  });

  it('neither reads nor refuses the body of the catch-all route (ignoreBody)', async () => {
    const handler = http(async () => ok({ ran: true }), { ignoreBody: true });
    const response = await handler(
      httpEvent('POST /x', { rawBody: 'anything' }) as HttpEvent,
      lambdaContext(),
    );
    expect(jsonBodyOf(response)).toEqual({ ran: true });
  });

  it('lower-cases request header names before the handler sees them', async () => {
    const handler = http(async (event) => ok({ headers: Object.keys(event.headers) }));
    const response = await handler(
      httpEvent('GET /x', { headers: { 'X-Request-Thing': '1' } }) as HttpEvent,
      lambdaContext(),
    );
    expect(jsonBodyOf<{ headers: string[] }>(response).headers).toContain('x-request-thing');
  });

  it('answers with x-request-id (API Gateway’s request id), on successes and on problems alike', async () => {
    const event = httpEvent('GET /x');
    const succeeded = await http(async () => noContent())(event as HttpEvent, lambdaContext());
    expect(succeeded.headers?.['x-request-id']).toBe(event.requestContext.requestId);
    const failed = await http(async () => {
      throw notFound('No x.');
    })(event as HttpEvent, lambdaContext());
    expect(failed.headers?.['x-request-id']).toBe(event.requestContext.requestId);
    expect(failed.headers?.['content-type']).toBe('application/problem+json');
  });

  it('puts each request’s id on the lines logged while serving it, and only that request’s', async () => {
    logs.info.mockRestore();
    const written: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const first = httpEvent('GET /first');
    const second = httpEvent('GET /second');
    try {
      const handler = http(async (event) => {
        logger.info('handled', { path: event.rawPath });
        return ok({});
      });
      await handler(first as HttpEvent, lambdaContext());
      await handler(second as HttpEvent, lambdaContext());
    } finally {
      write.mockRestore();
    }
    const handled = written
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.message === 'handled');
    expect(handled.map((line) => [line.path, line.requestId])).toEqual([
      ['/first', first.requestContext.requestId],
      ['/second', second.requestContext.requestId],
    ]);
  });
});
