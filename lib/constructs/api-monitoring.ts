import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  type Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  LogQueryVisualizationType,
  LogQueryWidget,
  MathExpression,
  type Metric,
  TextWidget,
  Unit,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { CfnQueryDefinition, FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { BUSINESS_METRICS, COLD_START_METRIC } from '../../functions/core/metric-names.ts';
import { routeGroups } from '../api/route-groups.ts';
import { deployedRoutes } from '../api/routes.ts';
import { type EnvironmentConfig, metricsNamespace } from '../config/environments.ts';
import { businessMetric, errorRate, notifyingAlarm, RUNBOOK, RUNBOOK_SECTIONS } from './alarms.ts';
import { PROJECT_ROOT } from './endpoint-function.ts';

/** Where the Logs Insights queries of the runbook are committed; each becomes a saved query. */
export const QUERIES_DIR = path.join(PROJECT_ROOT, 'docs', 'queries');
/** Saved queries that read the access logs (the others read function log groups the operator picks). */
const ACCESS_LOG_QUERIES = ['api-5xx-by-route', 'api-latency-by-route', 'api-requests-by-client'];

/** The metrics the access-log metric filters publish for one route group. */
export interface RouteGroupMetrics {
  readonly requests: Metric;
  readonly serverErrors: Metric;
  readonly latency: Metric;
}

export interface ApiMonitoringProps {
  readonly config: EnvironmentConfig;
  readonly api: HttpApi;
  readonly accessLogs: ILogGroup;
  readonly table: ITable;
  readonly topic: ITopic;
}

/**
 * What an operator watches of one environment's HTTP API and what wakes them: per route group
 * (metric filters on the access logs, so latency is what clients saw, API Gateway included)
 * a 5xx-rate and a p99-latency alarm; alarms on refunds that failed and on a spike of webhook
 * signature rejections; the environment's dashboard; and the runbook's saved Logs Insights
 * queries. Functions' own alarms live with each function (EndpointFunction).
 */
export class ApiMonitoring extends Construct {
  readonly groups = new Map<string, RouteGroupMetrics>();
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ApiMonitoringProps) {
    super(scope, id);
    const { config, accessLogs, topic } = props;
    const namespace = `${metricsNamespace(config)}/Api`;
    const period = Duration.minutes(5);

    for (const [group, routeKeys] of routeGroups(deployedRoutes(config))) {
      const name = capitalized(group);
      const ofGroup = FilterPattern.any(
        ...routeKeys.map((key) => FilterPattern.stringValue('$.routeKey', '=', key)),
      );
      const filter = (kind: string, pattern: typeof ofGroup, value: string, unit: Unit) =>
        new MetricFilter(this, `${name}${kind}Filter`, {
          logGroup: accessLogs,
          filterPattern: pattern,
          metricNamespace: namespace,
          metricName: `${kind}-${group}`,
          metricValue: value,
          unit,
        }).metric({ period, statistic: kind === 'Latency' ? 'p99' : 'Sum' });
      const metrics: RouteGroupMetrics = {
        requests: filter('Requests', ofGroup, '1', Unit.COUNT),
        serverErrors: filter(
          'ServerErrors',
          FilterPattern.all(ofGroup, FilterPattern.numberValue('$.status', '>=', 500)),
          '1',
          Unit.COUNT,
        ),
        latency: filter(
          'Latency',
          FilterPattern.all(ofGroup, FilterPattern.numberValue('$.latencyMs', '>=', 0)),
          '$.latencyMs',
          Unit.MILLISECONDS,
        ),
      };
      this.groups.set(group, metrics);
      this.alarms.push(
        notifyingAlarm(this, `${name}ServerErrorRateAlarm`, {
          config,
          topic,
          name: `api-5xx-${group}`,
          description: `More than ${config.alarms.serverErrorRatePercent}% of ${group} requests answered 5xx.`,
          runbookSection: RUNBOOK_SECTIONS.apiServerErrors,
          metric: errorRate(
            metrics.serverErrors,
            metrics.requests,
            config.alarms.minRequestsForRate,
            `${group} 5xx %`,
          ),
          threshold: config.alarms.serverErrorRatePercent,
        }),
        notifyingAlarm(this, `${name}LatencyAlarm`, {
          config,
          topic,
          name: `api-p99-${group}`,
          description: `The p99 latency of ${group} requests is above its threshold (as API Gateway measured it).`,
          runbookSection: RUNBOOK_SECTIONS.apiLatency,
          metric: metrics.latency,
          threshold: config.alarms.p99LatencyMsByGroup?.[group] ?? config.alarms.p99LatencyMs,
          // Two slow periods out of three: one slow burst of cold starts is not an incident.
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
        }),
      );
    }

    this.alarms.push(
      notifyingAlarm(this, 'RefundFailedAlarm', {
        config,
        topic,
        name: 'refund-failed',
        description: 'A refund the payment provider refused or could not be asked: money to return by hand.',
        runbookSection: RUNBOOK_SECTIONS.refundFailed,
        metric: businessMetric(config, BUSINESS_METRICS.RefundFailed),
        threshold: 0,
      }),
      notifyingAlarm(this, 'WebhookSignatureAlarm', {
        config,
        topic,
        name: 'webhook-signature-rejections',
        description:
          'Many payment webhook deliveries failed signature verification (a probe, or a rolled secret).',
        runbookSection: RUNBOOK_SECTIONS.webhookSignatures,
        metric: businessMetric(config, BUSINESS_METRICS.WebhookSignatureRejected),
        threshold: config.alarms.webhookSignatureRejections,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      }),
    );

    for (const file of readdirSync(QUERIES_DIR)
      .filter((name) => name.endsWith('.logsinsights'))
      .sort()) {
      const name = file.replace(/\.logsinsights$/, '');
      new CfnQueryDefinition(this, `Query${capitalized(name)}`, {
        name: `shop-${config.name}/${name}`,
        queryString: readFileSync(path.join(QUERIES_DIR, file), 'utf8'),
        ...(ACCESS_LOG_QUERIES.includes(name) ? { logGroupNames: [accessLogs.logGroupName] } : {}),
      });
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `shop-${config.name}`,
      defaultInterval: Duration.hours(3),
      widgets: dashboardRows(config, this.groups, props),
    });
  }
}

/** `orders` -> `Orders`, `api-5xx-by-route` -> `Api5xxByRoute` (construct ids). */
function capitalized(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** A CloudWatch search expression for a graph (dashboards may search; alarms may not). */
function search(expression: string, statistic: string, label: string): MathExpression {
  return new MathExpression({
    expression: `SEARCH('${expression}', '${statistic}', 300)`,
    usingMetrics: {},
    label,
    period: Duration.minutes(5),
  });
}

function graph(
  title: string,
  left: IMetric[],
  options: { right?: IMetric[]; width?: number } = {},
): GraphWidget {
  return new GraphWidget({
    title,
    left,
    ...(options.right ? { right: options.right } : {}),
    width: options.width ?? 8,
    height: 6,
  });
}

/**
 * The environment's dashboard, row by row: traffic and errors per route group, latency p50/p99
 * per group and per route, cold starts and function errors, orders and revenue, payments,
 * DynamoDB capacity and throttles, and the real-time path. Functions of the other stacks are
 * found by search on the environment's name prefix, so this stack needs no references to them.
 */
function dashboardRows(
  config: EnvironmentConfig,
  groups: ReadonlyMap<string, RouteGroupMetrics>,
  props: ApiMonitoringProps,
): IWidget[][] {
  const namespace = metricsNamespace(config);
  const prefix = `shop-${config.name}-`;
  const entries = [...groups];
  const metric = (name: string, statistic = 'Sum') =>
    businessMetric(config, name, { statistic }).with({ label: name });
  const region = Stack.of(props.api).region;
  return [
    [
      new TextWidget({
        markdown: `# Shop (${config.name})\nAlarms notify the environment's topic; what each means and what to do: \`${RUNBOOK}\`. Saved queries: Logs Insights, \`shop-${config.name}/*\`.`,
        width: 24,
        height: 2,
      }),
    ],
    [
      graph(
        'Requests per route group',
        entries.map(([group, m]) => m.requests.with({ statistic: 'Sum', label: group })),
      ),
      graph(
        '5xx per route group',
        entries.map(([group, m]) => m.serverErrors.with({ statistic: 'Sum', label: group })),
      ),
      graph('Function errors and throttles', [
        search(`{AWS/Lambda,FunctionName} MetricName="Errors" "${prefix}"`, 'Sum', 'errors'),
        search(`{AWS/Lambda,FunctionName} MetricName="Throttles" "${prefix}"`, 'Sum', 'throttles'),
      ]),
    ],
    [
      graph(
        'Latency p50 per route group (ms)',
        entries.map(([group, m]) => m.latency.with({ statistic: 'p50', label: `${group} p50` })),
      ),
      graph(
        'Latency p99 per route group (ms)',
        entries.map(([group, m]) => m.latency.with({ statistic: 'p99', label: `${group} p99` })),
      ),
      new LogQueryWidget({
        title: 'Latency per route (access logs)',
        logGroupNames: [props.accessLogs.logGroupName],
        queryLines: [
          'fields routeKey, latencyMs',
          'stats count(*) as requests, pct(latencyMs, 50) as p50, pct(latencyMs, 99) as p99 by routeKey',
          'sort p99 desc',
        ],
        view: LogQueryVisualizationType.TABLE,
        region,
        width: 8,
        height: 6,
      }),
    ],
    [
      graph('Cold starts per function', [
        search(`{${namespace},function_name,service} MetricName="${COLD_START_METRIC}"`, 'Sum', ''),
      ]),
      graph(
        'Orders placed and paid',
        [
          metric(BUSINESS_METRICS.OrderPlaced),
          search(
            `{${namespace},currency,service} MetricName="${BUSINESS_METRICS.OrderPaid}"`,
            'SampleCount',
            'paid',
          ),
        ],
        {},
      ),
      graph('Revenue (minor units, per currency)', [
        search(
          `{${namespace},currency,service} MetricName="${BUSINESS_METRICS.OrderPaid}"`,
          'Sum',
          'revenue',
        ),
      ]),
    ],
    [
      graph('Payments', [
        metric(BUSINESS_METRICS.PaymentDeclined),
        metric(BUSINESS_METRICS.RefundFailed),
        metric(BUSINESS_METRICS.PaymentReconciled),
        metric(BUSINESS_METRICS.WebhookSignatureRejected),
      ]),
      graph(
        'DynamoDB consumed capacity',
        [
          props.table.metricConsumedReadCapacityUnits({ period: Duration.minutes(5), label: 'read' }),
          props.table.metricConsumedWriteCapacityUnits({ period: Duration.minutes(5), label: 'write' }),
        ],
        {},
      ),
      graph('DynamoDB throttles and system errors', [
        search(
          `{AWS/DynamoDB,Operation,TableName} MetricName="ThrottledRequests" "${props.table.tableName}"`,
          'Sum',
          'throttled',
        ),
        search(
          `{AWS/DynamoDB,Operation,TableName} MetricName="SystemErrors" "${props.table.tableName}"`,
          'Sum',
          'system errors',
        ),
      ]),
    ],
    [
      graph('Messages and sign-ins', [
        metric(BUSINESS_METRICS.MessageSent),
        metric(BUSINESS_METRICS.WebSocketDeliveryFailed),
        metric(BUSINESS_METRICS.LoginThrottled),
      ]),
      graph('Stream consumers', [metric(BUSINESS_METRICS.StreamRecordFailed)], {
        right: [
          search(
            `{AWS/Lambda,FunctionName} MetricName="IteratorAge" "${prefix}"`,
            'Maximum',
            'iterator age (ms)',
          ),
        ],
      }),
      graph('Dead-letter queues (messages visible)', [
        search(
          `{AWS/SQS,QueueName} MetricName="ApproximateNumberOfMessagesVisible" "${prefix}"`,
          'Maximum',
          '',
        ),
      ]),
    ],
  ];
}
