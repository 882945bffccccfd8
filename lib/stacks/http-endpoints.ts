import path from 'node:path';
import { Duration, type Stack, Stage } from 'aws-cdk-lib';
import {
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  type IHttpApi,
  type IHttpRouteAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { formatScryptParameters, SCRYPT_PARAMETERS_VARIABLE } from '../../functions/accounts/passwords.ts';
import { writeOpenApiDocument } from '../api/openapi.ts';
import { SIMULATED_CHALLENGE_PATH } from '../api/routes/payments.ts';
import {
  deployedRoutes,
  type RouteDefinition,
  routeKey,
  type SecretName,
  type SynthesizedDocument,
} from '../api/routes.ts';
import type { ScheduleDefinition } from '../api/schedules.ts';
import type { EnvironmentConfig } from '../config/environments.ts';
import { EndpointFunction } from '../constructs/endpoint-function.ts';
import { SHOP_TABLE_INDEXES } from '../constructs/table-definition.ts';
import type { MediaStack } from './media-stack.ts';
import {
  acknowledgeApiEndpoint,
  acknowledgePublicRoute,
  acknowledgeScheduledFunction,
  acknowledgeScheduleRule,
} from './nag-suppressions.ts';

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

/** What every stack of HTTP API functions is given: the data, the issuer and where to alarm. */
export interface HttpEndpointsProps {
  readonly config: EnvironmentConfig;
  readonly table: ITable;
  /** Secrets by name; one that is absent (the Stripe key where the provider is simulated) is not bound. */
  readonly secrets: Readonly<Partial<Record<SecretName, ISecret>>>;
  /** Product image buckets: routes with `images` may presign uploads to, or delete from, them. */
  readonly media: Pick<MediaStack, 'bindImageAccess'>;
  /** Where the functions' own alarms (errors, throttles, duration) notify; they live with each function. */
  readonly alarmTopic: ITopic;
  /** The access-token issuer (`iss`), which also roots the payment webhook URL. */
  readonly issuer: string;
  /** The WebSocket API's URL, for the routes with `webSocketUrl`. */
  readonly webSocketUrl: string;
}

/** Non-secret settings every function may read; secrets arrive only as ARNs, per route. */
function sharedEnvironment(config: EnvironmentConfig, issuer: string): Record<string, string> {
  return {
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
}

/**
 * Adds to `stack` one function per route, with its integration, invoke permission and route on
 * `api` (the HTTP API itself in the base API stack, an import of it in the others), and one
 * function per schedule with its rule. Functions are created at the stack's root under their
 * stable id, so their logical ids are the same in whichever stack holds them. Answers the
 * functions by id and the routes.
 */
export function addHttpEndpoints(
  stack: Stack,
  props: HttpEndpointsProps & {
    readonly api: IHttpApi;
    readonly authorizer: IHttpRouteAuthorizer;
    readonly routes: readonly RouteDefinition[];
    readonly schedules: readonly ScheduleDefinition[];
  },
): { functions: Map<string, EndpointFunction>; routes: HttpRoute[] } {
  const { config, table, secrets, api, authorizer } = props;
  const environment = sharedEnvironment(config, props.issuer);
  const functions = new Map<string, EndpointFunction>();
  const routes: HttpRoute[] = [];
  const endpoint = (
    id: string,
    job: Pick<RouteDefinition, 'entry' | 'secrets' | 'table'>,
    extra: { environment?: Record<string, string>; files?: string[]; timeout?: Duration },
  ) => {
    const fn = new EndpointFunction(stack, id, {
      entry: job.entry,
      config,
      callsPaymentProvider: job.secrets?.includes('stripeApiKey') ?? false,
      environment: { ...environment, ...extra.environment },
      alarmTopic: props.alarmTopic,
      ...(extra.files && extra.files.length > 0 ? { files: extra.files } : {}),
      ...(extra.timeout ? { timeout: extra.timeout } : {}),
    });
    if (job.table !== 'none') fn.bindTable(table, job.table, SHOP_TABLE_INDEXES);
    for (const name of job.secrets ?? []) {
      const secret = secrets[name];
      if (secret) fn.bindSecret(secret, SECRET_VARIABLES[name]);
    }
    functions.set(id, fn);
    return fn;
  };

  // Documents written at synthesis go into the cloud assembly, next to the templates.
  const documentsDir = path.join(Stage.of(stack)?.outdir ?? '.', 'documents', stack.stackName);
  // The documents describe what the environment deploys, across all its route stacks.
  const deployed = deployedRoutes(config);
  for (const route of props.routes) {
    const documents = synthesizedDocuments(route, documentsDir, deployed);
    const fn = endpoint(route.id, route, {
      environment: documents.environment,
      files: [...(route.files ?? []), ...documents.files],
    });
    if (route.webSocketUrl) fn.function.addEnvironment('WEBSOCKET_URL', props.webSocketUrl);
    if (route.images) props.media.bindImageAccess(fn, route.images);
    acknowledgeApiEndpoint(fn);
    // As `HttpApi.addRoutes` names them (a child of the API named after method and path), so a
    // route kept in the base stack keeps its logical id.
    const httpRoute = new HttpRoute(api as Construct, `${route.method}${route.path}`, {
      httpApi: api,
      routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
      integration: new HttpLambdaIntegration(`${route.id}Integration`, fn.function),
      ...(route.auth === 'public'
        ? {}
        : { authorizer, authorizationScopes: route.auth === 'admin' ? ['admin'] : undefined }),
    });
    if (route.auth === 'public') acknowledgePublicRoute(httpRoute, routeKey(route));
    routes.push(httpRoute);
  }

  for (const job of props.schedules) {
    const fn = endpoint(job.id, job, { timeout: Duration.seconds(25) });
    acknowledgeScheduledFunction(fn);
    const rule = new Rule(stack, `${job.id}Schedule`, {
      description: job.description,
      schedule: Schedule.rate(Duration.minutes(job.everyMinutes)),
      targets: [new LambdaFunction(fn.function, { retryAttempts: 2 })],
    });
    acknowledgeScheduleRule(rule);
  }
  return { functions, routes };
}
