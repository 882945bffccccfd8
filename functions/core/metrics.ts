import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type middy from '@middy/core';
import { declareEnv } from './config.ts';
import { type BusinessMetric, METRICS_SERVICE } from './metric-names.ts';

// The namespace is per environment (`Shop/<env>`); without it every metric would land in a
// default namespace no alarm reads. Not needed where metrics are switched off.
declareEnv(
  'POWERTOOLS_METRICS_NAMESPACE',
  undefined,
  () => process.env.POWERTOOLS_METRICS_DISABLED !== 'true',
);

/**
 * The function's metrics (Powertools, embedded metric format): written to stdout as JSON log
 * lines that CloudWatch turns into metrics, so emitting one costs no API call. Namespace,
 * `function_name` of the cold-start metric and whether metrics are on come from the
 * environment (POWERTOOLS_METRICS_*), set per environment by the CDK app.
 */
export const metrics = new Metrics({ serviceName: METRICS_SERVICE });

/** Counts one occurrence (or `value`) of a business metric; flushed when the invocation ends. */
export function countMetric(name: BusinessMetric, value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
}

/**
 * Records a business metric with an extra dimension (e.g. the currency of `OrderPaid`), written
 * at once as its own EMF line, so it never changes the dimensions of the invocation's others.
 */
export function dimensionedMetric(
  name: BusinessMetric,
  dimension: { readonly name: string; readonly value: string },
  value: number,
  unit: (typeof MetricUnit)[keyof typeof MetricUnit] = MetricUnit.Count,
): void {
  metrics.singleMetric().addDimension(dimension.name, dimension.value).addMetric(name, unit, value);
}

/** An order total (minor units) is a plain number, not a count. */
export const MINOR_UNITS = MetricUnit.NoUnit;

function flush(): void {
  // Only when something was recorded: Powertools would otherwise warn on every invocation.
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/**
 * The metrics part of every handler's middy stack: the `ColdStart` metric on an instance's first
 * invocation, and whatever the invocation recorded flushed when it ends, answer or error.
 */
export function metricsMiddleware<TEvent, TResult>(): middy.MiddlewareObj<TEvent, TResult> {
  return {
    before: () => {
      metrics.captureColdStartMetric();
    },
    after: flush,
    onError: flush,
  };
}
