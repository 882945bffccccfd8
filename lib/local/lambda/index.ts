/**
 * AWS Lambda, locally: every `AWS::Lambda::Function` of the template runs from its bundle
 * (`aws:asset:path` + `Handler`) with the environment Lambda would give it (the template's
 * variables resolved to local values, the platform's own, dummy credentials), each concurrent
 * request in an execution environment of its own (a worker thread: its own module state and
 * `process.env`), cold once and warm after. Timeouts, the init phase's limit, reserved and
 * account concurrency (429 when used up), idle environments shut down, `Runtime.*` errors, and
 * Lambda's log lines (`INIT_REPORT`, `platform.initReport`) as the Node.js runtime reports them.
 *
 * Not emulated: functions with inline code, layers, extensions, versions and aliases, provisioned concurrency, SnapStart,
 * memory as a CPU share (memory is a heap limit here), the Invoke API over HTTP, destinations
 * of asynchronous invocations.
 */
import { LOCAL_CREDENTIALS } from '../account.ts';
import { resourcesOfType, type TemplateResolver } from '../cloudformation/template.ts';
import { LocalFunction } from './function.ts';
import { type RuntimeLimits, runtimeLimitsFromEnv } from './limits.ts';
import { LocalRuntime } from './runtime.ts';
import { type FunctionSpec, functionSpecOf, sameFunction, withCodeDir } from './spec.ts';

export interface LocalLambdaOptions {
  readonly resolver: TemplateResolver;
  /** Variables set on every function on top of the template's (the local services' endpoints, ...). */
  readonly environment: Readonly<Record<string, string>>;
  /** Variables for one function (by logical id), on top of all others. */
  readonly functionEnvironment?: (logicalId: string) => Readonly<Record<string, string>>;
  /** Limits of the local Lambda service, over the defaults and LOCAL_* variables. */
  readonly limits?: Partial<RuntimeLimits>;
  /** Where each line a function writes goes (`LocalLogOutput.fromFunction` formats it). */
  readonly functionLog: (logicalId: string, raw: string) => void;
}

/** What a template update changed, by logical id. */
export interface FunctionChanges {
  readonly added: readonly string[];
  readonly replaced: readonly string[];
  readonly removed: readonly string[];
}

export interface LocalLambda {
  /** Every function of the template, by logical id (the same map object after updates). */
  readonly functions: ReadonlyMap<string, LocalFunction>;
  /**
   * Serves a function from another bundle directory (rebuilt code): its environments are
   * drained and replaced (`LocalFunction.replace`); resolves once the old ones are gone.
   */
  replaceCode(logicalId: string, codeDir: string): Promise<void>;
  /**
   * Applies a new synthesis of the template: functions it adds start, functions it drops stop,
   * functions whose spec changed (code, environment, timeout) are replaced; the rest stay warm.
   */
  update(resolver: TemplateResolver): FunctionChanges;
  /** Shuts every execution environment down. */
  stop(): Promise<void>;
}

/** The template's functions in one local Lambda service (shared account concurrency and init turns). */
export function startLocalLambda(options: LocalLambdaOptions): LocalLambda {
  const { resolver, functionLog } = options;
  const runtime = new LocalRuntime({ ...runtimeLimitsFromEnv(), ...options.limits });
  const functions = new Map<string, LocalFunction>();
  const specsOf = (from: TemplateResolver) => {
    const specs = new Map<string, FunctionSpec>();
    for (const found of resourcesOfType(from.assembly, 'AWS::Lambda::Function')) {
      const { logicalId } = found;
      // Inline code (`ZipFile`: CDK's own deploy-time handlers, such as the one that puts bucket
      // notifications) is what CloudFormation runs at deploy; locally the runtime does its job.
      if ((found.resource.Properties?.Code as { ZipFile?: unknown } | undefined)?.ZipFile !== undefined)
        continue;
      const overrides = { ...options.environment, ...options.functionEnvironment?.(logicalId) };
      specs.set(logicalId, functionSpecOf(found, from, LOCAL_CREDENTIALS, overrides));
    }
    return specs;
  };
  const add = (spec: FunctionSpec) => {
    const onLog = (line: string) => functionLog(spec.logicalId, line);
    functions.set(spec.logicalId, new LocalFunction(spec, { onLog, runtime }));
  };
  for (const spec of specsOf(resolver).values()) add(spec);
  return {
    functions,
    replaceCode: async (logicalId, codeDir) => {
      const fn = functions.get(logicalId);
      if (!fn) throw new Error(`No function ${logicalId} to replace.`);
      await fn.replace(withCodeDir(fn.spec, codeDir));
    },
    update: (next) => {
      const specs = specsOf(next);
      const changes = { added: [] as string[], replaced: [] as string[], removed: [] as string[] };
      for (const [logicalId, spec] of specs) {
        const fn = functions.get(logicalId);
        if (!fn) {
          add(spec);
          changes.added.push(logicalId);
        } else if (!sameFunction(fn.spec, spec)) {
          void fn.replace(spec);
          changes.replaced.push(logicalId);
        } else {
          fn.relocate(spec);
        }
      }
      for (const [logicalId, fn] of functions) {
        if (specs.has(logicalId)) continue;
        functions.delete(logicalId);
        void fn.stop();
        changes.removed.push(logicalId);
      }
      return changes;
    },
    stop: async () => {
      await Promise.all([...functions.values()].map((fn) => fn.stop()));
    },
  };
}
