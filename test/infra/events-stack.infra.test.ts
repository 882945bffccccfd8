import type { CfnResource } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { orderKey } from '../../functions/orders/keys.ts';
import { STREAM_CONSUMERS } from '../../lib/api/stream-consumers.ts';
import { WEBSOCKET_API } from '../../lib/api/websocket.ts';
import { matchesFilterCriteria } from '../../lib/local/dynamodb-streams/event-filter.ts';
import { modifiedItem, streamRecord } from '../support/stream-events.ts';
import {
  actionsOf,
  type CfnResourceJson,
  environmentOf,
  importedLogicalId,
  onlyResource,
  referencedLogicalId,
  resourcesOfType,
  type SynthesizedShop,
  statementsOfFunction,
  synthesizeShop,
  webSocketApiOf,
  wildcardGrants,
} from './shop-app.ts';

/** The logical id of a function the events stack built, by function id. */
function eventsFunctionId(shop: SynthesizedShop, id: string): string {
  const endpoint = shop.stacks.events.functions.get(id);
  if (!endpoint) throw new Error(`The events stack built no function ${id}.`);
  return shop.stacks.events.getLogicalId(endpoint.function.node.defaultChild as CfnResource);
}

/** The logical id a Lambda integration or authorizer URI points at (`Fn::GetAtt <fn>.Arn` inside a join). */
function functionInUri(value: unknown): string | undefined {
  const text = JSON.stringify(value);
  return /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(text)?.[1];
}

describe.each(['prod', 'dev'] as const)('%s events stack', (name) => {
  const shop = () => synthesizeShop(name);

  it('has one WebSocket API whose $connect, $disconnect and $default routes each call their own function', () => {
    // The API resource is the API stack's (the docs page names its URL); its parts are built here.
    expect(resourcesOfType(shop().events, 'AWS::ApiGatewayV2::Api')).toEqual({});
    const [apiId, api] = webSocketApiOf(shop());
    expect(api.Properties?.RouteSelectionExpression).toBe('$request.body.action');
    const routes = Object.values(resourcesOfType(shop().events, 'AWS::ApiGatewayV2::Route'));
    expect(routes.map((r) => r.Properties?.RouteKey).sort()).toEqual(
      WEBSOCKET_API.routes.map((r) => r.routeKey).sort(),
    );
    const integrations = resourcesOfType(shop().events, 'AWS::ApiGatewayV2::Integration');
    for (const definition of WEBSOCKET_API.routes) {
      const route = routes.find((r) => r.Properties?.RouteKey === definition.routeKey) as CfnResourceJson;
      expect(importedLogicalId(shop(), route.Properties?.ApiId)).toBe(apiId);
      const integrationId = /integrations\/.*"Ref":"([^"]+)"/.exec(
        JSON.stringify(route.Properties?.Target),
      )?.[1];
      const integration = integrations[integrationId ?? ''];
      expect(integration?.Properties?.IntegrationType).toBe('AWS_PROXY');
      expect(functionInUri(integration?.Properties?.IntegrationUri)).toBe(
        eventsFunctionId(shop(), definition.id),
      );
    }
  });

  it('authorizes $connect, and only $connect, with the Lambda REQUEST authorizer reading Sec-WebSocket-Protocol', () => {
    const [authorizerId, authorizer] = onlyResource(shop().events, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.header.Sec-WebSocket-Protocol'],
    });
    expect(functionInUri(authorizer.Properties?.AuthorizerUri)).toBe(
      eventsFunctionId(shop(), WEBSOCKET_API.authorizer.id),
    );
    const routes = Object.values(resourcesOfType(shop().events, 'AWS::ApiGatewayV2::Route'));
    for (const route of routes) {
      if (route.Properties?.RouteKey === '$connect') {
        expect(route.Properties).toMatchObject({
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: authorizerId },
        });
      } else {
        expect(route.Properties?.AuthorizationType ?? 'NONE').toBe('NONE');
      }
    }
  });

  it('verifies tokens for the environment’s audience and the HTTP API’s issuer, without table or secret access', () => {
    const id = eventsFunctionId(shop(), WEBSOCKET_API.authorizer.id);
    const environment = environmentOf(shop().events, id);
    expect(environment.AUTH_AUDIENCE).toBe(shop().config.authAudience);
    expect(JSON.stringify(environment.AUTH_ISSUER)).toContain('Fn::ImportValue');
    const actions = actionsOf(statementsOfFunction(shop().events, id));
    expect(actions.filter((a) => a.startsWith('dynamodb:') || a.startsWith('secretsmanager:'))).toEqual([]);
  });

  it('answers frames on $default through a route response (ping -> pong)', () => {
    const routes = resourcesOfType(shop().events, 'AWS::ApiGatewayV2::Route');
    const [defaultRouteId] =
      Object.entries(routes).find(([, r]) => r.Properties?.RouteKey === '$default') ?? [];
    const [, response] = onlyResource(shop().events, 'AWS::ApiGatewayV2::RouteResponse');
    expect(referencedLogicalId(response.Properties?.RouteId)).toBe(defaultRouteId);
  });

  it('deploys a throttled stage named after the environment that logs JSON without headers or query strings', () => {
    const [, stage] = onlyResource(shop().events, 'AWS::ApiGatewayV2::Stage');
    expect(importedLogicalId(shop(), stage.Properties?.ApiId)).toBe(webSocketApiOf(shop())[0]);
    expect(stage.Properties).toMatchObject({
      StageName: name,
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: shop().config.throttling.rateLimit,
        ThrottlingBurstLimit: shop().config.throttling.burstLimit,
      },
    });
    const format = String((stage.Properties?.AccessLogSettings as { Format?: string } | undefined)?.Format);
    const fields = JSON.parse(format) as Record<string, string>;
    expect(fields).toMatchObject({ requestId: '$context.requestId', connectionId: '$context.connectionId' });
    expect(format).not.toMatch(/header|querystring|\$input/i);
    onlyResource(shop().events, 'AWS::ApiGateway::Account');
  });

  it.each(STREAM_CONSUMERS.map((c) => [c.entry, c] as const))(
    'feeds %s from the table’s stream, filtered, with partial batch responses, bisect, bounded retries and a dead-letter queue',
    (_entry, definition) => {
      const fnId = eventsFunctionId(shop(), definition.id);
      const mappings = Object.values(
        resourcesOfType(shop().events, 'AWS::Lambda::EventSourceMapping'),
      ).filter((m) => referencedLogicalId(m.Properties?.FunctionName) === fnId);
      expect(mappings).toHaveLength(1);
      const mapping = mappings[0] as CfnResourceJson;
      expect(JSON.stringify(mapping.Properties?.EventSourceArn)).toContain('StreamArn');
      expect(mapping.Properties).toMatchObject({
        StartingPosition: 'LATEST',
        BatchSize: definition.batchSize,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: definition.retryAttempts,
        MaximumRecordAgeInSeconds: definition.maxRecordAgeSeconds,
      });
      const filters = (mapping.Properties?.FilterCriteria as { Filters: { Pattern: string }[] } | undefined)
        ?.Filters;
      const patterns = (filters ?? []).map((f) => JSON.parse(f.Pattern) as unknown);
      expect(patterns).toEqual(definition.filters);
      const destination = mapping.Properties?.DestinationConfig as
        | { OnFailure?: { Destination?: unknown } }
        | undefined;
      const queueId = referencedLogicalId(destination?.OnFailure?.Destination);
      const queue = resourcesOfType(shop().events, 'AWS::SQS::Queue')[queueId ?? ''];
      expect(queue?.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      shop().events.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      const alarms = Object.values(resourcesOfType(shop().events, 'AWS::CloudWatch::Alarm')).filter((alarm) =>
        JSON.stringify(alarm.Properties?.Dimensions ?? []).includes(queueId ?? '-'),
      );
      expect(alarms).toHaveLength(1);
      expect(alarms[0]?.Properties).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      expect(JSON.stringify(alarms[0]?.Properties?.AlarmActions)).toContain('AlarmTopic');
    },
  );

  it('lets only the delivery consumer post to connections and only the closing consumer close them, each on its own stage', () => {
    const delivery = eventsFunctionId(shop(), 'RealtimeDeliverMessages');
    const closing = eventsFunctionId(shop(), 'RealtimeCloseConnections');
    for (const id of Object.keys(resourcesOfType(shop().events, 'AWS::Lambda::Function'))) {
      const statements = statementsOfFunction(shop().events, id).filter((s) =>
        actionsOf([s]).includes('execute-api:ManageConnections'),
      );
      const method = id === delivery ? 'POST' : id === closing ? 'DELETE' : undefined;
      expect(statements.length, id).toBe(method ? 1 : 0);
      if (!method) continue;
      expect(actionsOf(statements), id).toEqual(['execute-api:ManageConnections']);
      const resources = JSON.stringify(statements[0]?.Resource);
      expect(resources).toContain(`/${name}/${method}/@connections/*`);
      expect(resources).not.toMatch(method === 'POST' ? /\/DELETE\// : /\/POST\//);
    }
  });

  it('gives the closing consumer no table access (the stream records are all it reads) and the cap to $connect', () => {
    const closing = eventsFunctionId(shop(), 'RealtimeCloseConnections');
    const streamActions = [
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ];
    const tableActions = actionsOf(statementsOfFunction(shop().events, closing)).filter(
      (a) => a.startsWith('dynamodb:') && !streamActions.includes(a),
    );
    expect(tableActions).toEqual([]);
    const connect = eventsFunctionId(shop(), 'RealtimeConnect');
    expect(environmentOf(shop().events, connect).WEBSOCKET_MAX_CONNECTIONS_PER_USER).toBe(
      String(shop().config.webSocketConnectionsPerUser),
    );
  });

  it('gives the connection functions table access as listed, and $default none', () => {
    for (const route of WEBSOCKET_API.routes) {
      const id = eventsFunctionId(shop(), route.id);
      const tableActions = actionsOf(statementsOfFunction(shop().events, id)).filter((a) =>
        a.startsWith('dynamodb:'),
      );
      if (route.table === 'none') expect(tableActions, route.routeKey).toEqual([]);
      else expect(tableActions, route.routeKey).toContain('dynamodb:PutItem');
    }
  });

  it('grants no wildcard resource except X-Ray, own log streams, @connections of its stage and dynamodb:ListStreams', () => {
    const wildcards: string[] = [];
    for (const { functionId: id, resource, text, actions } of wildcardGrants(shop().events)) {
      const allowed =
        (resource === '*' &&
          actions.every((a) => ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'].includes(a))) ||
        // The event source mapping lists the table's streams; ListStreams has no resource-level scope.
        (resource === '*' && actions.every((a) => a === 'dynamodb:ListStreams')) ||
        (text.endsWith(':log-stream:*"]]}') && actions.every((a) => a.startsWith('logs:'))) ||
        (/\/(POST|DELETE)\/@connections\/\*/.test(text) &&
          actions.every((a) => a === 'execute-api:ManageConnections'));
      if (!allowed) wildcards.push(`${id}: ${actions.join(',')} on ${text}`);
    }
    expect(wildcards).toEqual([]);
  });
});

describe('the recommendations consumer’s synthesized filters (prod)', () => {
  const criteria = () => {
    const shop = synthesizeShop('prod');
    const fnId = eventsFunctionId(shop, 'RecommendationsUpdateAggregates');
    const [mapping] = Object.values(resourcesOfType(shop.events, 'AWS::Lambda::EventSourceMapping')).filter(
      (m) => referencedLogicalId(m.Properties?.FunctionName) === fnId,
    );
    return mapping?.Properties?.FilterCriteria as { Filters: { Pattern: string }[] };
  };
  const order = (status: string) => ({ ...orderKey('1'), entity: 'order', status, history: [] });

  it('lets through an order becoming paid, and a paid order becoming cancelled', () => {
    expect(
      matchesFilterCriteria(modifiedItem(order('pending_payment'), { status: 'paid' }), criteria()),
    ).toBe(true);
    expect(matchesFilterCriteria(modifiedItem(order('paid'), { status: 'cancelled' }), criteria())).toBe(
      true,
    );
  });

  it('never invokes it for other order changes or other items', () => {
    const ignored = [
      // A paid order's history or refund changing: still paid.
      modifiedItem(order('paid'), { history: [{ type: 'provider_event' }] }),
      modifiedItem(order('pending_payment'), { status: 'cancelled' }),
      modifiedItem(order('pending_payment'), { status: 'expired' }),
      modifiedItem(order('paid'), { status: 'shipped' }),
      modifiedItem(order('cancelled'), { payment: { refund: { status: 'succeeded' } } }),
      streamRecord({ eventName: 'INSERT', newImage: order('pending_payment') }),
      streamRecord({ eventName: 'REMOVE', oldImage: order('paid') }),
      modifiedItem(
        { pk: 'X#1', sk: 'X', entity: 'membership', status: 'pending_payment' },
        { status: 'paid' },
      ),
    ];
    for (const record of ignored)
      expect(matchesFilterCriteria(record, criteria()), JSON.stringify(record)).toBe(false);
  });
});
