import type middy from '@middy/core';
import type { Instrumentation } from './xray-instrumentation.ts';

/**
 * X-Ray subsegments for a function's handler, its AWS SDK calls (DynamoDB, Secrets Manager) and
 * its outgoing HTTPS calls (fetch: the payment provider), in the functions where the environment
 * wants them (`observability.tracedCalls` in lib/config), sent to the X-Ray daemon that Lambda's
 * active tracing runs (xray.ts). The choice is made when the function is bundled:
 * `SHOP_TRACED_CALLS` is replaced by a constant, so where it is not "true" esbuild drops this
 * branch and the recorder with it. Where it is bundled it costs a few KB and nothing measurable
 * at cold start (`npm run bench`: floor:tracer against floor:getitem-ours); it records nothing
 * unless Lambda runs the function with active tracing, in a sampled trace.
 */
let instrumentation: Instrumentation | undefined;
if (process.env.SHOP_TRACED_CALLS === 'true') {
  const { instrumentFromEnvironment } = await import('./xray-instrumentation.ts');
  instrumentation = instrumentFromEnvironment();
}

/** Records an AWS SDK v3 client's calls as subsegments where calls are traced; otherwise the client as is. */
export function traced<T>(client: T): T {
  return instrumentation ? instrumentation.traceClient(client) : client;
}

/** The middy middleware that opens the handler's subsegment (with a ColdStart annotation), if any. */
export function tracingMiddlewares<TEvent, TResult>(): middy.MiddlewareObj<TEvent, TResult>[] {
  return instrumentation ? [instrumentation.middleware as middy.MiddlewareObj<TEvent, TResult>] : [];
}
