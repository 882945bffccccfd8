import { resourcesOfType, type TemplateResolver } from '../../cloudformation/template.ts';

/** One route of the WebSocket API as the template defines it. */
export interface WebSocketRoute {
  readonly routeKey: string;
  readonly functionLogicalId: string;
  readonly authorizationType: string;
  readonly authorizerId?: string;
  /** A route response exists: the function's answer is sent back to the client. */
  readonly returnsResponse: boolean;
}

/** The `$connect` authorizer: a Lambda REQUEST authorizer and where its identity comes from. */
export interface WebSocketAuthorizer {
  readonly functionLogicalId: string;
  /** `route.request.header.<Name>` / `route.request.querystring.<name>`: all must be present. */
  readonly identitySource: readonly string[];
}

export interface WebSocketApiDefinition {
  readonly apiId: string;
  readonly stageName: string;
  /** `$request.body.<path>`: picks a route by a field of each JSON frame. */
  readonly routeSelectionExpression: string;
  readonly routes: ReadonlyMap<string, WebSocketRoute>;
  readonly authorizers: ReadonlyMap<string, WebSocketAuthorizer>;
}

/** The logical id of the first `Fn::GetAtt <fn>.Arn` inside a value (integration and authorizer URIs). */
function functionInUri(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = functionInUri(item);
      if (found) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string') return getAtt[0];
  return functionInUri(Object.values(value));
}

const refOf = (value: unknown): string | undefined =>
  typeof value === 'object' && value !== null ? (value as { Ref?: string }).Ref : undefined;

/**
 * Reads the WebSocket API from the template as API Gateway would deploy it: its routes and
 * the functions behind their integrations, route responses, the REQUEST authorizer, the
 * route selection expression and the stage name. Undefined when the app has no WebSocket API.
 */
export function readWebSocketApi(resolver: TemplateResolver): WebSocketApiDefinition | undefined {
  const { assembly } = resolver;
  const apis = resourcesOfType(assembly, 'AWS::ApiGatewayV2::Api').filter(
    ({ resource }) => resource.Properties?.ProtocolType === 'WEBSOCKET',
  );
  if (apis.length === 0) return undefined;
  if (apis.length > 1) throw new Error(`Expected one WebSocket API in the app, found ${apis.length}.`);
  const [api] = apis as [(typeof apis)[number]];
  // A part of the API names it by `Ref` in the API's stack, by `Fn::ImportValue` from another.
  const belongs = (stackName: string, props: Record<string, unknown> | undefined) =>
    props?.ApiId !== undefined && resolver.resolve(props.ApiId, stackName) === api.logicalId;
  const integrations = new Map(
    resourcesOfType(assembly, 'AWS::ApiGatewayV2::Integration')
      .filter(({ stackName, resource }) => belongs(stackName, resource.Properties))
      .map(({ logicalId, resource }) => [logicalId, functionInUri(resource.Properties?.IntegrationUri)]),
  );
  const withResponse = new Set(
    resourcesOfType(assembly, 'AWS::ApiGatewayV2::RouteResponse')
      .filter(({ stackName, resource }) => belongs(stackName, resource.Properties))
      .map(({ resource }) => refOf(resource.Properties?.RouteId)),
  );
  const routes = new Map<string, WebSocketRoute>();
  for (const { stackName, logicalId, resource } of resourcesOfType(assembly, 'AWS::ApiGatewayV2::Route')) {
    const props = resource.Properties ?? {};
    if (!belongs(stackName, props)) continue;
    const routeKey = String(props.RouteKey);
    const target = props.Target as { 'Fn::Join'?: [string, unknown[]] } | undefined;
    const integrationId = refOf(target?.['Fn::Join']?.[1]?.[1]);
    const functionLogicalId = integrationId ? integrations.get(integrationId) : undefined;
    if (!functionLogicalId) throw new Error(`WebSocket route ${routeKey} has no Lambda integration.`);
    routes.set(routeKey, {
      routeKey,
      functionLogicalId,
      authorizationType: String(props.AuthorizationType ?? 'NONE'),
      authorizerId: refOf(props.AuthorizerId),
      returnsResponse: withResponse.has(logicalId),
    });
  }
  const authorizers = new Map<string, WebSocketAuthorizer>();
  for (const { stackName, logicalId, resource } of resourcesOfType(
    assembly,
    'AWS::ApiGatewayV2::Authorizer',
  )) {
    const props = resource.Properties ?? {};
    if (!belongs(stackName, props)) continue;
    const functionLogicalId = functionInUri(props.AuthorizerUri);
    if (props.AuthorizerType !== 'REQUEST' || !functionLogicalId) {
      throw new Error(`WebSocket authorizer ${logicalId} is not a Lambda REQUEST authorizer.`);
    }
    authorizers.set(logicalId, {
      functionLogicalId,
      identitySource: (props.IdentitySource as string[] | undefined) ?? [],
    });
  }
  const stage = resourcesOfType(assembly, 'AWS::ApiGatewayV2::Stage').find(({ stackName, resource }) =>
    belongs(stackName, resource.Properties),
  );
  if (!stage) throw new Error('The WebSocket API has no stage.');
  return {
    apiId: api.logicalId,
    stageName: String(stage.resource.Properties?.StageName),
    routeSelectionExpression: String(
      api.resource.Properties?.RouteSelectionExpression ?? '$request.body.action',
    ),
    routes,
    authorizers,
  };
}

/** API Gateway's limits for WebSocket APIs (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html). */
export const WEBSOCKET_QUOTAS = {
  /** A message (and a @connections post) is at most 128 KB. */
  maxMessageBytes: 128 * 1024,
  idleTimeoutSeconds: 10 * 60,
  maxConnectionSeconds: 2 * 60 * 60,
} as const;
