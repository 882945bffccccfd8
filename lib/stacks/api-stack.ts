import path from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps, Stage } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  CorsHttpMethod,
  DomainName,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpStage,
  LogGroupLogDestination,
  WebSocketApi,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { formatScryptParameters, SCRYPT_PARAMETERS_VARIABLE } from '../../functions/accounts/passwords.ts';
import { REQUEST_ID_HEADER } from '../../functions/core/request-id.ts';
import { writeOpenApiDocument } from '../api/openapi.ts';
import { SIMULATED_CHALLENGE_PATH } from '../api/routes/payments.ts';
import {
  DEFAULT_ROUTE,
  deployedRoutes,
  type RouteDefinition,
  routeKey,
  type SecretName,
  type SynthesizedDocument,
} from '../api/routes.ts';
import { deployedSchedules } from '../api/schedules.ts';
import { webSocketStageName } from '../api/websocket.ts';
import type { EnvironmentConfig } from '../config/environments.ts';
import { EndpointFunction } from '../constructs/endpoint-function.ts';
import { SHOP_TABLE_INDEXES } from '../constructs/shop-table.ts';
import type { MediaStack } from './media-stack.ts';
import {
  acknowledgeAccessLogFormat,
  acknowledgeApiEndpoint,
  acknowledgePublicRoute,
  acknowledgeScheduledFunction,
  acknowledgeScheduleRule,
} from './nag-suppressions.ts';

/** Export names of the WebSocket API's id and endpoint. */
export interface WebSocketApiExports {
  readonly apiId: string;
  readonly apiEndpoint: string;
}

export interface ApiStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly table: ITable;
  /** Secrets by name; one that is absent (the Stripe key where the provider is simulated) is not bound. */
  readonly secrets: Readonly<Partial<Record<SecretName, ISecret>>>;
  /** Product image buckets: routes with `images` may presign uploads to, or delete from, them. */
  readonly media: Pick<MediaStack, 'bindImageAccess'>;
}

/** Environment variable through which each kind of secret's ARN reaches a function. */
export const SECRET_VARIABLES: Record<SecretName, string> = {
  cursor: 'CURSOR_SECRET_ARN',
  signingKey: 'SIGNING_KEY_SECRET_ARN',
  paymentWebhook: 'PAYMENT_WEBHOOK_SECRET_ARN',
  stripeApiKey: 'STRIPE_API_KEY_SECRET_ARN',
};

/**
 * How each synthesized document reaches a function: written into `dir` at synthesis, copied
 * next to the bundle, and named (relative to the bundle) in an environment variable. Data from
 * the route table travels this way, as the route keys do in `ROUTE_KEYS`: a function never
 * imports lib/.
 */
const DOCUMENTS: Record<
  SynthesizedDocument,
  { variable: string; write: (dir: string, routes: readonly RouteDefinition[]) => string }
> = {
  openapi: { variable: 'OPENAPI_DOCUMENT', write: writeOpenApiDocument },
};

/** The files and environment of a route's synthesized documents (of the deployed `routes`), written under `dir`. */
function synthesizedDocuments(
  route: RouteDefinition,
  dir: string,
  routes: readonly RouteDefinition[],
): { files: string[]; environment: Record<string, string> } {
  const files: string[] = [];
  const environment: Record<string, string> = {};
  for (const name of route.documents ?? []) {
    const { variable, write } = DOCUMENTS[name];
    const file = write(path.join(dir, route.id), routes);
    files.push(file);
    environment[variable] = path.basename(file);
  }
  return { files, environment };
}

/**
 * The access log line of every request, as JSON: who, which route, the status, how long, and
 * what API Gateway knows of a failed integration or authorizer. No headers, query strings or
 * bodies, so no token or personal data. `status` and `latencyMs` are unquoted numbers (always
 * set), which metric filters compare and measure; the other values are strings (`-` when empty).
 */
export const ACCESS_LOG_FORMAT = `{${[
  '"requestId":"$context.requestId"',
  '"time":"$context.requestTime"',
  '"ip":"$context.identity.sourceIp"',
  '"method":"$context.httpMethod"',
  '"path":"$context.path"',
  '"routeKey":"$context.routeKey"',
  '"status":$context.status',
  '"latencyMs":$context.responseLatency',
  '"responseLength":"$context.responseLength"',
  '"integrationStatus":"$context.integrationStatus"',
  '"integrationLatencyMs":"$context.integrationLatency"',
  '"integrationError":"$context.integrationErrorMessage"',
  '"authorizerError":"$context.authorizer.error"',
  '"error":"$context.error.message"',
].join(',')}}`;

/**
 * The stage's per-route throttling: for each route whose path starts with a configured prefix
 * (`/auth/`), that prefix's limits, as API Gateway's `RouteSettings` spell them.
 */
export function routeThrottleSettings(
  config: EnvironmentConfig,
): Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> {
  const settings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
  for (const route of deployedRoutes(config)) {
    const rule = config.routeThrottling.find(({ pathPrefix }) => route.path.startsWith(pathPrefix));
    if (!rule) continue;
    settings[routeKey(route)] = {
      ThrottlingRateLimit: rule.limits.rateLimit,
      ThrottlingBurstLimit: rule.limits.burstLimit,
    };
  }
  return settings;
}

/**
 * The HTTP API: one function per route of the route table, a catch-all for 404/405, the
 * scheduled functions, access logs, throttling per stage and per route, an optional custom
 * domain. Its monitoring (the functions' alarms, route-group filters and alarms, dashboard,
 * saved queries) lives in the alarms stack (`FunctionAlarmsStack`): here it would take this
 * stack past CloudFormation's 500 resources.
 */
export class ApiStack extends Stack {
  readonly api: HttpApi;
  /**
   * The WebSocket API itself: its routes, authorizer, functions and stage are the events
   * stack's. It lives here so the reference page (`GET /docs`) can name its URL: the events
   * stack depends on this one (the token issuer), so this one cannot read the events stack.
   */
  readonly webSocketApi: WebSocketApi;
  /** The names under which this stack exports the WebSocket API's id and endpoint (the events stack imports them). */
  readonly webSocketApiExports: WebSocketApiExports;
  readonly stage: HttpStage;
  /** The access-token issuer (`iss`): the configured URL, the custom domain, else the API's own endpoint. */
  readonly issuer: string;
  readonly accessLogs: LogGroup;
  /** Functions by construct id (`CatalogListProducts`), for tests and outputs. */
  readonly functions = new Map<string, EndpointFunction>();

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, table, secrets } = props;
    const routesHere = deployedRoutes(config);
    this.webSocketApi = new WebSocketApi(this, 'WebSocketApi', {
      apiName: `shop-${config.name}-realtime`,
      description: `Shop real-time API (${config.name})`,
    });
    const webSocketUrl = `${this.webSocketApi.apiEndpoint}/${webSocketStageName(config)}`;
    // Named exports, not CDK's generated ones: their names are stable, and the events stack's
    // IAM policies (and their cdk-nag acknowledgements) name the API by them.
    this.webSocketApiExports = {
      apiId: `${this.stackName}-WebSocketApiId`,
      apiEndpoint: `${this.stackName}-WebSocketApiEndpoint`,
    };
    new CfnOutput(this, 'WebSocketApiId', {
      value: this.webSocketApi.apiId,
      exportName: this.webSocketApiExports.apiId,
    });
    new CfnOutput(this, 'WebSocketApiEndpoint', {
      value: this.webSocketApi.apiEndpoint,
      exportName: this.webSocketApiExports.apiEndpoint,
    });

    const fallback = new EndpointFunction(this, DEFAULT_ROUTE.id, {
      entry: DEFAULT_ROUTE.entry,
      config,
      // What it needs of the route table to tell 404 from 405 (about 1 KB of 4 KB allowed).
      environment: { ROUTE_KEYS: routesHere.map(routeKey).join(',') },
    });
    this.functions.set(DEFAULT_ROUTE.id, fallback);
    acknowledgeApiEndpoint(fallback);

    const domainName = config.customDomain
      ? new DomainName(this, 'DomainName', {
          domainName: config.customDomain.domainName,
          certificate: Certificate.fromCertificateArn(
            this,
            'Certificate',
            config.customDomain.certificateArn,
          ),
        })
      : undefined;

    this.api = new HttpApi(this, 'HttpApi', {
      description: `Shop API (${config.name})`,
      createDefaultStage: false,
      // With a custom domain, clients (and the token issuer) use it only.
      disableExecuteApiEndpoint: domainName !== undefined,
      defaultIntegration: new HttpLambdaIntegration('DefaultIntegration', fallback.function),
      corsPreflight:
        config.corsOrigins.length > 0
          ? {
              allowOrigins: [...config.corsOrigins],
              allowMethods: [CorsHttpMethod.ANY],
              allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-match'],
              exposeHeaders: ['etag', 'retry-after', 'location', REQUEST_ID_HEADER],
              maxAge: Duration.hours(1),
            }
          : undefined,
    });

    const defaultRoute = this.api.node.tryFindChild('DefaultRoute');
    if (!(defaultRoute instanceof HttpRoute)) throw new Error('The HTTP API has no $default route.');
    acknowledgePublicRoute(defaultRoute, DEFAULT_ROUTE.routeKey);

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { ...config.throttling },
      ...(domainName ? { domainMapping: { domainName } } : {}),
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(ACCESS_LOG_FORMAT),
      },
    });

    acknowledgeAccessLogFormat(this.stage);

    // The API is its own token issuer; API Gateway verifies tokens natively against our JWKS,
    // so a signed-in request costs no extra Lambda invocation.
    const issuer =
      config.issuerUrl ?? (domainName ? `https://${config.customDomain?.domainName}` : this.api.apiEndpoint);
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
      PAYMENT_RETURN_URL: config.paymentReturnUrl,
      // The simulated provider's 3-D Secure page (its routes exist only where it charges).
      ...(config.paymentProvider === 'simulated'
        ? { SIMULATED_CHALLENGE_URL: `${issuer}${SIMULATED_CHALLENGE_PATH}` }
        : {}),
      ORDER_PAYMENT_WINDOW_MINUTES: String(config.orderPaymentWindowMinutes),
      ORDERS_REQUIRE_VERIFIED_EMAIL: String(!config.unverifiedAccountsMayOrder),
      CODE_REQUESTS_PER_IP_HOUR: String(config.codeRequestsPerIpHour),
      PAYMENT_RECONCILE_AFTER_SECONDS: String(config.paymentReconcileAfterSeconds),
      [SCRYPT_PARAMETERS_VARIABLE]: formatScryptParameters(config.passwordHashing),
      ...(config.stripeApiBase ? { STRIPE_API_BASE: config.stripeApiBase } : {}),
    };
    const bindSecrets = (fn: EndpointFunction, names: readonly SecretName[] = []) => {
      for (const name of names) {
        const secret = secrets[name];
        if (secret) fn.bindSecret(secret, SECRET_VARIABLES[name]);
      }
    };

    // Documents written at synthesis go into the cloud assembly, next to the templates.
    const documentsDir = path.join(Stage.of(this)?.outdir ?? '.', 'documents', this.stackName);
    const routes: HttpRoute[] = [];
    for (const route of routesHere) {
      const key = routeKey(route);
      const { id } = route;
      const documents = synthesizedDocuments(route, documentsDir, routesHere);
      const files = [...(route.files ?? []), ...documents.files];
      const endpoint = new EndpointFunction(this, id, {
        entry: route.entry,
        config,
        callsPaymentProvider: route.secrets?.includes('stripeApiKey') ?? false,
        environment: { ...sharedEnvironment, ...documents.environment },
        ...(files.length > 0 ? { files } : {}),
      });
      if (route.table !== 'none') endpoint.bindTable(table, route.table, SHOP_TABLE_INDEXES);
      if (route.webSocketUrl) endpoint.function.addEnvironment('WEBSOCKET_URL', webSocketUrl);
      bindSecrets(endpoint, route.secrets);
      if (route.images) props.media.bindImageAccess(endpoint, route.images);
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
      routes.push(...httpRoutes);
      this.functions.set(id, endpoint);
    }

    // Stricter limits for some routes (/auth/*): route settings name routes, which must exist first.
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.routeSettings = routeThrottleSettings(config);
    for (const route of routes) this.stage.node.addDependency(route);

    for (const job of deployedSchedules(config)) {
      const { id } = job;
      const fn = new EndpointFunction(this, id, {
        entry: job.entry,
        config,
        callsPaymentProvider: job.secrets?.includes('stripeApiKey') ?? false,
        environment: sharedEnvironment,
        timeout: Duration.seconds(25),
      });
      fn.bindTable(table, job.table, SHOP_TABLE_INDEXES);
      bindSecrets(fn, job.secrets);
      acknowledgeScheduledFunction(fn);
      const rule = new Rule(this, `${id}Schedule`, {
        description: job.description,
        schedule: Schedule.rate(Duration.minutes(job.everyMinutes)),
        targets: [new LambdaFunction(fn.function, { retryAttempts: 2 })],
      });
      acknowledgeScheduleRule(rule);
      this.functions.set(id, fn);
    }

    new CfnOutput(this, 'ApiUrl', { value: domainName ? issuer : this.api.apiEndpoint });
    // Here, not in the events stack that builds its stage: an output there would re-export an import.
    new CfnOutput(this, 'WebSocketUrl', { value: webSocketUrl });
  }
}
