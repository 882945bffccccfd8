import type { TemplateResolver } from '../cloudformation/template.ts';
import type { LocalFunction } from '../lambda/function.ts';
import { type FilterCriteria, validateFilterCriteria } from './event-filter.ts';

/** An `AWS::Lambda::EventSourceMapping` on a DynamoDB stream, as the template configures it. */
export interface MappingConfig {
  readonly stackName: string;
  readonly logicalId: string;
  readonly key: string;
  readonly functionLogicalId: string;
  readonly fn: LocalFunction;
  readonly functionArn: string;
  readonly tableName: string;
  readonly enabled: boolean;
  readonly startingPosition: 'LATEST' | 'TRIM_HORIZON';
  readonly batchSize: number;
  readonly windowMs: number;
  readonly filter: FilterCriteria | undefined;
  readonly reportBatchItemFailures: boolean;
  readonly bisect: boolean;
  readonly maxRetries: number;
  readonly maxRecordAgeMs: number | undefined;
  readonly destination: string | undefined;
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asBoolean = (value: unknown, fallback: boolean): boolean =>
  value === undefined ? fallback : value === true || value === 'true';

function asInteger(
  value: unknown,
  fallback: number,
  name: string,
  min: number,
  max: number,
  id: string,
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new Error(
      `Event source mapping ${id}: ${name} must be an integer from ${min} to ${max}, not ${String(value)}.`,
    );
  }
  return number;
}

/** What reading a mapping's configuration needs: the template and the app's functions. */
export interface MappingConfigContext {
  readonly resolver: TemplateResolver;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  /** `MaximumRetryAttempts: -1` (infinite) means this many retries locally (default 10). */
  readonly maxRetryAttemptsCap?: number;
}

/** The logical id of the function a mapping's `FunctionName` names. */
function functionLogicalIdOf(
  value: unknown,
  stackName: string,
  functions: ReadonlyMap<string, LocalFunction>,
  resolver: TemplateResolver,
): string | undefined {
  if (isObject(value) && typeof value.Ref === 'string') return value.Ref;
  const getAtt = isObject(value) ? value['Fn::GetAtt'] : undefined;
  if (Array.isArray(getAtt)) return String(getAtt[0]);
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  const name = resolver.resolve(value, stackName);
  if (typeof name !== 'string') return undefined;
  for (const [logicalId, fn] of functions) {
    const { functionName } = fn.spec;
    if (name === functionName || name === logicalId || name.endsWith(`:function:${functionName}`))
      return logicalId;
  }
  return undefined;
}

/** A mapping's configuration, checked as Lambda checks it; undefined for a source that is not a DynamoDB stream. */
export function mappingConfig(
  stackName: string,
  logicalId: string,
  props: Record<string, unknown>,
  options: MappingConfigContext,
  log: (line: string) => void,
): MappingConfig | undefined {
  const { resolver, functions } = options;
  const id = logicalId;
  const sourceArn = resolver.resolve(props.EventSourceArn, stackName);
  const table =
    typeof sourceArn === 'string'
      ? /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/([^/]+)\/stream\//.exec(sourceArn)
      : null;
  if (!table?.[1]) {
    log(`[${id}] event source ${String(sourceArn)} is not a DynamoDB stream; not emulated locally`);
    return undefined;
  }
  const functionLogicalId = functionLogicalIdOf(props.FunctionName, stackName, functions, resolver);
  const fn = functionLogicalId ? functions.get(functionLogicalId) : undefined;
  if (!functionLogicalId || !fn) {
    throw new Error(
      `Event source mapping ${id}: FunctionName ${JSON.stringify(props.FunctionName)} is not a function of the app.`,
    );
  }
  const tumbling = props.TumblingWindowInSeconds;
  if (tumbling !== undefined && Number(tumbling) !== 0) {
    throw new Error(
      `Event source mapping ${id}: TumblingWindowInSeconds is not supported by the local runtime.`,
    );
  }
  const startingPosition = props.StartingPosition;
  if (startingPosition !== 'LATEST' && startingPosition !== 'TRIM_HORIZON') {
    throw new Error(
      `Event source mapping ${id}: StartingPosition must be LATEST or TRIM_HORIZON for a DynamoDB stream, not ${String(startingPosition)}.`,
    );
  }
  const filter = resolver.resolve(props.FilterCriteria, stackName) as FilterCriteria | undefined;
  try {
    validateFilterCriteria(filter);
  } catch (error) {
    throw new Error(`Event source mapping ${id}: ${(error as Error).message}`);
  }
  const responseTypes = (props.FunctionResponseTypes as unknown[] | undefined) ?? [];
  const parallelization = Number(props.ParallelizationFactor ?? 1);
  if (parallelization > 1) {
    log(
      `[${id}] ParallelizationFactor ${parallelization} is run as 1 locally (one batch at a time per shard)`,
    );
  }
  let maxRetries = asInteger(props.MaximumRetryAttempts, -1, 'MaximumRetryAttempts', -1, 10_000, id);
  if (maxRetries === -1) {
    maxRetries = options.maxRetryAttemptsCap ?? 10;
    log(`[${id}] MaximumRetryAttempts -1 (infinite) is capped at ${maxRetries} retries locally`);
  }
  const maxAge = asInteger(props.MaximumRecordAgeInSeconds, -1, 'MaximumRecordAgeInSeconds', -1, 604_800, id);
  const destinationConfig = resolver.resolve(props.DestinationConfig, stackName) as
    | { OnFailure?: { Destination?: unknown } }
    | undefined;
  const destination = destinationConfig?.OnFailure?.Destination;
  return {
    stackName,
    logicalId,
    key: `${stackName}/${logicalId}`,
    functionLogicalId,
    fn,
    functionArn: resolver.resource(stackName, functionLogicalId).attributes.Arn ?? fn.spec.functionName,
    tableName: table[1],
    enabled: asBoolean(props.Enabled, true),
    startingPosition,
    batchSize: asInteger(props.BatchSize, 100, 'BatchSize', 1, 10_000, id),
    windowMs:
      asInteger(props.MaximumBatchingWindowInSeconds, 0, 'MaximumBatchingWindowInSeconds', 0, 300, id) * 1000,
    filter,
    reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
    bisect: asBoolean(props.BisectBatchOnFunctionError, false),
    maxRetries,
    maxRecordAgeMs: maxAge === -1 ? undefined : maxAge * 1000,
    destination: typeof destination === 'string' ? destination : undefined,
  };
}
