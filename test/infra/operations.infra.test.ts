import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DAEMON_HEADER } from '../../functions/core/xray.ts';
import { routeGroups } from '../../lib/api/route-groups.ts';
import { deployedRoutes, ROUTES, routeKey } from '../../lib/api/routes.ts';
import { SCHEDULES } from '../../lib/api/schedules.ts';
import { STREAM_CONSUMERS } from '../../lib/api/stream-consumers.ts';
import { addShopStacks, httpApiFunctions } from '../../lib/app.ts';
import {
  ENVIRONMENT_NAMES,
  type EnvironmentConfig,
  environmentConfig,
} from '../../lib/config/environments.ts';
import { QUERIES_DIR } from '../../lib/constructs/api-monitoring.ts';
import { ACCESS_LOG_FORMAT } from '../../lib/stacks/api-stack.ts';
import {
  type CfnResourceJson,
  functionLogicalId,
  httpApiOf,
  onlyResource,
  referencedLogicalId,
  resourcesOfType,
  type SynthesizedShop,
  synthesizeShop,
} from './shop-app.ts';

/** Every resource of a type across the environment's stacks (the HTTP API's as one), with its template. */
function everywhere(
  shop: SynthesizedShop,
  type: string,
): { template: Template; id: string; resource: CfnResourceJson }[] {
  return [shop.data, shop.http, shop.events, shop.alarms].flatMap((template) =>
    Object.entries(resourcesOfType(template, type)).map(([id, resource]) => ({ template, id, resource })),
  );
}

const alarmsOf = (shop: SynthesizedShop) => everywhere(shop, 'AWS::CloudWatch::Alarm');
const alarmNamed = (shop: SynthesizedShop, name: string) =>
  alarmsOf(shop).find(({ resource }) => resource.Properties?.AlarmName === `shop-${shop.config.name}-${name}`)
    ?.resource;

/** The functions built for the route table and the schedules (function id, entry, secrets). */
const calledFromTables = [
  ...ROUTES.map((route) => ({ id: route.id, entry: route.entry, secrets: route.secrets ?? [] })),
  ...SCHEDULES.map((job) => ({ id: job.id, entry: job.entry, secrets: job.secrets ?? [] })),
];

describe('the environments’ operational settings', () => {
  it.each(ENVIRONMENT_NAMES)(
    '%s: strict limits on /auth/*, each route rule within the stage’s limits',
    (name) => {
      const config = environmentConfig(name);
      const auth = config.routeThrottling.find((rule) => rule.pathPrefix === '/auth/');
      expect(auth).toBeDefined();
      for (const rule of config.routeThrottling) {
        expect(rule.limits.rateLimit).toBeLessThanOrEqual(config.throttling.rateLimit);
        expect(rule.limits.burstLimit).toBeLessThanOrEqual(config.throttling.burstLimit);
        expect(rule.limits.rateLimit).toBeLessThan(config.throttling.rateLimit / 5);
      }
    },
  );

  it.each(ENVIRONMENT_NAMES)(
    '%s: the stages of every environment sharing its account fit in the account’s quota',
    (name) => {
      const config = environmentConfig(name);
      const sharing = [config, ...config.accountThrottleBudget.sharedWith.map(environmentConfig)];
      // Each environment has two stages (HTTP and WebSocket API) with the same stage limits.
      const rate = sharing.reduce((sum, env) => sum + 2 * env.throttling.rateLimit, 0);
      const burst = sharing.reduce((sum, env) => sum + 2 * env.throttling.burstLimit, 0);
      expect(rate).toBeLessThanOrEqual(config.accountThrottleBudget.rateLimit);
      expect(burst).toBeLessThanOrEqual(config.accountThrottleBudget.burstLimit);
      for (const other of config.accountThrottleBudget.sharedWith) {
        expect(
          environmentConfig(other).accountThrottleBudget.sharedWith,
          `${other} shares with ${name}`,
        ).toContain(name);
      }
    },
  );

  it('sends prod and staging alarms to an email, and none in local and dev unless set', () => {
    expect(environmentConfig('prod').alarms.email).toBeTruthy();
    expect(environmentConfig('staging').alarms.email).toBeTruthy();
    expect(environmentConfig('local').alarms.email).toBeUndefined();
    expect(environmentConfig('dev').alarms.email).toBeUndefined();
  });

  it('every route belongs to exactly one route group', () => {
    const grouped = [...routeGroups().values()].flat();
    expect(grouped.sort()).toEqual([...ROUTES.map(routeKey), '$default'].sort());
  });
});

describe('prod alarms', () => {
  const shop = () => synthesizeShop('prod');
  const config = () => shop().config;

  it('all notify the one alarm topic of the data stack, when they fire and when they recover', () => {
    const [topicId] = onlyResource(shop().data, 'AWS::SNS::Topic');
    const alarms = alarmsOf(shop());
    expect(alarms.length).toBeGreaterThan(100);
    for (const { template, id, resource } of alarms) {
      const actions = [resource.Properties?.AlarmActions, resource.Properties?.OKActions];
      for (const list of actions) {
        expect(list, id).toHaveLength(1);
        const target = JSON.stringify(list);
        if (template === shop().data) expect(target).toBe(JSON.stringify([{ Ref: topicId }]));
        else expect(target).toContain('Fn::ImportValue');
      }
      expect(String(resource.Properties?.AlarmDescription), id).toContain('Runbook: docs/operations.md#');
    }
    // The imports are the data stack's topic (and nothing else).
    const exported = JSON.stringify(shop().assembly.getStackByName('shop-prod-data').template.Outputs);
    expect(exported).toContain(topicId);
  });

  it('publish to an encrypted topic whose key CloudWatch may use, subscribed by the on-call email', () => {
    const [, topic] = onlyResource(shop().data, 'AWS::SNS::Topic');
    const [keyId, key] = onlyResource(shop().data, 'AWS::KMS::Key');
    expect(topic.Properties?.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(key.Properties?.EnableKeyRotation).toBe(true);
    expect(JSON.stringify(key.Properties?.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
    shop().data.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: config().alarms.email,
    });
  });

  it('watch every route group for its 5xx rate and its p99 latency, from the access logs', () => {
    const [logGroupId] = Object.entries(resourcesOfType(shop().api, 'AWS::Logs::LogGroup')).find(([id]) =>
      id.startsWith('AccessLogs'),
    ) as [string, CfnResourceJson];
    const filters = Object.values(resourcesOfType(shop().alarms, 'AWS::Logs::MetricFilter'));
    for (const [group, keys] of routeGroups(deployedRoutes(config()))) {
      const ofGroup = (metric: string) =>
        filters.find((filter) =>
          JSON.stringify(filter.Properties?.MetricTransformations).includes(`"${metric}-${group}"`),
        );
      for (const metric of ['Requests', 'ServerErrors', 'Latency']) {
        const filter = ofGroup(metric);
        expect(filter, `${metric}-${group}`).toBeDefined();
        // In the alarms stack, through the API stack's export of the access log group.
        expect(JSON.stringify(filter?.Properties?.LogGroupName)).toContain(`ExportsOutputRef${logGroupId}`);
        for (const key of keys)
          expect(String(filter?.Properties?.FilterPattern)).toContain(`$.routeKey = "${key}"`);
      }
      expect(String(ofGroup('ServerErrors')?.Properties?.FilterPattern)).toContain('$.status >= 500');
      expect(JSON.stringify(ofGroup('Latency')?.Properties?.MetricTransformations)).toContain(
        '"$.latencyMs"',
      );

      const rate = alarmNamed(shop(), `api-5xx-${group}`);
      expect(rate?.Properties?.Threshold).toBe(config().alarms.serverErrorRatePercent);
      const expression = JSON.stringify(rate?.Properties?.Metrics);
      expect(expression).toContain(
        `IF(requests >= ${config().alarms.minRequestsForRate}, 100 * errors / requests, 0)`,
      );
      expect(expression).toContain(`ServerErrors-${group}`);
      expect(expression).toContain(`Requests-${group}`);

      const latency = alarmNamed(shop(), `api-p99-${group}`);
      expect(latency?.Properties).toMatchObject({
        MetricName: `Latency-${group}`,
        Namespace: 'Shop/prod/Api',
        ExtendedStatistic: 'p99',
        Threshold: config().alarms.p99LatencyMsByGroup?.[group] ?? config().alarms.p99LatencyMs,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
      });
    }
  });

  it('watch every function of every stack for errors, throttles and a duration near its timeout', () => {
    const functions = everywhere(shop(), 'AWS::Lambda::Function').filter(
      // CDK's own helper functions (custom resource providers) are not ours.
      ({ resource }) => resource.Properties?.Environment !== undefined,
    );
    expect(functions.length).toBeGreaterThan(deployedRoutes(config()).length);
    const alarms = alarmsOf(shop());
    for (const { template, id, resource } of functions) {
      // In the function's own stack, by Ref: each alarm lives with its function.
      const ofFunction = alarms.filter(({ template: t, resource: alarm }) => {
        const dimensions = alarm.Properties?.Dimensions as { Name: string; Value: unknown }[] | undefined;
        if (dimensions?.length !== 1 || dimensions[0]?.Name !== 'FunctionName') return false;
        return t === template && (dimensions[0].Value as { Ref?: string }).Ref === id;
      });
      const byMetric = Object.fromEntries(
        ofFunction.map(({ resource: alarm }) => [alarm.Properties?.MetricName, alarm.Properties]),
      );
      expect(byMetric.Errors, id).toMatchObject({
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      expect(byMetric.Throttles, id).toMatchObject({ Statistic: 'Sum', Threshold: 0 });
      expect(byMetric.Duration, id).toMatchObject({
        Statistic: 'Maximum',
        Threshold: Math.round(
          Number(resource.Properties?.Timeout) * 1000 * config().alarms.durationShareOfTimeout,
        ),
      });
    }
  });

  it('watch the table for throttled requests and system errors', () => {
    const [tableId] = onlyResource(shop().data, 'AWS::DynamoDB::Table');
    for (const [name, metric] of [
      ['dynamodb-throttles', 'ThrottledRequests'],
      ['dynamodb-system-errors', 'SystemErrors'],
    ] as const) {
      const alarm = alarmNamed(shop(), name);
      const metrics = JSON.stringify(alarm?.Properties?.Metrics);
      expect(metrics, name).toContain(`"MetricName":"${metric}"`);
      expect(metrics).toContain(`"Ref":"${tableId}"`);
      for (const operation of ['GetItem', 'Query', 'TransactWriteItems', 'GetRecords'])
        expect(metrics).toContain(operation);
      expect(alarm?.Properties?.Threshold).toBe(0);
    }
  });

  it('watch every dead-letter queue for any message, and every stream consumer’s iterator age', () => {
    const queues = everywhere(shop(), 'AWS::SQS::Queue');
    expect(queues).toHaveLength(STREAM_CONSUMERS.length);
    for (const { id } of queues) {
      const alarm = alarmsOf(shop()).find(({ resource }) =>
        JSON.stringify(resource.Properties?.Dimensions ?? []).includes(`"${id}"`),
      );
      expect(alarm?.resource.Properties, id).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    for (const consumer of STREAM_CONSUMERS) {
      expect(alarmNamed(shop(), `iterator-age-${consumer.id}`)?.Properties).toMatchObject({
        MetricName: 'IteratorAge',
        Statistic: 'Maximum',
        Threshold: config().alarms.streamIteratorAgeSeconds * 1000,
      });
    }
  });

  it('fire on any failed refund, and on a spike of webhook signature rejections', () => {
    expect(alarmNamed(shop(), 'refund-failed')?.Properties).toMatchObject({
      Namespace: 'Shop/prod',
      MetricName: 'RefundFailed',
      Dimensions: [{ Name: 'service', Value: 'shop' }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarmNamed(shop(), 'webhook-signature-rejections')?.Properties).toMatchObject({
      MetricName: 'WebhookSignatureRejected',
      Threshold: config().alarms.webhookSignatureRejections,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });
});

describe('local stacks', () => {
  it('have no email subscription (local and dev get none unless configured)', () => {
    expect(Object.keys(resourcesOfType(synthesizeShop('local').data, 'AWS::SNS::Subscription'))).toEqual([]);
  });
});

describe('the prod dashboard', () => {
  const body = () => {
    const [, dashboard] = onlyResource(synthesizeShop('prod').alarms, 'AWS::CloudWatch::Dashboard');
    expect(dashboard.Properties?.DashboardName).toBe('shop-prod');
    return JSON.stringify(dashboard.Properties?.DashboardBody);
  };

  it.each([
    ['traffic per route group', 'Requests per route group', 'Requests-orders'],
    ['errors per route group and function', '5xx per route group', 'MetricName=\\\\\\"Errors\\\\\\"'],
    ['latency p50 and p99 per group', 'Latency p99 per route group', '\\"stat\\":\\"p50\\"'],
    ['latency per route, from the access logs', 'Latency per route (access logs)', 'pct(latencyMs, 99)'],
    ['cold starts per function', 'Cold starts per function', 'ColdStart'],
    ['orders and revenue', 'Revenue (minor units, per currency)', 'OrderPlaced'],
    ['payments declined and refunds failed', 'Payments', 'PaymentDeclined'],
    ['DynamoDB capacity and throttles', 'DynamoDB consumed capacity', 'ThrottledRequests'],
  ])('shows %s', (_what, title, content) => {
    expect(body()).toContain(title);
    expect(body()).toContain(content);
  });
});

describe('prod access logs', () => {
  it('are JSON lines with the request id, route, status, latency and integration and authorizer errors', () => {
    const [, stage] = onlyResource(synthesizeShop('prod').api, 'AWS::ApiGatewayV2::Stage');
    const settings = stage.Properties?.AccessLogSettings as { Format: string; DestinationArn: unknown };
    expect(settings.Format).toBe(ACCESS_LOG_FORMAT);
    // API Gateway fills in every variable; with sample values the line must parse as JSON.
    const line = settings.Format.replace(/\$context\.(status|responseLatency)/g, '200').replace(
      /\$context\.[a-zA-Z.]+/g,
      'x',
    );
    expect(Object.keys(JSON.parse(line) as object)).toEqual(
      expect.arrayContaining([
        'requestId',
        'routeKey',
        'status',
        'latencyMs',
        'integrationError',
        'authorizerError',
      ]),
    );
    expect(JSON.parse(line)).toMatchObject({ status: 200, latencyMs: 200 });
  });

  it('carry no header, query string, body or claim, so no token reaches them', () => {
    for (const forbidden of ['$request', 'header', 'querystring', 'body', 'claims', 'authorization']) {
      expect(ACCESS_LOG_FORMAT.toLowerCase()).not.toContain(forbidden);
    }
  });

  it('keep the environment’s retention', () => {
    const shop = synthesizeShop('prod');
    const [, stage] = onlyResource(shop.api, 'AWS::ApiGatewayV2::Stage');
    const destination = referencedLogicalId(
      (stage.Properties?.AccessLogSettings as { DestinationArn: unknown } | undefined)?.DestinationArn,
    );
    expect(
      resourcesOfType(shop.api, 'AWS::Logs::LogGroup')[destination ?? '']?.Properties?.RetentionInDays,
    ).toBe(shop.config.logRetention);
  });

  it('come with the runbook’s saved Logs Insights queries, one per committed query file', () => {
    const shop = synthesizeShop('prod');
    const files = readdirSync(QUERIES_DIR).filter((file) => file.endsWith('.logsinsights'));
    const saved = Object.values(resourcesOfType(shop.alarms, 'AWS::Logs::QueryDefinition'));
    expect(saved.map((query) => query.Properties?.Name).sort()).toEqual(
      files.map((file) => `shop-prod/${file.replace('.logsinsights', '')}`).sort(),
    );
    for (const file of files) {
      const query = saved.find(
        (q) => q.Properties?.Name === `shop-prod/${file.replace('.logsinsights', '')}`,
      );
      expect(query?.Properties?.QueryString).toBe(readFileSync(path.join(QUERIES_DIR, file), 'utf8'));
    }
  });
});

describe.each([
  ['prod', true],
  ['local', false],
] as const)('%s tracing', (name, active) => {
  const shop = () => synthesizeShop(name);

  it(`${active ? 'turns on' : 'leaves off'} Lambda active tracing on every function`, () => {
    for (const { id, resource } of everywhere(shop(), 'AWS::Lambda::Function')) {
      if (resource.Properties?.Environment === undefined) continue;
      expect(resource.Properties?.TracingConfig, id).toEqual(active ? { Mode: 'Active' } : undefined);
    }
  });

  it(`bundles the X-Ray recorder ${active ? 'only into the functions that call the payment provider' : 'into no function'}, and the X-Ray SDK into none`, () => {
    const assemblyDir = shop().assembly.directory;
    for (const { id, entry, secrets } of calledFromTables) {
      // A schedule or route this environment does not deploy (simulated payments where Stripe charges).
      if (
        !httpApiFunctions(shop().stacks).has(id) &&
        !deployedRoutes(shop().config).some((route) => route.id === id)
      )
        continue;
      const fn = resourcesOfType(shop().http, 'AWS::Lambda::Function')[functionLogicalId(shop(), id)];
      const traced = active && secrets.includes('stripeApiKey');
      const variables = (fn?.Properties?.Environment as { Variables: Record<string, string> } | undefined)
        ?.Variables;
      expect(variables?.SHOP_TRACED_CALLS, entry).toBe(String(traced));
      const bundle = readFileSync(path.join(assemblyDir, `asset.${assetHash(fn)}`, 'index.mjs'), 'utf8');
      // The daemon protocol's header line is in the bundle exactly where the recorder is.
      expect(bundle.includes(DAEMON_HEADER.trim()), entry).toBe(traced);
      expect(bundle.includes('AWSXRay') || bundle.includes('XRaySDK'), entry).toBe(false);
    }
  });
});

/** The asset hash of a function's code (its S3 key is `<hash>.zip`). */
function assetHash(fn: CfnResourceJson | undefined): string {
  const key = (fn?.Properties?.Code as { S3Key?: string } | undefined)?.S3Key ?? '';
  return key.replace(/\.zip$/, '');
}

describe.each(['prod', 'local'] as const)('%s throttling', (name) => {
  it('throttles the stage as configured, and every /auth/ route with the stricter route limits', () => {
    const shop = synthesizeShop(name);
    const [, stage] = onlyResource(shop.api, 'AWS::ApiGatewayV2::Stage');
    const auth = shop.config.routeThrottling.find((rule) => rule.pathPrefix === '/auth/')?.limits;
    expect(stage.Properties?.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: shop.config.throttling.rateLimit,
      ThrottlingBurstLimit: shop.config.throttling.burstLimit,
    });
    const authRoutes = ROUTES.filter((route) => route.path.startsWith('/auth/')).map(routeKey);
    expect(authRoutes.length).toBeGreaterThan(0);
    expect(stage.Properties?.RouteSettings).toEqual(
      Object.fromEntries(
        authRoutes.map((key) => [
          key,
          { ThrottlingRateLimit: auth?.rateLimit, ThrottlingBurstLimit: auth?.burstLimit },
        ]),
      ),
    );
  });

  it('creates the stage after the routes its route settings name', () => {
    const shop = synthesizeShop(name);
    const stage = Object.values(shop.api.findResources('AWS::ApiGatewayV2::Stage'))[0] as {
      DependsOn?: string[];
    };
    const routeIds = Object.keys(resourcesOfType(shop.api, 'AWS::ApiGatewayV2::Route')).filter(
      (id) => !id.includes('DefaultRoute'),
    );
    expect(stage.DependsOn).toEqual(expect.arrayContaining(routeIds));
  });
});

describe('prod functions', () => {
  it('write their metrics to the environment’s namespace, named after their construct', () => {
    const shop = synthesizeShop('prod');
    for (const id of httpApiFunctions(shop.stacks).keys()) {
      const fn = resourcesOfType(shop.http, 'AWS::Lambda::Function')[functionLogicalId(shop, id)];
      expect(
        (fn?.Properties?.Environment as { Variables: Record<string, string> } | undefined)?.Variables,
      ).toMatchObject({
        POWERTOOLS_METRICS_NAMESPACE: 'Shop/prod',
        POWERTOOLS_METRICS_FUNCTION_NAME: id,
      });
    }
  });

  it('rotate the token signing keys on a Secrets Manager schedule, with the rotation function', () => {
    const shop = synthesizeShop('prod');
    const [, schedule] = onlyResource(shop.data, 'AWS::SecretsManager::RotationSchedule');
    const rotation = (schedule.Properties ?? {}) as {
      SecretId: unknown;
      RotationLambdaARN: unknown;
      RotationRules: { ScheduleExpression?: string; AutomaticallyAfterDays?: number };
      RotateImmediatelyOnUpdate?: boolean;
    };
    const secretId = referencedLogicalId(rotation.SecretId) ?? '';
    expect(secretId.startsWith('TokenSigningKeys')).toBe(true);
    expect(JSON.stringify(rotation.RotationLambdaARN)).toContain('RotateSigningKey');
    expect(JSON.stringify(rotation.RotationRules)).toContain(String(shop.config.signingKeyRotationDays));
    expect(rotation.RotateImmediatelyOnUpdate).toBe(false);
  });

  it('let browsers of allowed origins read x-request-id', () => {
    const [, api] = httpApiOf(synthesizeShop('prod').api);
    expect(
      (api.Properties?.CorsConfiguration as { ExposeHeaders: string[] } | undefined)?.ExposeHeaders,
    ).toContain('x-request-id');
  });
});

describe('an environment with a custom domain', () => {
  // Synthesized without bundling: only the API's wiring is asserted.
  const config: EnvironmentConfig = {
    ...environmentConfig('prod'),
    customDomain: {
      domainName: 'api.shop.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
    },
  };
  const api = () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    return Template.fromStack(addShopStacks(app, config).api);
  };

  it('maps the domain to the stage, switches the execute-api endpoint off, and issues tokens for the domain', () => {
    const template = api();
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'api.shop.example.com',
      DomainNameConfigurations: Match.arrayWith([
        Match.objectLike({ CertificateArn: config.customDomain?.certificateArn }),
      ]),
    });
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    const [, httpApi] = httpApiOf(template);
    expect(httpApi.Properties?.DisableExecuteApiEndpoint).toBe(true);
    const [, authorizer] = onlyResource(template, 'AWS::ApiGatewayV2::Authorizer');
    expect((authorizer.Properties?.JwtConfiguration as { Issuer: string } | undefined)?.Issuer).toBe(
      'https://api.shop.example.com',
    );
  });

  it('is optional: environments without one have no domain resources', () => {
    expect(Object.keys(resourcesOfType(synthesizeShop('prod').api, 'AWS::ApiGatewayV2::DomainName'))).toEqual(
      [],
    );
  });
});
