import type { Tracer } from '@aws-lambda-powertools/tracer';
import type middy from '@middy/core';

/**
 * X-Ray subsegments for a function's DynamoDB, Secrets Manager and HTTPS (fetch) calls, through
 * the Powertools Tracer, in the functions where the environment wants them
 * (`observability.tracedCalls` in lib/config). The choice is made when the function is
 * bundled: `SHOP_TRACED_CALLS` is replaced by a constant, so where it is not "true" esbuild
 * drops this branch and the X-Ray SDK with it, and the function pays no cold-start cost for
 * it (where it is bundled: `npm run bench`, floor:tracer against floor:getitem). Lambda's own active
 * tracing (the invocation segment) needs no code and is configured on the function.
 */
let tracer: Tracer | undefined;
let handlerMiddleware: middy.MiddlewareObj | undefined;
if (process.env.SHOP_TRACED_CALLS === 'true') {
  const [{ Tracer }, { captureLambdaHandler }] = await Promise.all([
    import('@aws-lambda-powertools/tracer'),
    import('@aws-lambda-powertools/tracer/middleware'),
  ]);
  // Responses hold personal data (accounts, orders): never copied into traces.
  tracer = new Tracer({ captureHTTPsRequests: true });
  handlerMiddleware = captureLambdaHandler(tracer, { captureResponse: false });
}

/** Records an AWS SDK v3 client's calls as subsegments where calls are traced; otherwise the client as is. */
export function traced<T>(client: T): T {
  return tracer ? tracer.captureAWSv3Client(client) : client;
}

/** The middy middleware that opens the handler's subsegment (with a ColdStart annotation), if any. */
export function tracingMiddlewares<TEvent, TResult>(): middy.MiddlewareObj<TEvent, TResult>[] {
  return handlerMiddleware ? [handlerMiddleware as middy.MiddlewareObj<TEvent, TResult>] : [];
}
