import { resourcesOfType, type TemplateResolver } from '../../cloudformation/template.ts';

/** One `AWS::ApiGatewayV2::Route` as the emulator serves it. */
export interface ApiRoute {
  readonly routeKey: string;
  /** Undefined for `$default`; `ANY` matches every method. */
  readonly method?: string;
  readonly path?: string;
  readonly functionLogicalId: string;
  readonly authorizationType: string;
  readonly authorizationScopes: readonly string[];
  /** Logical id of the route's `AWS::ApiGatewayV2::Authorizer`, if any. */
  readonly authorizerId?: string;
}

export interface CorsConfig {
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAge?: number;
}

export interface ApiDefinition {
  /** Logical id of the `AWS::ApiGatewayV2::Api`. */
  readonly apiId: string;
  readonly routes: readonly ApiRoute[];
  readonly cors?: CorsConfig;
}

/**
 * Reads the HTTP API from the templates the way SAM does: each route's key, its integration's
 * target function (`Fn::GetAtt <fn>.Arn`), its authorization, and the API's CORS settings. Routes
 * may live in other stacks than the API's, naming it (and its authorizer) by `Fn::ImportValue`.
 */
export function readApiDefinition(resolver: TemplateResolver): ApiDefinition {
  const apis = resourcesOfType(resolver.assembly, 'AWS::ApiGatewayV2::Api').filter(
    ({ resource }) => resource.Properties?.ProtocolType === 'HTTP',
  );
  if (apis.length !== 1) throw new Error(`Expected one HTTP API in the app, found ${apis.length}.`);
  const apiId = apis[0]?.logicalId as string;
  // A part of the API names it by `Ref` in the API's stack, by `Fn::ImportValue` from another;
  // both resolve to the API's local id (its logical id).
  const belongs = (stackName: string, props: Record<string, unknown>) =>
    props.ApiId !== undefined && resolver.resolve(props.ApiId, stackName) === apiId;
  const integrations = new Map(
    resourcesOfType(resolver.assembly, 'AWS::ApiGatewayV2::Integration').map((i) => [
      `${i.stackName}/${i.logicalId}`,
      i,
    ]),
  );
  const routes: ApiRoute[] = [];
  for (const { stackName, logicalId, resource } of resourcesOfType(
    resolver.assembly,
    'AWS::ApiGatewayV2::Route',
  )) {
    const props = resource.Properties ?? {};
    // Routes of the WebSocket API are the WebSocket API's (../websocket/).
    if (!belongs(stackName, props)) continue;
    const routeKey = String(props.RouteKey);
    const target = props.Target as { 'Fn::Join': [string, [string, { Ref: string }]] } | undefined;
    const integrationId = target?.['Fn::Join']?.[1]?.[1]?.Ref;
    const integration = integrationId ? integrations.get(`${stackName}/${integrationId}`) : undefined;
    const uri = integration?.resource.Properties?.IntegrationUri as
      | { 'Fn::GetAtt'?: [string, string] }
      | undefined;
    const functionLogicalId = uri?.['Fn::GetAtt']?.[0];
    if (!functionLogicalId) throw new Error(`Route ${logicalId} (${routeKey}) has no Lambda integration.`);
    const [method, path] = routeKey === '$default' ? [undefined, undefined] : routeKey.split(' ');
    routes.push({
      routeKey,
      method,
      path,
      functionLogicalId,
      authorizationType: String(props.AuthorizationType ?? 'NONE'),
      authorizationScopes: (props.AuthorizationScopes as string[] | undefined) ?? [],
      // The authorizer's local id is its logical id, by `Ref` or through an export.
      authorizerId:
        props.AuthorizerId === undefined
          ? undefined
          : String(resolver.resolve(props.AuthorizerId, stackName)),
    });
  }
  const corsProps = apis[0]?.resource.Properties?.CorsConfiguration as
    | {
        AllowOrigins?: string[];
        AllowMethods?: string[];
        AllowHeaders?: string[];
        ExposeHeaders?: string[];
        MaxAge?: number;
      }
    | undefined;
  const cors = corsProps
    ? {
        allowOrigins: corsProps.AllowOrigins ?? [],
        allowMethods: corsProps.AllowMethods ?? [],
        allowHeaders: corsProps.AllowHeaders ?? [],
        exposeHeaders: corsProps.ExposeHeaders ?? [],
        maxAge: corsProps.MaxAge,
      }
    : undefined;
  return { apiId, routes, cors };
}
