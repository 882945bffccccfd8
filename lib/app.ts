import { Annotations, type App } from 'aws-cdk-lib';
import { ROUTE_STACKS, type RouteStack } from './api/routes.ts';
import type { EnvironmentConfig } from './config/environments.ts';
import { placeholderSettings, settingsContextKey } from './config/operator-settings.ts';
import type { EndpointFunction } from './constructs/endpoint-function.ts';
import { ApiRoutesStack } from './stacks/api-routes-stack.ts';
import { ApiStack } from './stacks/api-stack.ts';
import { DataStack } from './stacks/data-stack.ts';
import { EventsStack } from './stacks/events-stack.ts';
import { MediaStack } from './stacks/media-stack.ts';
import { MonitoringStack } from './stacks/monitoring-stack.ts';

/** A route stack's group of domains (`catalog`, `accounts`, ...: `stack` in lib/api/routes/). */
export type RouteGroup = Exclude<RouteStack, 'api'>;

export interface ShopStacks {
  readonly data: DataStack;
  readonly media: MediaStack;
  /** The base API stack: the HTTP API, its stage, authorizer, `$default` and the `stack: 'api'` routes. */
  readonly api: ApiStack;
  /** The other routes of the HTTP API, one stack per group of domains. */
  readonly routes: Readonly<Record<RouteGroup, ApiRoutesStack>>;
  readonly events: EventsStack;
  readonly alarms: MonitoringStack;
}

/**
 * Stack names of an environment, in deployment order; the local runtime reads every template of
 * the cloud assembly, whatever its name.
 */
export const stackNames = (env: string) => ({
  data: `shop-${env}-data`,
  media: `shop-${env}-media`,
  api: `shop-${env}-api`,
  routes: Object.fromEntries(ROUTE_STACKS.map((group) => [group, `shop-${env}-api-${group}`])) as Record<
    RouteGroup,
    string
  >,
  events: `shop-${env}-events`,
  alarms: `shop-${env}-alarms`,
});

/** Every stack name of an environment, in deployment order. */
export const allStackNames = (env: string): string[] => {
  const { routes, ...names } = stackNames(env);
  return [names.data, names.media, names.api, ...Object.values(routes), names.events, names.alarms];
};

/** The stacks that hold the HTTP API's functions: the base API stack and the route stacks. */
export const httpApiStacks = (stacks: ShopStacks): (ApiStack | ApiRoutesStack)[] => [
  stacks.api,
  ...Object.values(stacks.routes),
];

/** Every function behind the HTTP API or a schedule, by id, whichever stack holds it. */
export function httpApiFunctions(stacks: ShopStacks): ReadonlyMap<string, EndpointFunction> {
  return new Map(httpApiStacks(stacks).flatMap((stack) => [...stack.functions]));
}

/** Adds one environment's stacks to an app. Synthesis does no context lookups, so it works offline. */
export function addShopStacks(app: App, config: EnvironmentConfig): ShopStacks {
  const names = stackNames(config.name);
  const tags = { project: 'shop', environment: config.name };
  const data = new DataStack(app, names.data, { config, tags, description: `Shop data (${config.name})` });
  const media = new MediaStack(app, names.media, {
    config,
    tags,
    description: `Shop product images: uploads, processing, renditions and their CDN (${config.name})`,
    table: data.table,
    alarmTopic: data.alarmTopic,
  });
  media.addStackDependency(data);
  const endpoints = {
    config,
    tags,
    table: data.table,
    media,
    alarmTopic: data.alarmTopic,
    secrets: {
      cursor: data.cursorSecret,
      signingKey: data.signingKeySecret,
      paymentWebhook: data.paymentWebhookSecret,
      ...(data.stripeApiKeySecret ? { stripeApiKey: data.stripeApiKeySecret } : {}),
    },
  };
  const api = new ApiStack(app, names.api, { ...endpoints, description: `Shop API (${config.name})` });
  api.addStackDependency(data);
  api.addStackDependency(media);
  const routes = Object.fromEntries(
    ROUTE_STACKS.map((group) => {
      const stack = new ApiRoutesStack(app, names.routes[group], {
        ...endpoints,
        description: `Shop API routes: ${group} (${config.name})`,
        group,
        httpApi: api.httpApiExports,
        issuer: api.issuer,
        webSocketUrl: api.webSocketUrl,
      });
      // The API and its authorizer are imported by name, which CDK does not see as a reference.
      stack.addStackDependency(api);
      stack.addStackDependency(media);
      return [group, stack];
    }),
  ) as Record<RouteGroup, ApiRoutesStack>;
  const events = new EventsStack(app, names.events, {
    config,
    tags,
    description: `Shop real time and stream consumers (${config.name})`,
    table: data.table,
    issuer: api.issuer,
    alarmTopic: data.alarmTopic,
    webSocketApi: api.webSocketApiExports,
    secrets: { cursor: data.cursorSecret },
  });
  events.addStackDependency(api);
  const alarms = new MonitoringStack(app, names.alarms, {
    config,
    tags,
    description: `Shop alarms, dashboard and saved queries of the HTTP API (${config.name})`,
    topic: data.alarmTopic,
    api: api.api,
    accessLogs: api.accessLogs,
    table: data.table,
  });
  alarms.addStackDependency(api);
  // Synthesis (and so `cdk deploy`) says what an operator still has to set; the preflight
  // (`npm run deploy:check`) refuses to pass until it is set.
  for (const { setting, problem } of placeholderSettings(config)) {
    Annotations.of(data).addWarningV2(
      `shop:setting:${setting}`,
      `Operator setting ${setting}: ${problem}. Set it with -c ${setting}=... or "${settingsContextKey(config.name)}" in cdk.json (README, "Deploy").`,
    );
  }
  return { data, media, api, routes, events, alarms };
}
