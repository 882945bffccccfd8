import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { checkEnvironmentAtColdStart } from './config.ts';
import { logger } from './logger.ts';
import { metricsMiddleware } from './metrics.ts';
import { tracingMiddlewares } from './tracing.ts';

/**
 * The middlewares every function's stack starts with, HTTP or not: the configuration checked at
 * cold start (this runs during module init, when the handler is wrapped), the Lambda context
 * on every log line (keys of one invocation never leak into the next), metrics flushed, and the
 * handler's trace subsegment where the function's calls are traced.
 */
export function observed<TEvent, TResult>(): middy.MiddlewareObj<TEvent, TResult>[] {
  checkEnvironmentAtColdStart();
  return [
    injectLambdaContext(logger, { resetKeys: true }),
    metricsMiddleware<TEvent, TResult>(),
    ...tracingMiddlewares<TEvent, TResult>(),
  ];
}

/**
 * Wraps a handler that API Gateway's HTTP API does not call (schedules, stream consumers, the
 * WebSocket API) in the same observed middy stack; HTTP handlers use `http()` instead.
 */
export function lambda<TEvent, TResult>(
  handler: (event: TEvent, context: Context) => Promise<TResult>,
): middy.MiddyfiedHandler<TEvent, TResult> {
  return middy<TEvent, TResult>().use(observed<TEvent, TResult>()).handler(handler);
}
