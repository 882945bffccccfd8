import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_ROUTE, functionId, ROUTES, routeKey } from '../api/routes.ts';
import { SCHEDULES } from '../api/schedules.ts';
import { STREAM_CONSUMERS } from '../api/stream-consumers.ts';
import { WEBSOCKET_API } from '../api/websocket.ts';
import { lambdaEnvironment } from '../local/functions.ts';
import { type CloudAssembly, resourcesOfType, type TemplateResolver } from '../local/template.ts';

/** One bundle whose cold start is measured: a deployed function or a floor. */
export interface BenchTarget {
  /** `CatalogGetProduct`, or `floor:empty` / `floor:getitem`. */
  readonly name: string;
  /** The route key, or what the floor stands for. */
  readonly label: string;
  readonly kind: 'function' | 'floor';
  /** Handler source relative to the repo root. */
  readonly entry: string;
  /** Absolute path of the bundle (`index.mjs`) and its exported handler name. */
  readonly bundle: string;
  readonly exportName: string;
  readonly bundleBytes: number;
  readonly mapBytes: number;
  /** The environment Lambda would give the function, `NODE_OPTIONS` included. */
  readonly environment: Readonly<Record<string, string>>;
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

/**
 * Every route's function (and the `$default` one) in the synthesized template, found by the
 * logical id the API stack gives it (`<functionId>Function<hash>`), with its bundle and its
 * environment resolved as the local runtime resolves it.
 */
export function functionTargets(assembly: CloudAssembly, resolver: TemplateResolver): BenchTarget[] {
  const functions = resourcesOfType(assembly, 'AWS::Lambda::Function');
  const wanted = [
    ...ROUTES.map((route) => ({ label: routeKey(route), entry: route.entry })),
    { label: DEFAULT_ROUTE.routeKey, entry: DEFAULT_ROUTE.entry },
    { label: 'WS $connect authorizer', entry: WEBSOCKET_API.authorizer.entry },
    ...WEBSOCKET_API.routes.map((route) => ({ label: `WS ${route.routeKey}`, entry: route.entry })),
    ...STREAM_CONSUMERS.map((consumer) => ({ label: 'stream consumer', entry: consumer.entry })),
    ...SCHEDULES.map((job) => ({ label: `every ${job.everyMinutes} min`, entry: job.entry })),
  ];
  return wanted.map(({ label, entry }) => {
    const name = functionId(entry);
    // Route and schedule functions are `<Id>Function...`, stream consumers `<Id>ConsumerFunction...`.
    const found = functions.find(
      (f) => f.logicalId.startsWith(`${name}Function`) || f.logicalId.startsWith(`${name}ConsumerFunction`),
    );
    if (!found) throw new Error(`The synthesized template has no function for ${label} (${name}).`);
    const { stackName, logicalId, resource } = found;
    const props = resource.Properties ?? {};
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string')
      throw new Error(`Function ${logicalId} has no aws:asset:path metadata.`);
    const codeDir = path.resolve(assembly.dir, assetPath);
    const handler = String(props.Handler ?? 'index.handler');
    const { bundle, exportName } = resolveHandler(codeDir, handler);
    const variables = resolver.resolve(
      (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
      stackName,
    ) as Record<string, string>;
    return {
      name,
      label,
      kind: 'function',
      entry,
      bundle,
      exportName,
      bundleBytes: fileBytes(bundle),
      mapBytes: fileBytes(`${bundle}.map`),
      environment: {
        ...lambdaEnvironment(resolver.resource(stackName, logicalId).ref, codeDir, handler, props, {
          accessKeyId: 'bench',
          secretAccessKey: 'bench',
        }),
        PATH: '/usr/local/bin:/usr/bin:/bin',
        LANG: 'en_US.UTF-8',
        AWS_SESSION_TOKEN: 'bench',
        ...variables,
      },
    };
  });
}

/**
 * A floor bundle in `codeDir`, with the environment of a function that reads the table (so
 * NODE_OPTIONS, log settings and TABLE_NAME are what a real function gets).
 */
export function floorTarget(
  name: string,
  label: string,
  entry: string,
  codeDir: string,
  like: BenchTarget | undefined,
): BenchTarget {
  const bundle = path.join(codeDir, 'index.mjs');
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
      ...(like?.environment ?? { NODE_OPTIONS: '--enable-source-maps' }),
      LAMBDA_TASK_ROOT: codeDir,
      AWS_LAMBDA_FUNCTION_NAME: `bench-${name.replace(':', '-')}`,
      POWERTOOLS_SERVICE_NAME: `bench-${name.replace(':', '-')}`,
      TABLE_NAME: like?.environment.TABLE_NAME ?? 'bench-table',
    },
  };
}
