import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ENTRY_METADATA, FUNCTION_ID_METADATA } from '../constructs/endpoint-function.ts';
import { readApiDefinition } from '../local/apigateway/http/definition.ts';
import { readWebSocketApi } from '../local/apigateway/websocket/definition.ts';
import {
  type CloudAssembly,
  resourcesOfType,
  type TemplateResolver,
} from '../local/cloudformation/template.ts';
import { functionSpecOf } from '../local/lambda/spec.ts';

/** One bundle whose cold start is measured: a deployed function or a floor. */
export interface BenchTarget {
  /** `CatalogGetProduct` (the function's construct id), or `floor:...`. */
  readonly name: string;
  /** What invokes it (a route key, a stream, a schedule), or what the floor stands for. */
  readonly label: string;
  readonly kind: 'function' | 'floor';
  /** Handler source relative to the repo root. */
  readonly entry: string;
  /** Absolute path of the bundle (`index.mjs`) and its exported handler name. */
  readonly bundle: string;
  readonly exportName: string;
  readonly bundleBytes: number;
  readonly mapBytes: number;
  /** The environment Lambda would give the function, `NODE_OPTIONS` included if it has one. */
  readonly environment: Readonly<Record<string, string>>;
  /** The function's logical id, stable id (the route table's `id`) and configured memory (functions only). */
  readonly logicalId?: string;
  readonly functionId?: string;
  readonly memoryMb?: number;
}

function fileBytes(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** `index.handler` in `codeDir` -> the module file and export name, as the Node runtime resolves it. */
function resolveHandler(codeDir: string, handler: string): { bundle: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  const base = path.join(codeDir, handler.slice(0, dot));
  const bundle = ['.mjs', '.js', '.cjs'].map((ext) => `${base}${ext}`).find((file) => existsSync(file));
  if (!bundle) throw new Error(`No module for handler ${handler} in ${codeDir}.`);
  return { bundle, exportName: handler.slice(dot + 1) };
}

const BENCH_CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench', sessionToken: 'bench' };

/**
 * What invokes each function, read from the template: HTTP and WebSocket routes, WebSocket
 * authorizers, event source mappings, schedules and custom resources.
 */
function invokers(resolver: TemplateResolver): Map<string, string[]> {
  const { assembly } = resolver;
  const labels = new Map<string, string[]>();
  const add = (logicalId: string, label: string) =>
    labels.set(logicalId, [...(labels.get(logicalId) ?? []), label]);
  for (const route of readApiDefinition(resolver).routes) add(route.functionLogicalId, route.routeKey);
  const webSocket = readWebSocketApi(resolver);
  for (const route of webSocket?.routes.values() ?? []) add(route.functionLogicalId, `WS ${route.routeKey}`);
  for (const authorizer of webSocket?.authorizers.values() ?? [])
    add(authorizer.functionLogicalId, 'WS authorizer');
  const referenced = (value: unknown): string | undefined => {
    const ref = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
    return ref?.Ref ?? ref?.['Fn::GetAtt']?.[0];
  };
  for (const { resource } of resourcesOfType(assembly, 'AWS::Lambda::EventSourceMapping')) {
    const fn = referenced(resource.Properties?.FunctionName);
    if (fn) add(fn, 'stream consumer');
  }
  for (const { resource } of resourcesOfType(assembly, 'AWS::Events::Rule')) {
    for (const target of (resource.Properties?.Targets as { Arn?: unknown }[] | undefined) ?? []) {
      const fn = referenced(target.Arn);
      if (fn) add(fn, String(resource.Properties?.ScheduleExpression ?? 'event rule'));
    }
  }
  for (const { stack, template } of assembly.stacks.map((s) => ({
    stack: s.stackName,
    template: s.template,
  }))) {
    for (const resource of Object.values(template.Resources)) {
      if (!resource.Type.startsWith('Custom::')) continue;
      const fn = referenced(resource.Properties?.ServiceToken);
      if (fn) add(fn, `${resource.Type} (deploy time, ${stack})`);
    }
  }
  return labels;
}

/**
 * What Lambda adds to a function's environment when its active tracing is on (the X-Ray
 * daemon it runs beside the function): a traced function's init sets up its recorder then.
 */
const ACTIVE_TRACING_ENVIRONMENT = {
  AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
  _AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129',
  _AWS_XRAY_DAEMON_PORT: '2000',
  AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
};

const activelyTraced = (resource: { Properties?: Record<string, unknown> }) =>
  (resource.Properties?.TracingConfig as { Mode?: unknown } | undefined)?.Mode === 'Active';

/** `shop-local-api/CatalogGetProduct/Function/Resource` -> `CatalogGetProduct`. */
function constructName(cdkPath: unknown, logicalId: string): string {
  return typeof cdkPath === 'string' ? (cdkPath.split('/')[1] ?? logicalId) : logicalId;
}

/**
 * Every function of the synthesized template that the app built from a handler of ours
 * (those carry their entry in metadata), with its bundle and the environment the local
 * runtime would give it (plus active tracing's, where the template turns it on). Functions
 * added on any branch show up here without a change. `namePrefix` tells environments apart
 * (`prod:CatalogGetProduct`).
 */
export function functionTargets(
  assembly: CloudAssembly,
  resolver: TemplateResolver,
  namePrefix = '',
): BenchTarget[] {
  const labels = invokers(resolver);
  const targets: BenchTarget[] = [];
  for (const found of resourcesOfType(assembly, 'AWS::Lambda::Function')) {
    const entry = found.resource.Metadata?.[ENTRY_METADATA];
    if (typeof entry !== 'string') continue;
    const spec = functionSpecOf(found, resolver, BENCH_CREDENTIALS, {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
    });
    const { bundle, exportName } = resolveHandler(spec.codeDir, spec.handler);
    targets.push({
      name: `${namePrefix}${constructName(found.resource.Metadata?.['aws:cdk:path'], found.logicalId)}`,
      label: (labels.get(found.logicalId) ?? ['(not invoked by the template)']).join(', '),
      kind: 'function',
      entry,
      bundle,
      exportName,
      bundleBytes: fileBytes(bundle),
      mapBytes: fileBytes(`${bundle}.map`),
      environment: activelyTraced(found.resource)
        ? { ...spec.environment, ...ACTIVE_TRACING_ENVIRONMENT }
        : spec.environment,
      logicalId: found.logicalId,
      functionId: String(found.resource.Metadata?.[FUNCTION_ID_METADATA] ?? ''),
      memoryMb: spec.memoryMb,
    });
  }
  if (targets.length === 0) {
    throw new Error(
      `No function in the template carries ${ENTRY_METADATA} metadata; was it synthesized by this app?`,
    );
  }
  return targets;
}

/**
 * A floor bundle in `codeDir`, run in the environment of a function that reads the table, or
 * (`plain`) in the environment Lambda alone sets, without any variable of ours.
 */
export function floorTarget(
  name: string,
  label: string,
  entry: string,
  codeDir: string,
  like: BenchTarget,
  plain: boolean,
): BenchTarget {
  const bundle = path.join(codeDir, 'index.mjs');
  const lambdaOnly = Object.fromEntries(
    Object.entries(like.environment).filter(
      ([key]) =>
        key.startsWith('AWS_') || ['TZ', 'LANG', 'PATH', '_HANDLER', 'LAMBDA_TASK_ROOT'].includes(key),
    ),
  );
  return {
    name,
    label,
    kind: 'floor',
    entry,
    bundle,
    exportName: 'handler',
    bundleBytes: fileBytes(bundle),
    mapBytes: fileBytes(`${bundle}.map`),
    environment: {
      ...(plain ? lambdaOnly : like.environment),
      LAMBDA_TASK_ROOT: codeDir,
      AWS_LAMBDA_FUNCTION_NAME: `bench-${name.replace(':', '-')}`,
      TABLE_NAME: like.environment.TABLE_NAME ?? 'bench-table',
    },
  };
}
