import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { METRICS_SERVICE } from '../../functions/core/metric-names.ts';
import { type EnvironmentConfig, metricsNamespace } from '../config/environments.ts';

/** Where the runbook lives; each alarm's description ends with its section. */
export const RUNBOOK = 'docs/operations.md';

/** The runbook sections alarms point at (anchors in docs/operations.md). */
export const RUNBOOK_SECTIONS = {
  apiServerErrors: 'api-5xx-rate',
  apiLatency: 'api-p99-latency',
  functionErrors: 'function-errors',
  functionThrottles: 'function-throttles',
  functionDuration: 'function-duration-near-timeout',
  dynamoThrottles: 'dynamodb-throttled-requests',
  dynamoSystemErrors: 'dynamodb-system-errors',
  deadLetters: 'dead-letter-queue-not-empty',
  refundFailed: 'refund-failed',
  webhookSignatures: 'webhook-signature-rejections',
  iteratorAge: 'stream-iterator-age',
} as const;

export interface NotifyingAlarmProps {
  /** The alarm's name after `shop-<env>-`, e.g. `api-5xx-orders`. */
  readonly name: string;
  /** What it means, in one sentence; the runbook section is appended. */
  readonly description: string;
  readonly runbookSection: (typeof RUNBOOK_SECTIONS)[keyof typeof RUNBOOK_SECTIONS];
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator?: ComparisonOperator;
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
  readonly config: EnvironmentConfig;
  readonly topic: ITopic;
}

/**
 * An alarm that notifies the environment's topic when it fires and when it recovers. Missing
 * data is not a breach: most of these metrics only exist when something happened.
 */
export function notifyingAlarm(scope: Construct, id: string, props: NotifyingAlarmProps): Alarm {
  const alarm = new Alarm(scope, id, {
    alarmName: `shop-${props.config.name}-${props.name}`,
    alarmDescription: `${props.description} Runbook: ${RUNBOOK}#${props.runbookSection}`,
    metric: props.metric,
    threshold: props.threshold,
    comparisonOperator: props.comparisonOperator ?? ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: props.evaluationPeriods ?? 1,
    ...(props.datapointsToAlarm ? { datapointsToAlarm: props.datapointsToAlarm } : {}),
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
  const action = new SnsAction(props.topic);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
  return alarm;
}

/** A business metric the functions emit (EMF, dimension `service`), summed per period. */
export function businessMetric(
  config: Pick<EnvironmentConfig, 'name'>,
  metricName: string,
  options: { period?: Duration; statistic?: string } = {},
): Metric {
  return new Metric({
    namespace: metricsNamespace(config),
    metricName,
    dimensionsMap: { service: METRICS_SERVICE },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? Duration.minutes(5),
  });
}

/** `100 * errors / requests` once there were `minRequests` requests in the period, else 0. */
export function errorRate(
  errors: IMetric,
  requests: IMetric,
  minRequests: number,
  label: string,
): MathExpression {
  return new MathExpression({
    expression: `IF(requests >= ${minRequests}, 100 * errors / requests, 0)`,
    usingMetrics: { errors, requests },
    label,
    period: Duration.minutes(5),
  });
}
