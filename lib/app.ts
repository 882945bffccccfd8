import { Annotations, type App } from 'aws-cdk-lib';
import type { EnvironmentConfig } from './config/environments.ts';
import { placeholderSettings, settingsContextKey } from './config/operator-settings.ts';
import { ApiStack } from './stacks/api-stack.ts';
import { DataStack } from './stacks/data-stack.ts';
import { EventsStack } from './stacks/events-stack.ts';
import { FunctionAlarmsStack } from './stacks/function-alarms-stack.ts';
import { MediaStack } from './stacks/media-stack.ts';

export interface ShopStacks {
  readonly data: DataStack;
  readonly media: MediaStack;
  readonly api: ApiStack;
  readonly events: EventsStack;
  readonly alarms: FunctionAlarmsStack;
}

/** Stack names of an environment; the local runtime reads the templates by these names. */
export const stackNames = (env: string) => ({
  data: `shop-${env}-data`,
  media: `shop-${env}-media`,
  api: `shop-${env}-api`,
  events: `shop-${env}-events`,
  alarms: `shop-${env}-alarms`,
});

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
  const api = new ApiStack(app, names.api, {
    config,
    tags,
    description: `Shop API (${config.name})`,
    table: data.table,
    media,
    secrets: {
      cursor: data.cursorSecret,
      signingKey: data.signingKeySecret,
      paymentWebhook: data.paymentWebhookSecret,
      ...(data.stripeApiKeySecret ? { stripeApiKey: data.stripeApiKeySecret } : {}),
    },
  });
  api.addStackDependency(data);
  api.addStackDependency(media);
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
  const alarms = new FunctionAlarmsStack(app, names.alarms, {
    config,
    tags,
    description: `Shop alarms, dashboard and saved queries of the HTTP API (${config.name})`,
    topic: data.alarmTopic,
    functions: api.functions,
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
  return { data, media, api, events, alarms };
}
