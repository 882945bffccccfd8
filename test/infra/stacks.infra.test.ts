import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lib/api/openapi.ts';
import {
  DEFAULT_ROUTE,
  deployedRoutes,
  ROUTES,
  type RouteDefinition,
  routeKey,
} from '../../lib/api/routes.ts';
import { deployedSchedules, SCHEDULES } from '../../lib/api/schedules.ts';
import { addShopStacks, allStackNames, httpApiFunctions, httpApiStacks, stackNames } from '../../lib/app.ts';
import { ENVIRONMENT_NAMES, environmentConfig } from '../../lib/config/environments.ts';
import { FUNCTION_MEMORY_MB } from '../../lib/config/function-memory.ts';
import {
  ENTRY_METADATA,
  EndpointFunction,
  FUNCTION_ID_METADATA,
} from '../../lib/constructs/endpoint-function.ts';
import { ShopTable } from '../../lib/constructs/shop-table.ts';
import { SHOP_TABLE_INDEXES, TTL_ATTRIBUTE } from '../../lib/constructs/table-definition.ts';
import {
  actionsOf,
  type CfnResourceJson,
  environmentOf,
  functionLogicalId,
  httpApiOf,
  onlyResource,
  type PolicyStatementJson,
  referencedLogicalId,
  resourcesOfType,
  statementsOfFunction,
  synthesizeShop,
  templateValidationFindings,
  webSocketApiOf,
  wildcardGrants,
} from './shop-app.ts';

const WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:TransactWriteItems',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
];
/** What a read-only function may be allowed to do: point reads and Queries, nothing else. */
const READ_ONLY_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:DescribeTable',
];
const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** Image objects: keys generated per image, under one prefix of one bucket (lib/stacks/media-stack.ts). */
const IMAGE_OBJECT_ACTIONS = ['s3:PutObject', 's3:DeleteObject'];

/** The routes prod deploys: all but those of the simulated payment provider. */
const PROD_ROUTES = deployedRoutes(environmentConfig('prod'));

const tableActions = (statements: readonly PolicyStatementJson[]) =>
  actionsOf(statements.filter((s) => s.Effect === 'Allow')).filter((action) =>
    action.startsWith('dynamodb:'),
  );

describe('every environment', () => {
  it.each(ENVIRONMENT_NAMES)(
    'synthesizes the %s data, media, API, route, events and alarms stacks',
    (name) => {
      const { assembly } = synthesizeShop(name);
      expect(assembly.stacks.map((stack) => stack.stackName).sort()).toEqual(allStackNames(name).sort());
      expect(Object.values(stackNames(name).routes)).toEqual(
        ['catalog', 'accounts', 'orders', 'messages'].map((group) => `shop-${name}-api-${group}`),
      );
    },
  );

  it.each(ENVIRONMENT_NAMES)('keeps every %s stack well under CloudFormation’s 500 resources', (name) => {
    const { assembly } = synthesizeShop(name);
    for (const stack of assembly.stacks) {
      const count = Object.keys((stack.template as { Resources?: object }).Resources ?? {}).length;
      expect(count, stack.stackName).toBeLessThan(460);
    }
  });

  it.each(ENVIRONMENT_NAMES)(
    'leaves every %s stack of routes room for twice its routes: no stack nears 500 when a domain doubles',
    (name) => {
      const { assembly, stacks } = synthesizeShop(name);
      const routeStacks = new Set(httpApiStacks(stacks).map((stack) => stack.stackName));
      for (const stack of assembly.stacks) {
        const count = Object.keys((stack.template as { Resources?: object }).Resources ?? {}).length;
        // About 10 resources per route (function, role, policy, log group, three alarms,
        // integration, permission, route): twice the routes is at most twice the resources.
        if (routeStacks.has(stack.stackName)) expect(2 * count, stack.stackName).toBeLessThan(460);
        // The others do not grow with the route table (the alarms stack grows per route group).
        else expect(count, stack.stackName).toBeLessThan(230);
      }
    },
  );

  it.each(ENVIRONMENT_NAMES)('synthesizes %s offline: no context lookups, no account or region', (name) => {
    const { assembly, stacks } = synthesizeShop(name);
    expect(assembly.manifest.missing ?? []).toEqual([]);
    for (const stack of assembly.stacks) {
      expect(stack.environment.account).toBe('unknown-account');
      expect(stack.environment.region).toBe('unknown-region');
    }
    expect(stacks.api.dependencies).toEqual(expect.arrayContaining([stacks.data, stacks.media]));
    for (const routes of Object.values(stacks.routes))
      expect(routes.dependencies).toEqual(expect.arrayContaining([stacks.data, stacks.media, stacks.api]));
    expect(stacks.events.dependencies).toEqual(expect.arrayContaining([stacks.data, stacks.api]));
    expect(stacks.alarms.dependencies).toEqual(expect.arrayContaining([stacks.data, stacks.api]));
  });

  it.each(ENVIRONMENT_NAMES)(
    'synthesizes %s templates that pass CloudFormation template validation',
    (name) => {
      expect(templateValidationFindings(synthesizeShop(name).assembly)).toEqual([]);
    },
  );

  it.each(ENVIRONMENT_NAMES)('allows CORS from the %s origins only, none of another environment', (name) => {
    const { api, config } = synthesizeShop(name);
    const [, httpApi] = httpApiOf(api);
    const cors = httpApi.Properties?.CorsConfiguration as { AllowOrigins?: string[] } | undefined;
    expect(config.corsOrigins.length).toBeGreaterThan(0);
    expect(cors?.AllowOrigins).toEqual(config.corsOrigins);
    expect(cors?.AllowOrigins).not.toContain('*');
    const foreign = ENVIRONMENT_NAMES.filter((other) => other !== name)
      .flatMap((other) => environmentConfig(other).corsOrigins)
      .filter((origin) => !config.corsOrigins.includes(origin));
    for (const origin of foreign) expect(cors?.AllowOrigins).not.toContain(origin);
    // Only local and dev serve a web client from a developer's machine; the rest are https only.
    if (name === 'staging' || name === 'prod') {
      for (const origin of config.corsOrigins) expect(origin).toMatch(/^https:\/\//);
    }
  });

  it.each(ENVIRONMENT_NAMES)(
    'lets %s functions log at the logger’s level: Lambda’s application log level matches it',
    (name) => {
      const { assembly, config } = synthesizeShop(name);
      const system = config.logLevel === 'ERROR' ? 'WARN' : config.logLevel;
      let functions = 0;
      for (const stack of assembly.stacks) {
        const resources = (stack.template as { Resources: Record<string, CfnResourceJson> }).Resources;
        for (const [id, resource] of Object.entries(resources)) {
          const variables = (
            resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined
          )?.Variables;
          // Ours are the functions whose logger reads POWERTOOLS_LOG_LEVEL (not CDK's own helpers).
          if (resource.Type !== 'AWS::Lambda::Function' || variables?.POWERTOOLS_LOG_LEVEL === undefined)
            continue;
          functions++;
          expect(variables.POWERTOOLS_LOG_LEVEL, id).toBe(config.logLevel);
          expect(resource.Properties?.LoggingConfig, id).toMatchObject({
            LogFormat: 'JSON',
            ApplicationLogLevel: config.logLevel,
            SystemLogLevel: system,
          });
        }
      }
      expect(functions).toBeGreaterThan(deployedRoutes(config).length);
      if (name === 'dev') expect(config.logLevel).toBe('DEBUG');
    },
  );

  it.each(ENVIRONMENT_NAMES)(
    'deploys the simulated-payments schedule in %s only where the payment provider is simulated',
    (name) => {
      const { http, config, stacks } = synthesizeShop(name);
      const simulated = httpApiFunctions(stacks).has('PaymentsCompleteSimulatedPayments');
      expect(simulated).toBe(config.paymentProvider === 'simulated');
      expect(simulated).toBe(name === 'local' || name === 'dev');
      const rules = Object.values(resourcesOfType(http, 'AWS::Events::Rule')).map((rule) =>
        String(rule.Properties?.Description),
      );
      expect(rules.some((description) => description.includes('simulated payments'))).toBe(simulated);
      expect(rules).toHaveLength(deployedSchedules(config).length);
      expect(deployedSchedules(config).length).toBe(SCHEDULES.length - (simulated ? 0 : 1));
    },
  );

  it.each(ENVIRONMENT_NAMES)('tells the %s reference page the URL of the WebSocket API', (name) => {
    const shop = synthesizeShop(name);
    const [webSocketApiId] = webSocketApiOf(shop);
    const url = environmentOf(shop.http, functionLogicalId(shop, 'SystemGetDocs')).WEBSOCKET_URL;
    expect(url).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [webSocketApiId, 'ApiEndpoint'] }, `/${name}`]],
    });
    // The same URL is the API stack's output (the events stack, which builds the stage, imports the API).
    const outputs = shop.api.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.WebSocketUrl?.Value).toEqual(url);
    // Only the page needs it.
    const here = deployedRoutes(shop.config);
    const others = here.filter((route) => route.id !== 'SystemGetDocs');
    expect(others).toHaveLength(here.length - 1);
    for (const route of others)
      expect(
        environmentOf(shop.http, functionLogicalId(shop, route.id)).WEBSOCKET_URL,
        route.id,
      ).toBeUndefined();
  });

  it('rejects an unknown environment name with the list of valid names', () => {
    expect(() => environmentConfig('nope')).toThrow(`Valid names: ${ENVIRONMENT_NAMES.join(', ')}.`);
    expect(() => environmentConfig('nope')).toThrow('"nope"');
  });

  it('rejects a missing environment name with the list of valid names', () => {
    expect(() => environmentConfig(undefined)).toThrow(`valid names: ${ENVIRONMENT_NAMES.join(', ')}.`);
    expect(() => environmentConfig('')).toThrow(`valid names: ${ENVIRONMENT_NAMES.join(', ')}.`);
  });
});

describe.each(['prod', 'dev'] as const)('%s stacks', (name) => {
  const shop = () => synthesizeShop(name);

  it('have one on-demand table keyed by pk and sk', () => {
    const [, table] = onlyResource(shop().data, 'AWS::DynamoDB::Table');
    expect(table.Properties?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  });

  it('index the table with gsi1 (gsi1pk/gsi1sk) and gsi2 (gsi2pk/gsi2sk), all string keys', () => {
    shop().data.hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith(
        ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'].map((attribute) => ({
          AttributeName: attribute,
          AttributeType: 'S',
        })),
      ),
      GlobalSecondaryIndexes: ['gsi1', 'gsi2'].map((index) => ({
        IndexName: index,
        KeySchema: [
          { AttributeName: `${index}pk`, KeyType: 'HASH' },
          { AttributeName: `${index}sk`, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    });
  });

  it('expire items through the TTL attribute and stream NEW_AND_OLD_IMAGES', () => {
    shop().data.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('run every function on Node.js 24 and arm64 with an explicit timeout and memory size', () => {
    const functions = Object.entries(resourcesOfType(shop().http, 'AWS::Lambda::Function'));
    expect(functions).toHaveLength(
      deployedRoutes(shop().config).length + 1 + deployedSchedules(shop().config).length,
    );
    for (const [id, fn] of functions) {
      const { Runtime, Architectures, Timeout, MemorySize } = fn.Properties ?? {};
      expect({ id, Runtime, Architectures }).toEqual({ id, Runtime: 'nodejs24.x', Architectures: ['arm64'] });
      // API Gateway gives up on an integration after 30 s; a longer timeout would only hide that.
      expect(Timeout, id).toBeGreaterThanOrEqual(1);
      expect(Timeout, id).toBeLessThanOrEqual(29);
      expect(MemorySize, id).toBeGreaterThanOrEqual(128);
    }
  });

  it('run every function without source maps parsed at init, with its tuned memory and its entry in metadata', () => {
    for (const [id, fn] of Object.entries(resourcesOfType(shop().http, 'AWS::Lambda::Function'))) {
      const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      // Node would parse the whole map at every cold start; stacks are mapped lazily instead.
      expect(variables?.NODE_OPTIONS, id).toBeUndefined();
      const entry = fn.Metadata?.[ENTRY_METADATA];
      expect(typeof entry, id).toBe('string');
      const functionId = fn.Metadata?.[FUNCTION_ID_METADATA];
      expect(typeof functionId, id).toBe('string');
      expect(fn.Properties?.MemorySize, id).toBe(
        FUNCTION_MEMORY_MB[functionId as string] ?? shop().config.functionMemoryMb,
      );
    }
  });

  it('log every function to its own explicit log group with the environment’s retention', () => {
    const logGroups = resourcesOfType(shop().http, 'AWS::Logs::LogGroup');
    const seen = new Set<string>();
    for (const [id, fn] of Object.entries(resourcesOfType(shop().http, 'AWS::Lambda::Function'))) {
      const logging = fn.Properties?.LoggingConfig as { LogGroup?: unknown; LogFormat?: string } | undefined;
      const logGroupId = referencedLogicalId(logging?.LogGroup);
      expect(logGroupId, `${id} has no explicit log group`).toBeDefined();
      const logGroup = logGroups[logGroupId ?? ''];
      expect(logGroup?.Properties?.RetentionInDays, id).toBe(shop().config.logRetention);
      expect(logging?.LogFormat, id).toBe('JSON');
      seen.add(logGroupId ?? '');
    }
    expect(seen.size, 'functions share log groups').toBe(
      deployedRoutes(shop().config).length + 1 + deployedSchedules(shop().config).length,
    );
  });

  it('speak payload format 2.0 to every function', () => {
    const integrations = Object.values(resourcesOfType(shop().http, 'AWS::ApiGatewayV2::Integration'));
    expect(integrations).toHaveLength(deployedRoutes(shop().config).length + 1);
    for (const integration of integrations) {
      expect(integration.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
      });
    }
  });
});

describe('prod stacks', () => {
  it('protect the table: PITR and deletion protection on, retained on delete and on replacement', () => {
    const { data } = synthesizeShop('prod');
    data.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    });
  });

  it('retain the cursor signing key', () => {
    synthesizeShop('prod').data.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('dev stacks', () => {
  it('delete the table with the stack: no deletion protection, no PITR', () => {
    const [, table] = onlyResource(synthesizeShop('dev').data, 'AWS::DynamoDB::Table');
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.UpdateReplacePolicy).toBe('Delete');
    expect(table.Properties?.DeletionProtectionEnabled).not.toBe(true);
    expect(table.Properties?.PointInTimeRecoverySpecification).not.toEqual({
      PointInTimeRecoveryEnabled: true,
    });
  });
});

/** The route key of every AWS::ApiGatewayV2::Route, and the function its integration invokes. */
function synthesizedRoutes(env: 'prod' | 'dev' = 'prod'): Map<string, string | undefined> {
  const { http } = synthesizeShop(env);
  const integrations = resourcesOfType(http, 'AWS::ApiGatewayV2::Integration');
  const routes = new Map<string, string | undefined>();
  for (const route of Object.values(resourcesOfType(http, 'AWS::ApiGatewayV2::Route'))) {
    const key = String(route.Properties?.RouteKey);
    expect(routes.has(key), `${key} is defined twice`).toBe(false);
    // Target: { "Fn::Join": ["", ["integrations/", { "Ref": "<integration>" }]] }
    const target = route.Properties?.Target as { 'Fn::Join': [string, unknown[]] } | undefined;
    const integrationId = referencedLogicalId(target?.['Fn::Join'][1][1]);
    const integration = integrations[integrationId ?? ''];
    routes.set(key, referencedLogicalId(integration?.Properties?.IntegrationUri));
  }
  return routes;
}

describe('the route table', () => {
  it('is exactly the set of routes in the synthesized API, plus $default (in prod, all but the simulated provider’s)', () => {
    const expected = [...PROD_ROUTES.map(routeKey), DEFAULT_ROUTE.routeKey].sort();
    expect([...synthesizedRoutes().keys()].sort()).toEqual(expected);
    expect(PROD_ROUTES.length).toBe(ROUTES.filter((route) => !route.paymentProvider).length);
  });

  it('is exactly the set of routes in dev, whose simulated provider serves its 3-D Secure page', () => {
    const expected = [...ROUTES.map(routeKey), DEFAULT_ROUTE.routeKey].sort();
    expect([...synthesizedRoutes('dev').keys()].sort()).toEqual(expected);
  });

  it.each(PROD_ROUTES.map((route) => [routeKey(route), route] as const))(
    '%s is integrated with the function built from its handler entry',
    (_key, route) => {
      const target = synthesizedRoutes().get(routeKey(route));
      expect(target).toBe(functionLogicalId(synthesizeShop('prod'), route.id));
      expect(target?.startsWith(`${route.id}Function`)).toBe(true);
    },
  );

  it('sends everything else ($default) to the not-found function', () => {
    const target = synthesizedRoutes().get(DEFAULT_ROUTE.routeKey);
    expect(target).toBe(functionLogicalId(synthesizeShop('prod'), DEFAULT_ROUTE.id));
    expect(target?.startsWith(`${DEFAULT_ROUTE.id}Function`)).toBe(true);
  });

  it('gives every route its own function', () => {
    const targets = [...synthesizedRoutes().values()];
    expect(new Set(targets).size).toBe(targets.length);
  });
});

describe('the HTTP API across its stacks', () => {
  const prod = () => synthesizeShop('prod');

  it.each(PROD_ROUTES.map((route) => [routeKey(route), route] as const))(
    '%s lives in the stack its route table entry names',
    (_key, route) => {
      const { stacks } = prod();
      const holder = route.stack === 'api' ? stacks.api : stacks.routes[route.stack];
      expect(holder.functions.has(route.id)).toBe(true);
      const holders = httpApiStacks(stacks).filter((stack) => stack.functions.has(route.id));
      expect(holders).toEqual([holder]);
    },
  );

  it('puts every schedule in the stack it names', () => {
    const { stacks, config } = prod();
    for (const job of deployedSchedules(config)) {
      const holder = job.stack === 'api' ? stacks.api : stacks.routes[job.stack];
      expect(holder.functions.has(job.id), job.id).toBe(true);
    }
  });

  it('names the API and its authorizer by the base stack’s exports from every route stack', () => {
    const { api, stacks } = prod();
    const outputs = api.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>;
    const [httpApiId] = httpApiOf(api);
    const [authorizerId] = onlyResource(api, 'AWS::ApiGatewayV2::Authorizer');
    expect(outputs.HttpApiId).toEqual({
      Value: { Ref: httpApiId },
      Export: { Name: 'shop-prod-api-HttpApiId' },
    });
    expect(outputs.JwtAuthorizerId).toEqual({
      Value: { Ref: authorizerId },
      Export: { Name: 'shop-prod-api-JwtAuthorizerId' },
    });
    for (const stack of Object.values(stacks.routes)) {
      const template = Template.fromStack(stack);
      const routes = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route'));
      expect(routes.length).toBeGreaterThan(0);
      for (const route of routes) {
        expect(route.Properties?.ApiId).toEqual({ 'Fn::ImportValue': 'shop-prod-api-HttpApiId' });
        if (route.Properties?.AuthorizationType === 'JWT')
          expect(route.Properties?.AuthorizerId).toEqual({
            'Fn::ImportValue': 'shop-prod-api-JwtAuthorizerId',
          });
        else expect(route.Properties?.AuthorizationType).toBe('NONE');
      }
      // No HTTP API, stage or authorizer of their own: they add routes to the one API.
      template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
      template.resourceCountIs('AWS::ApiGatewayV2::Stage', 0);
      template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    }
  });

  it('throttles on their own only routes of the stage’s stack, which the stage waits for', () => {
    const { api, config } = prod();
    const [stageId, stage] = onlyResource(api, 'AWS::ApiGatewayV2::Stage');
    const throttled = Object.keys((stage.Properties?.RouteSettings ?? {}) as object);
    expect(throttled.length).toBeGreaterThan(0);
    const dependsOn = (api.toJSON().Resources[stageId].DependsOn ?? []) as string[];
    const routeIds = new Map(
      Object.entries(resourcesOfType(api, 'AWS::ApiGatewayV2::Route')).map(([id, route]) => [
        String(route.Properties?.RouteKey),
        id,
      ]),
    );
    for (const key of throttled) {
      expect(routeIds.has(key), `${key} is not a route of the base API stack`).toBe(true);
      expect(dependsOn).toContain(routeIds.get(key));
    }
    expect(config.routeThrottling.length).toBeGreaterThan(0);
  });

  it('refuses to synthesize a stage that throttles a route of another stack', () => {
    const config = {
      ...environmentConfig('dev'),
      routeThrottling: [{ pathPrefix: '/products', limits: { rateLimit: 1, burstLimit: 1 } }],
    };
    expect(() => addShopStacks(new App(), config)).toThrow(
      /The stage throttles GET \/products.* must be in the base API stack/,
    );
  });
});

const byTableAccess = (access: RouteDefinition['table']) =>
  PROD_ROUTES.filter((route) => route.table === access).map((route) => [routeKey(route), route] as const);

describe('least privilege', () => {
  const prod = () => synthesizeShop('prod');
  const statementsOf = (id: string) => statementsOfFunction(prod().http, functionLogicalId(prod(), id));

  it.each(byTableAccess('read'))(
    '%s (table: read) may only read the table and its indexes',
    (_key, route) => {
      const statements = statementsOf(route.id);
      const actions = tableActions(statements);
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((action) => !READ_ONLY_ACTIONS.includes(action))).toEqual([]);
      expect(actions.filter((action) => WRITE_ACTIONS.includes(action))).toEqual([]);
      const tableResources = statements.filter((s) => tableActions([s]).length > 0).map((s) => s.Resource);
      expect(JSON.stringify(tableResources)).not.toContain('*');
      expect(environmentOf(prod().http, functionLogicalId(prod(), route.id))).toHaveProperty('TABLE_NAME');
    },
  );

  it.each([...byTableAccess('none'), [DEFAULT_ROUTE.routeKey, DEFAULT_ROUTE] as const])(
    '%s (table: none) has no table access and no TABLE_NAME',
    (_key, route) => {
      const statements = statementsOf(route.id);
      expect(statements.length).toBeGreaterThan(0);
      expect(actionsOf(statements).filter((action) => action.startsWith('dynamodb:'))).toEqual([]);
      expect(environmentOf(prod().http, functionLogicalId(prod(), route.id))).not.toHaveProperty(
        'TABLE_NAME',
      );
    },
  );

  it.each([
    ...PROD_ROUTES.map((route) => [routeKey(route), route] as const),
    [DEFAULT_ROUTE.routeKey, DEFAULT_ROUTE] as const,
  ])('%s reads only the secrets the route table lists', (_key, route) => {
    const listed: readonly string[] = 'secrets' in route ? (route.secrets ?? []) : [];
    const statements = statementsOf(route.id);
    const secretActions = actionsOf(statements).filter((action) => action.startsWith('secretsmanager:'));
    const environment = environmentOf(prod().http, functionLogicalId(prod(), route.id));
    for (const [secret, variable] of [
      ['cursor', 'CURSOR_SECRET_ARN'],
      ['signingKey', 'SIGNING_KEY_SECRET_ARN'],
    ] as const) {
      if (listed.includes(secret)) expect(environment).toHaveProperty(variable);
      else expect(environment).not.toHaveProperty(variable);
    }
    if (listed.length > 0) expect(secretActions).toContain('secretsmanager:GetSecretValue');
    else expect(secretActions).toEqual([]);
  });

  it('grants no function a wildcard resource except X-Ray trace upload, its own log streams and image objects under one prefix', () => {
    const wildcards: string[] = [];
    for (const { functionId: id, resource, text, actions } of wildcardGrants(prod().http)) {
      const xray = resource === '*' && actions.every((action) => XRAY_ACTIONS.includes(action));
      const ownLogStreams =
        text.endsWith(':log-stream:*"]]}') && actions.every((action) => LOG_ACTIONS.includes(action));
      const imageObjects =
        /\/(originals|products)\/\*"\]\]\}$/.test(text) &&
        actions.every((action) => IMAGE_OBJECT_ACTIONS.includes(action));
      if (!xray && !ownLogStreams && !imageObjects) wildcards.push(`${id}: ${actions.join(',')} on ${text}`);
    }
    expect(wildcards).toEqual([]);
  });

  it('gives read-write functions writes on the table only, and read-only functions none', () => {
    // A construct-level check, so it holds before the route table has a read-write route.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Grants');
    const config = environmentConfig('dev');
    const table = new ShopTable(stack, 'Shop', config).table;
    const reader = new EndpointFunction(stack, 'Reader', { entry: 'functions/system/get-health.ts', config });
    const writer = new EndpointFunction(stack, 'Writer', { entry: 'functions/system/get-health.ts', config });
    reader.bindTable(table, 'read', SHOP_TABLE_INDEXES);
    writer.bindTable(table, 'readwrite', SHOP_TABLE_INDEXES);
    const template = Template.fromStack(stack);
    const idOf = (endpoint: EndpointFunction) =>
      stack.getLogicalId(endpoint.function.node.defaultChild as CfnResource);
    const tableArn = { 'Fn::GetAtt': [stack.getLogicalId(table.node.defaultChild as CfnResource), 'Arn'] };

    const readerActions = tableActions(statementsOfFunction(template, idOf(reader)));
    expect(readerActions.filter((action) => WRITE_ACTIONS.includes(action))).toEqual([]);
    expect(readerActions).toContain('dynamodb:Query');

    const writerStatements = statementsOfFunction(template, idOf(writer));
    const writes = writerStatements.filter((s) => tableActions([s]).some((a) => WRITE_ACTIONS.includes(a)));
    expect(actionsOf(writes)).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']),
    );
    for (const statement of writes) expect(statement.Resource).toEqual(tableArn);
    expect(environmentOf(template, idOf(writer))).toHaveProperty('TABLE_NAME');
  });
});

describe('the $default function', () => {
  const prod = () => synthesizeShop('prod');

  it('knows exactly the route table’s route keys, to tell 404 from 405', () => {
    const environment = environmentOf(prod().http, functionLogicalId(prod(), DEFAULT_ROUTE.id));
    expect(String(environment.ROUTE_KEYS).split(',').sort()).toEqual(PROD_ROUTES.map(routeKey).sort());
  });
});

describe('the GET /openapi.json function', () => {
  const prod = () => synthesizeShop('prod');

  it('finds the document written from the route table at synthesis next to its bundle, and bundles no route table', () => {
    const id = functionLogicalId(prod(), 'SystemGetOpenapi');
    const file = environmentOf(prod().http, id).OPENAPI_DOCUMENT;
    expect(file).toBe('openapi.json');
    const fn = resourcesOfType(prod().http, 'AWS::Lambda::Function')[id];
    const key = (fn?.Properties?.Code as { S3Key?: string } | undefined)?.S3Key ?? '';
    const bundleDir = path.join(prod().assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
    const written = JSON.parse(readFileSync(path.join(bundleDir, String(file)), 'utf8')) as unknown;
    expect(written).toEqual(JSON.parse(JSON.stringify(openApiDocument('/', PROD_ROUTES))));
    // The route table's summaries are in the document, not in the code.
    expect(readFileSync(path.join(bundleDir, 'index.mjs'), 'utf8')).not.toContain('Liveness check');
  });
});

describe('the simulated payment provider’s 3-D Secure page', () => {
  const simulatedOnly = ROUTES.filter((route) => route.paymentProvider === 'simulated');
  /** Every template prod synthesizes, as text. */
  const prodText = () =>
    synthesizeShop('prod')
      .assembly.stacks.map((stack) => JSON.stringify(stack.template))
      .join('\n');

  it('is two routes of the route table, deployed only where the provider is simulated', () => {
    expect(simulatedOnly.map(routeKey).sort()).toEqual([
      'GET /simulated-payments/{providerPaymentId}/challenge',
      'POST /simulated-payments/{providerPaymentId}/challenge',
    ]);
    expect(environmentConfig('prod').paymentProvider).toBe('stripe');
    expect(environmentConfig('dev').paymentProvider).toBe('simulated');
  });

  it('leaves no trace in prod: no route, no function, no challenge URL, not in the served OpenAPI document', () => {
    const prod = synthesizeShop('prod');
    for (const route of simulatedOnly) {
      expect(httpApiFunctions(prod.stacks).has(route.id)).toBe(false);
      for (const stack of httpApiStacks(prod.stacks))
        expect(stack.node.tryFindChild(route.id)).toBeUndefined();
    }
    const text = prodText();
    expect(text).not.toContain('simulated-payments');
    expect(text).not.toContain('SIMULATED_CHALLENGE_URL');
    expect(text).not.toContain('SimulatedChallenge');
    const id = functionLogicalId(prod, 'SystemGetOpenapi');
    const fn = resourcesOfType(prod.http, 'AWS::Lambda::Function')[id];
    const key = (fn?.Properties?.Code as { S3Key?: string } | undefined)?.S3Key ?? '';
    const bundleDir = path.join(prod.assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
    expect(readFileSync(path.join(bundleDir, 'openapi.json'), 'utf8')).not.toContain('simulated-payments');
  });

  it('is served in dev, with the challenge URL the simulated provider hands out', () => {
    const dev = synthesizeShop('dev');
    for (const route of simulatedOnly) expect(dev.stacks.routes.orders.functions.has(route.id)).toBe(true);
    const environment = environmentOf(dev.http, functionLogicalId(dev, 'PaymentsCreatePayment'));
    expect(JSON.stringify(environment.SIMULATED_CHALLENGE_URL)).toContain('/simulated-payments');
    expect(environment.PAYMENT_RETURN_URL).toBe(dev.config.paymentReturnUrl);
  });
});
