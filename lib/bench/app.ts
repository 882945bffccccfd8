import path from 'node:path';
import { PROJECT_ROOT } from '../constructs/endpoint-function.ts';
import { type ApiDefinition, readApiDefinition } from '../local/apigateway/http/definition.ts';
import { type CloudAssembly, readCloudAssembly, TemplateResolver } from '../local/cloudformation/template.ts';
import { synthesize } from '../synth.ts';
import { seconds } from './table.ts';
import { type BenchTarget, functionTargets } from './targets.ts';

/** The synthesized `local` app every phase measures: its functions and routes. */
export interface BenchApp {
  /** The cloud assembly directory (cdk.out) the local backends run. */
  readonly outdir: string;
  readonly assembly: CloudAssembly;
  /** Every function of ours in the template. */
  readonly functions: readonly BenchTarget[];
  readonly api: ApiDefinition;
  /** Route key -> function logical id, from the template. */
  readonly functionOfRoute: ReadonlyMap<string, string>;
  readonly targetByLogicalId: ReadonlyMap<string, BenchTarget>;
  /** A function's construct id, or the logical id when it is not one of ours. */
  nameOf(logicalId: string): string;
}

/**
 * Synthesizes the local environment (the bundles a deploy would ship) into .local/bench,
 * reusing the last synthesis when the sources are unchanged, and reads its functions and routes.
 */
export function synthesizeBenchApp(progress: (text: string) => void): BenchApp {
  const started = performance.now();
  progress(
    'Synthesizing the local environment (the bundles a deploy would ship; reused when sources are unchanged)...',
  );
  const { outdir, synthesized } = synthesize('local', path.join(PROJECT_ROOT, '.local', 'bench', 'cdk.out'), {
    reuse: true,
  });
  progress(`${synthesized ? 'Synthesized' : 'Reused the last synthesis'} in ${seconds(started)}`);
  const assembly = readCloudAssembly(outdir);
  const functions = functionTargets(
    assembly,
    new TemplateResolver(assembly, { tableNamePrefix: 'shop-local-' }),
  );
  const api = readApiDefinition(new TemplateResolver(assembly, {}));
  const targetByLogicalId = new Map(
    functions.flatMap((f) => (f.logicalId ? [[f.logicalId, f] as const] : [])),
  );
  progress(`${functions.length} functions of ours in the template`);
  return {
    outdir,
    assembly,
    functions,
    api,
    functionOfRoute: new Map(api.routes.map((r) => [r.routeKey, r.functionLogicalId])),
    targetByLogicalId,
    nameOf: (logicalId) => targetByLogicalId.get(logicalId)?.name ?? logicalId,
  };
}

/**
 * The functions of an environment that deploys (`dev`, `prod`), synthesized as `cdk synth -c
 * env=<name>` builds them into .local/bench/<name>/cdk.out (reused when the sources are
 * unchanged), named `<name>:<construct id>`.
 */
export function synthesizeEnvironmentFunctions(
  envName: string,
  progress: (text: string) => void,
): BenchTarget[] {
  const started = performance.now();
  const { outdir, synthesized } = synthesize(
    envName,
    path.join(PROJECT_ROOT, '.local', 'bench', envName, 'cdk.out'),
    {
      reuse: true,
    },
  );
  progress(
    `${synthesized ? 'Synthesized' : 'Reused the last synthesis of'} ${envName} in ${seconds(started)}`,
  );
  const assembly = readCloudAssembly(outdir);
  return functionTargets(
    assembly,
    new TemplateResolver(assembly, { tableNamePrefix: `shop-${envName}-` }),
    `${envName}:`,
  );
}
