import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  CorsHttpMethod,
  DomainName,
  HttpApi,
  HttpAuthorizer,
  HttpAuthorizerType,
  HttpRoute,
  HttpStage,
  LogGroupLogDestination,
  WebSocketApi,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { REQUEST_ID_HEADER } from '../../functions/core/request-id.ts';
import { DEFAULT_ROUTE, deployedRoutes, routeKey } from '../api/routes.ts';
import { deployedSchedules } from '../api/schedules.ts';
import { webSocketStageName } from '../api/websocket.ts';
import type { EnvironmentConfig } from '../config/environments.ts';
import { EndpointFunction } from '../constructs/endpoint-function.ts';
import { addHttpEndpoints, type HttpEndpointsProps } from './http-endpoints.ts';
import {
  acknowledgeAccessLogFormat,
  acknowledgeApiEndpoint,
  acknowledgePublicRoute,
} from './nag-suppressions.ts';

/** Export names of the WebSocket API's id and endpoint. */
export interface WebSocketApiExports {
  readonly apiId: string;
  readonly apiEndpoint: string;
}

/** Export names of the HTTP API's id and JWT authorizer's id (the route stacks import them). */
export interface HttpApiExports {
  readonly apiId: string;
  readonly authorizerId: string;
}

export interface ApiStackProps extends StackProps, Omit<HttpEndpointsProps, 'issuer' | 'webSocketUrl'> {}

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
 * The base API stack: the HTTP API with its stage (throttling per stage and per route, access
 * logs, an optional custom domain), its JWT authorizer, the `$default` catch-all for 404/405, and
 * the routes of `stack: 'api'` (the token issuer's and the system routes). The routes of every
 * other group of domains live in their own `ApiRoutesStack`, which imports the API and the
 * authorizer by the names in `httpApiExports`: one stack for all of them would pass
 * CloudFormation's 500 resources per stack. The stage deploys automatically (`autoDeploy`), so
 * routes that another stack adds or removes are live without a deployment of this one.
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
  /** The names under which this stack exports the HTTP API's id and authorizer (the route stacks import them). */
  readonly httpApiExports: HttpApiExports;
  /** The WebSocket API's URL with its stage (the reference page names it). */
  readonly webSocketUrl: string;
  readonly stage: HttpStage;
  /** The access-token issuer (`iss`): the configured URL, the custom domain, else the API's own endpoint. */
  readonly issuer: string;
  readonly accessLogs: LogGroup;
  /** This stack's functions by construct id (`AccountsCreateSession`), for tests and outputs. */
  readonly functions = new Map<string, EndpointFunction>();

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    const routesHere = deployedRoutes(config);
    this.webSocketApi = new WebSocketApi(this, 'WebSocketApi', {
      apiName: `shop-${config.name}-realtime`,
      description: `Shop real-time API (${config.name})`,
    });
    this.webSocketUrl = `${this.webSocketApi.apiEndpoint}/${webSocketStageName(config)}`;
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
      alarmTopic: props.alarmTopic,
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
    this.issuer =
      config.issuerUrl ?? (domainName ? `https://${config.customDomain?.domainName}` : this.api.apiEndpoint);
    // Where and how `HttpJwtAuthorizer` created it (a child of the API), as a construct of its
    // own: the route stacks need its id whether or not a route of this stack uses it.
    const authorizer = new HttpAuthorizer(this.api, 'JwtAuthorizer', {
      httpApi: this.api,
      type: HttpAuthorizerType.JWT,
      authorizerName: 'JwtAuthorizer',
      identitySource: ['$request.header.Authorization'],
      jwtAudience: [config.authAudience],
      jwtIssuer: this.issuer,
    });
    this.httpApiExports = {
      apiId: `${this.stackName}-HttpApiId`,
      authorizerId: `${this.stackName}-JwtAuthorizerId`,
    };
    new CfnOutput(this, 'HttpApiId', { value: this.api.apiId, exportName: this.httpApiExports.apiId });
    new CfnOutput(this, 'JwtAuthorizerId', {
      value: authorizer.authorizerId,
      exportName: this.httpApiExports.authorizerId,
    });

    const endpoints = addHttpEndpoints(this, {
      ...props,
      issuer: this.issuer,
      webSocketUrl: this.webSocketUrl,
      api: this.api,
      authorizer: HttpAuthorizer.fromHttpAuthorizerAttributes(this, 'JwtAuthorizerRoutes', {
        authorizerId: authorizer.authorizerId,
        authorizerType: HttpAuthorizerType.JWT,
      }),
      routes: routesHere.filter((route) => route.stack === 'api'),
      schedules: deployedSchedules(config).filter((job) => job.stack === 'api'),
    });
    for (const [functionId, fn] of endpoints.functions) this.functions.set(functionId, fn);

    // Stricter limits for some routes (/auth/*). A stage's route settings may only name routes
    // that exist (API Gateway refuses the stage otherwise), so those routes live in this stack
    // and the stage waits for them.
    const settings = routeThrottleSettings(config);
    const elsewhere = routesHere.filter((route) => routeKey(route) in settings && route.stack !== 'api');
    if (elsewhere.length > 0) {
      throw new Error(
        `The stage throttles ${elsewhere.map(routeKey).join(', ')} on their own, so they must be in the base API stack (stack: 'api' in lib/api/routes/), not in a route stack: a stage can only name routes that exist before it.`,
      );
    }
    (this.stage.node.defaultChild as CfnStage).routeSettings = settings;
    for (const route of endpoints.routes) this.stage.node.addDependency(route);

    new CfnOutput(this, 'ApiUrl', { value: domainName ? this.issuer : this.api.apiEndpoint });
    // Here, not in the events stack that builds its stage: an output there would re-export an import.
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketUrl });
  }
}
