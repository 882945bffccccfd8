import { readApiDefinition } from '../apigateway/http/definition.ts';
import { type CloudAssembly, readCloudAssembly, resourcesOfType, TemplateResolver } from './template.ts';

/** What a new synthesis changed in a running backend, and what it could not apply while running. */
export interface TemplateReload {
  /** Functions by logical id. */
  readonly added: readonly string[];
  readonly replaced: readonly string[];
  readonly removed: readonly string[];
  /** HTTP API route keys (`GET /products`). */
  readonly routesAdded: readonly string[];
  readonly routesRemoved: readonly string[];
  /** Resource types that changed but apply on the next start only (tables, stream mappings, ...). */
  readonly needsRestart: readonly string[];
}

/** The parts of a running backend a new synthesis updates in place. */
export interface ReloadTargets {
  /** Starts, stops and replaces functions (the local Lambda service's `update`). */
  readonly functions: {
    update(resolver: TemplateResolver): {
      added: readonly string[];
      replaced: readonly string[];
      removed: readonly string[];
    };
  };
  /** Serves the HTTP API's new routes (the local API Gateway's `update`). */
  readonly api: { update(resolver: TemplateResolver): void };
}

/**
 * Resources a running backend sets up once at start (tables, queues, secrets, the WebSocket API,
 * stream mappings, schedules): a change to them is reported, not applied.
 */
const STARTUP_TYPES = [
  'AWS::DynamoDB::Table',
  'AWS::SQS::Queue',
  'AWS::SecretsManager::Secret',
  'AWS::Lambda::EventSourceMapping',
  'AWS::Events::Rule',
];

const webSocketPart = (assembly: CloudAssembly) =>
  JSON.stringify(
    resourcesOfType(assembly, 'AWS::ApiGatewayV2::Api')
      .filter(({ resource }) => resource.Properties?.ProtocolType === 'WEBSOCKET')
      .map(({ logicalId }) => [
        logicalId,
        resourcesOfType(assembly, 'AWS::ApiGatewayV2::Route')
          .filter(({ resource }) => (resource.Properties?.ApiId as { Ref?: string })?.Ref === logicalId)
          .map(({ resource }) => resource.Properties?.RouteKey),
      ]),
  );

/** Which start-up parts differ between two syntheses. */
function startupChanges(before: CloudAssembly, after: CloudAssembly): string[] {
  const changed = STARTUP_TYPES.filter(
    (type) => JSON.stringify(resourcesOfType(before, type)) !== JSON.stringify(resourcesOfType(after, type)),
  );
  if (webSocketPart(before) !== webSocketPart(after)) changed.push('the WebSocket API');
  return changed;
}

/**
 * Applies the cloud assembly in `assemblyDir` (a new synthesis of the same app) to a running
 * backend: functions added, removed or changed (code, environment, timeout) and the HTTP API's
 * routes. Answers the new resolver (same local endpoints) and what changed.
 */
export function reloadTemplate(
  previous: TemplateResolver,
  assemblyDir: string,
  targets: ReloadTargets,
): { resolver: TemplateResolver; reload: TemplateReload } {
  const resolver = new TemplateResolver(readCloudAssembly(assemblyDir), previous.endpoints);
  const routeKeys = (from: TemplateResolver) =>
    new Set(readApiDefinition(from).routes.map((r) => r.routeKey));
  const [before, after] = [routeKeys(previous), routeKeys(resolver)];
  const needsRestart = startupChanges(previous.assembly, resolver.assembly);
  const functions = targets.functions.update(resolver);
  targets.api.update(resolver);
  return {
    resolver,
    reload: {
      ...functions,
      routesAdded: [...after].filter((key) => !before.has(key)),
      routesRemoved: [...before].filter((key) => !after.has(key)),
      needsRestart,
    },
  };
}
