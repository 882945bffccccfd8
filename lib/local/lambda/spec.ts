import path from 'node:path';
import type { CfnResource, TemplateResolver } from '../cloudformation/template.ts';

/** What the local runtime knows of one function, read from the synthesized template. */
export interface FunctionSpec {
  readonly logicalId: string;
  readonly functionName: string;
  /** Directory of the bundled asset (`cdk.out/asset.<hash>`). */
  readonly codeDir: string;
  /** `index.handler`: module file (without extension) and export name. */
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** `ReservedConcurrentExecutions`: the most environments the function may run at once. */
  readonly reservedConcurrency?: number;
}

/**
 * What the Lambda service sets in every execution environment besides the function's own
 * variables (region, credentials for SDK clients, function name, memory and log format for
 * Powertools). Credentials here are local dummies.
 */
export function lambdaEnvironment(
  functionName: string,
  codeDir: string,
  handler: string,
  props: Record<string, unknown>,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
): Record<string, string> {
  const logging = props.LoggingConfig as { LogFormat?: string; ApplicationLogLevel?: string } | undefined;
  return {
    TZ: ':UTC',
    LAMBDA_TASK_ROOT: codeDir,
    _HANDLER: handler,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(props.MemorySize ?? 128),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    // Environments start on demand here (no provisioned concurrency); Powertools reads it to
    // tell a cold start.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_${String(props.Runtime ?? 'nodejs24.x')}`,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    // Functions read credentials from these variables only (functions/core/aws-credentials.ts).
    ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
    ...(logging?.LogFormat ? { AWS_LAMBDA_LOG_FORMAT: logging.LogFormat } : {}),
    // Lambda tells the function its application log level (Powertools Logger reads it).
    ...(logging?.ApplicationLogLevel ? { AWS_LAMBDA_LOG_LEVEL: String(logging.ApplicationLogLevel) } : {}),
  };
}

/**
 * The platform's line for an init phase that failed (JSON log format: `platform.initReport`,
 * what the runbook's queries look for; else the text `INIT_REPORT`). The environment is thrown

/**
 * An `AWS::Lambda::Function` of the template as the local runtime runs it: its bundle (from
 * `aws:asset:path`), timeout, memory, reserved concurrency, and the environment Lambda would
 * give it (its own variables with intrinsics resolved, then `overrides` on top).
 */
export function functionSpecOf(
  found: { stackName: string; logicalId: string; resource: CfnResource },
  resolver: TemplateResolver,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  overrides: Readonly<Record<string, string>> = {},
): FunctionSpec {
  const { stackName, logicalId, resource } = found;
  const props = resource.Properties ?? {};
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') throw new Error(`Function ${logicalId} has no aws:asset:path metadata.`);
  const codeDir = path.resolve(resolver.assembly.dir, assetPath);
  const handler = String(props.Handler ?? 'index.handler');
  const functionName = resolver.resource(stackName, logicalId).ref;
  const variables = resolver.resolve(
    (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
    stackName,
  ) as Record<string, string>;
  return {
    logicalId,
    functionName,
    codeDir,
    handler,
    timeoutSeconds: Number(props.Timeout ?? 3),
    memoryMb: Number(props.MemorySize ?? 128),
    ...(props.ReservedConcurrentExecutions !== undefined
      ? { reservedConcurrency: Number(props.ReservedConcurrentExecutions) }
      : {}),
    environment: {
      ...lambdaEnvironment(functionName, codeDir, handler, props, credentials),
      ...variables,
      ...overrides,
    },
  };
}

/** The same function with its bundle in another directory (a rebuilt bundle, in watch mode). */
export function withCodeDir(spec: FunctionSpec, codeDir: string): FunctionSpec {
  return { ...spec, codeDir, environment: { ...spec.environment, LAMBDA_TASK_ROOT: codeDir } };
}

/**
 * Whether two specs run the same code the same way. A bundle staged by CDK sits in a directory
 * named by its content's hash (`asset.<hash>`), so the same name in another cloud assembly is the
 * same code.
 */
export function sameFunction(a: FunctionSpec, b: FunctionSpec): boolean {
  const comparable = (spec: FunctionSpec) => {
    const name = path.basename(spec.codeDir);
    const code = name.startsWith('asset.') ? name : spec.codeDir;
    return JSON.stringify({
      ...spec,
      codeDir: code,
      environment: { ...spec.environment, LAMBDA_TASK_ROOT: code },
    });
  };
  return comparable(a) === comparable(b);
}
