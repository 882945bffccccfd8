import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { DEFAULT_ROUTE, functionId, ROUTES, routeKey, type SecretName } from '../api/routes.ts';
import { SCHEDULES } from '../api/schedules.ts';
import type { EnvironmentConfig } from '../config/environments.ts';
import { EndpointFunction } from '../constructs/endpoint-function.ts';
import { SHOP_TABLE_INDEXES } from '../constructs/shop-table.ts';
import {
  acknowledgeApiEndpoint,
  acknowledgePublicRoute,
  acknowledgeScheduledFunction,
  acknowledgeScheduleRule,
} from './nag-suppressions.ts';

export interface ApiStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly table: ITable;
  /** Secrets by name; one that is absent (the Stripe key where the provider is simulated) is not bound. */
  readonly secrets: Readonly<Partial<Record<SecretName, ISecret>>>;
}

/** Environment variable through which each kind of secret's ARN reaches a function. */
const SECRET_VARIABLES: Record<SecretName, string> = {
  cursor: 'CURSOR_SECRET_ARN',
  signingKey: 'SIGNING_KEY_SECRET_ARN',
  paymentWebhook: 'PAYMENT_WEBHOOK_SECRET_ARN',
  stripeApiKey: 'STRIPE_API_KEY_SECRET_ARN',
};

/** The HTTP API: one function per route of the route table, a catch-all for 404/405, logs and alarms. */
export class ApiStack extends Stack {
  readonly api: HttpApi;
  /** The access-token issuer (`iss`): the configured URL, else the API's own endpoint. */
  readonly issuer: string;
  /** Every alarm of the environment notifies this topic. */
  readonly alarmTopic: Topic;
  /** Functions by construct id (`CatalogListProducts`), for tests and outputs. */
  readonly functions = new Map<string, EndpointFunction>();

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, table, secrets } = props;

    const fallback = new EndpointFunction(this, functionId(DEFAULT_ROUTE.entry), {
      entry: DEFAULT_ROUTE.entry,
      config,
      // What it needs of the route table to tell 404 from 405 (about 1 KB of 4 KB allowed).
      environment: { ROUTE_KEYS: ROUTES.map(routeKey).join(',') },
    });
    this.functions.set(functionId(DEFAULT_ROUTE.entry), fallback);
    acknowledgeApiEndpoint(fallback);

    this.api = new HttpApi(this, 'HttpApi', {
      description: `Shop API (${config.name})`,
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('DefaultIntegration', fallback.function),
      corsPreflight:
        config.corsOrigins.length > 0
          ? {
              allowOrigins: [...config.corsOrigins],
              allowMethods: [CorsHttpMethod.ANY],
              allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-match'],
              exposeHeaders: ['etag', 'retry-after', 'location'],
              maxAge: Duration.hours(1),
            }
          : undefined,
    });

    const defaultRoute = this.api.node.tryFindChild('DefaultRoute');
    if (!(defaultRoute instanceof HttpRoute)) throw new Error('The HTTP API has no $default route.');
    acknowledgePublicRoute(defaultRoute, DEFAULT_ROUTE.routeKey);

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { ...config.throttling },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            path: '$context.path',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    // The API is its own token issuer; API Gateway verifies tokens natively against our JWKS,
    // so a signed-in request costs no extra Lambda invocation.
    const issuer = config.issuerUrl ?? this.api.apiEndpoint;
    this.issuer = issuer;
    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', issuer, {
      jwtAudience: [config.authAudience],
      identitySource: ['$request.header.Authorization'],
    });
    // Non-secret settings every function may read; secrets arrive only as ARNs, per route.
    const sharedEnvironment: Record<string, string> = {
      AUTH_ISSUER: issuer,
      AUTH_AUDIENCE: config.authAudience,
      PAYMENT_PROVIDER: config.paymentProvider,
      PAYMENT_WEBHOOK_URL: `${issuer}/webhooks/payments`,
      ORDER_PAYMENT_WINDOW_MINUTES: String(config.orderPaymentWindowMinutes),
      ...(config.stripeApiBase ? { STRIPE_API_BASE: config.stripeApiBase } : {}),
    };

    for (const route of ROUTES) {
      const key = routeKey(route);
      const id = functionId(route.entry);
      const endpoint = new EndpointFunction(this, id, {
        entry: route.entry,
        config,
        environment: sharedEnvironment,
        ...(route.files ? { files: route.files } : {}),
      });
      if (route.table !== 'none') endpoint.bindTable(table, route.table, SHOP_TABLE_INDEXES);
      for (const name of route.secrets ?? []) {
        const secret = secrets[name];
        if (secret) endpoint.bindSecret(secret, SECRET_VARIABLES[name]);
      }
      acknowledgeApiEndpoint(endpoint);
      const httpRoutes = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${id}Integration`, endpoint.function),
        ...(route.auth === 'public'
          ? {}
          : { authorizer, authorizationScopes: route.auth === 'admin' ? ['admin'] : undefined }),
      });
      if (route.auth === 'public') for (const httpRoute of httpRoutes) acknowledgePublicRoute(httpRoute, key);
      this.functions.set(id, endpoint);
    }

    for (const job of SCHEDULES) {
      const id = functionId(job.entry);
      const fn = new EndpointFunction(this, id, {
        entry: job.entry,
        config,
        environment: sharedEnvironment,
        timeout: Duration.seconds(25),
      });
      fn.bindTable(table, job.table, SHOP_TABLE_INDEXES);
      for (const name of job.secrets ?? []) {
        const secret = secrets[name];
        if (secret) fn.bindSecret(secret, SECRET_VARIABLES[name]);
      }
      acknowledgeScheduledFunction(fn);
      const rule = new Rule(this, `${id}Schedule`, {
        description: job.description,
        schedule: Schedule.rate(Duration.minutes(job.everyMinutes)),
        targets: [new LambdaFunction(fn.function, { retryAttempts: 2 })],
      });
      acknowledgeScheduleRule(rule);
      this.functions.set(id, fn);
    }

    const alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: `Shop API alarms (${config.name})`,
      enforceSSL: true,
      masterKey: Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
    });
    const serverErrors = new Alarm(this, 'Api5xxAlarm', {
      alarmDescription: 'The API answered with 5xx: our fault, not the client’s.',
      metric: this.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: config.alarm5xxThreshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    serverErrors.addAlarmAction(new SnsAction(alarmTopic));
    this.alarmTopic = alarmTopic;

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarmTopic.topicArn });
  }
}
