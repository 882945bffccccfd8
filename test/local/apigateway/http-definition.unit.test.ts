import { describe, expect, it } from 'vitest';
import { readApiDefinition } from '../../../lib/local/apigateway/http/definition.ts';
import { TemplateResolver } from '../../../lib/local/cloudformation/template.ts';
import { assemblyOf } from '../assembly.ts';

const integration = (fn: string, apiId: unknown) => ({
  Type: 'AWS::ApiGatewayV2::Integration',
  Properties: { ApiId: apiId, IntegrationType: 'AWS_PROXY', IntegrationUri: { 'Fn::GetAtt': [fn, 'Arn'] } },
});
const route = (key: string, integrationId: string, apiId: unknown, authorizerId?: unknown) => ({
  Type: 'AWS::ApiGatewayV2::Route',
  Properties: {
    ApiId: apiId,
    RouteKey: key,
    Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
    ...(authorizerId ? { AuthorizationType: 'JWT', AuthorizerId: authorizerId } : {}),
  },
});
const fn = { Type: 'AWS::Lambda::Function', Properties: {} };

/**
 * The shop's HTTP API as it is split: the base stack holds the API, its authorizer and a route,
 * and exports the ids; a route stack adds routes by `Fn::ImportValue`. Both stacks name their
 * integration `Integration`, as two stacks may.
 */
const ASSEMBLY = assemblyOf({
  base: {
    Resources: {
      HttpApi: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'HTTP' } },
      Authorizer: {
        Type: 'AWS::ApiGatewayV2::Authorizer',
        Properties: { ApiId: { Ref: 'HttpApi' }, AuthorizerType: 'JWT' },
      },
      Health: fn,
      Integration: integration('Health', { Ref: 'HttpApi' }),
      HealthRoute: route('GET /health', 'Integration', { Ref: 'HttpApi' }),
      // Another API's route (the WebSocket API's): not the HTTP API's.
      Socket: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'WEBSOCKET' } },
      SocketIntegration: integration('Health', { Ref: 'Socket' }),
      SocketRoute: route('$connect', 'SocketIntegration', { Ref: 'Socket' }),
    },
    Outputs: {
      ApiId: { Value: { Ref: 'HttpApi' }, Export: { Name: 'base-HttpApiId' } },
      AuthorizerId: { Value: { Ref: 'Authorizer' }, Export: { Name: 'base-JwtAuthorizerId' } },
    },
  },
  catalog: {
    Resources: {
      ListOrders: fn,
      Integration: integration('ListOrders', { 'Fn::ImportValue': 'base-HttpApiId' }),
      OrdersRoute: route(
        'GET /orders',
        'Integration',
        { 'Fn::ImportValue': 'base-HttpApiId' },
        { 'Fn::ImportValue': 'base-JwtAuthorizerId' },
      ),
    },
  },
});

describe('the local HTTP API read from templates', () => {
  it('serves the routes of every stack, naming the API by Ref or by import, and their authorizer', () => {
    const api = readApiDefinition(new TemplateResolver(ASSEMBLY));
    expect(api.apiId).toBe('HttpApi');
    expect(api.routes).toEqual([
      expect.objectContaining({
        routeKey: 'GET /health',
        functionLogicalId: 'Health',
        authorizationType: 'NONE',
      }),
      expect.objectContaining({
        routeKey: 'GET /orders',
        functionLogicalId: 'ListOrders',
        authorizationType: 'JWT',
        authorizerId: 'Authorizer',
      }),
    ]);
  });
});
