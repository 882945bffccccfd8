import path from 'node:path';
import { CfnResource, Duration, Stack } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import {
  type ICommandHooks,
  LogLevel,
  NodejsFunction,
  OutputFormat,
  SourceMapMode,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { CfnLogGroup, LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { functionId } from '../api/function-id.ts';
import { type EnvironmentConfig, metricsNamespace } from '../config/environments.ts';
import { FUNCTION_MEMORY_MB } from '../config/function-memory.ts';
import { notifyingAlarm, RUNBOOK_SECTIONS } from './alarms.ts';

/**
 * What a read-only function may do to the table: point reads and Queries. No Scan (no request
 * path may scan), no stream reads, no DescribeTable. TransactGetItems is authorized by GetItem.
 */
export const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'] as const;
/**
 * What a read-write function may do on top of reading. TransactWriteItems is authorized per
 * item by these same actions (ConditionCheckItem for its condition-only parts).
 */
export const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
] as const;

const DEFAULT_TIMEOUT = Duration.seconds(10);

/** Prepended to every bundle: some CJS dependencies call require() for Node built-ins. */
export const FUNCTION_BANNER =
  "import{createRequire as __shopCreateRequire}from'node:module';const require=__shopCreateRequire(import.meta.url);";

/** Bundling hooks that copy files into the bundle's directory (by base name) after esbuild ran. */
function copyFiles(files: readonly string[]): ICommandHooks {
  const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) =>
      files.map(
        (file) =>
          `cp ${quote(path.join(PROJECT_ROOT, file))} ${quote(path.join(outputDir, path.basename(file)))}`,
      ),
  };
}

/**
 * Modules swapped for others in every bundle (esbuild `--alias`, paths relative to the project
 * root, where esbuild runs). The SDK's default credential chain becomes its first link, the
 * environment Lambda sets: see functions/core/aws-credentials.ts.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './functions/core/aws-credentials.ts',
};

/** Template metadata key holding a function's handler source (the bench reads it). */
export const ENTRY_METADATA = 'shop:entry';

/** The repository root: handler entries in the route table are relative to it. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * Constants esbuild writes into a function's bundle. `SHOP_TRACED_CALLS` decides at build time
 * whether functions/core/tracing.ts bundles the Tracer (X-Ray SDK), so that a function without
 * traced calls carries none of it.
 */
export function bundleDefines(tracedCalls: boolean): Record<string, string> {
  return { 'process.env.SHOP_TRACED_CALLS': JSON.stringify(String(tracedCalls)) };
}

export interface EndpointFunctionProps {
  /** Handler source relative to the repo root; the export is `handler`. */
  readonly entry: string;
  readonly config: EnvironmentConfig;
  readonly timeout?: Duration;
  /** Overrides the tuned memory of lib/config/function-memory.ts and the environment's default. */
  readonly memoryMb?: number;
  readonly environment?: Record<string, string>;
  /** Files (relative to the repo root) copied next to the bundle, for the function to read at run time. */
  readonly files?: readonly string[];
  /**
   * The function calls the payment provider: where the environment's `observability.tracedCalls`
   * is `provider`, it bundles the Tracer so its DynamoDB and HTTPS calls show in X-Ray.
   */
  readonly callsPaymentProvider?: boolean;
  /** The function's short name in metrics (`function_name` of ColdStart) and alarm names; the entry's id by default. */
  readonly metricsName?: string;
  /**
   * The environment's alarm topic: errors, throttles and durations near the timeout alarm there.
   * Without it the function has no alarms until `addAlarms` gives them a home (another stack).
   */
  readonly alarmTopic?: ITopic;
}

/**
 * One Lambda function behind one route, with the house defaults: Node.js 24 on arm64, a
 * minified tree-shaken ESM bundle with source maps, its own log group with retention, a role
 * that can write only to that log group, and no table access until `bindTable` grants it.
 */
export class EndpointFunction extends Construct {
  readonly function: NodejsFunction;
  /** The function's own log group (its role may write only here). */
  readonly logGroup: LogGroup;
  readonly role: Role;
  /** The function's own alarms (none without an alarm topic). */
  readonly alarms: Alarm[] = [];
  private readonly config: EnvironmentConfig;
  private readonly metricsName: string;
  private readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: EndpointFunctionProps) {
    super(scope, id);
    const { config } = props;
    const tracedCalls = config.observability.tracedCalls;
    const traceCalls =
      tracedCalls === 'all' || (tracedCalls === 'provider' && props.callsPaymentProvider === true);
    const metricsName = props.metricsName ?? functionId(props.entry);
    this.config = config;
    this.metricsName = metricsName;
    this.timeout = props.timeout ?? DEFAULT_TIMEOUT;
    const logGroup = new LogGroup(this, 'Logs', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    this.logGroup = logGroup;
    // A role of our own instead of AWSLambdaBasicExecutionRole: that managed policy may
    // create and write any log group in the account; this one writes to one.
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    this.role = role;
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:log-stream:*`],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb ?? FUNCTION_MEMORY_MB[props.entry] ?? config.functionMemoryMb,
      timeout: props.timeout ?? DEFAULT_TIMEOUT,
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      // Lambda drops JSON lines below its application log level (INFO unless set): it must let
      // through what the logger writes (DEBUG in dev), and its own lines follow suit.
      applicationLogLevelV2: ApplicationLogLevel[config.logLevel],
      systemLogLevelV2: config.logLevel === 'ERROR' ? SystemLogLevel.WARN : SystemLogLevel[config.logLevel],
      tracing: config.observability.lambdaTracing ? Tracing.ACTIVE : Tracing.DISABLED,
      environment: {
        POWERTOOLS_SERVICE_NAME: `shop-${path.basename(props.entry, '.ts')}`,
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(config),
        POWERTOOLS_METRICS_FUNCTION_NAME: metricsName,
        ...(config.observability.metrics ? {} : { POWERTOOLS_METRICS_DISABLED: 'true' }),
        // Also a constant in the bundle (bundleDefines); here so the template says it.
        SHOP_TRACED_CALLS: String(traceCalls),
        SHOP_ENV: config.name,
        // No NODE_OPTIONS=--enable-source-maps: parsing the map costs about a fifth of the cold
        // import. The map ships beside the bundle and is read only when a stack is rendered
        // (functions/core/stack-traces.ts).
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        logLevel: LogLevel.WARNING,
        sourceMap: true,
        // Maps without embedded sources still point stack traces at file:line, and Node
        // parses a third of the bytes at cold start (measured by npm run bench).
        sourcesContent: false,
        sourceMapMode: SourceMapMode.DEFAULT,
        // ESM entry points of the SDK tree-shake far better than its CJS builds.
        mainFields: ['module', 'main'],
        // Bundle the SDK rather than use the runtime's copy: pinned versions, smaller init.
        externalModules: [],
        banner: FUNCTION_BANNER,
        ...(props.files?.length ? { commandHooks: copyFiles(props.files) } : {}),
        define: bundleDefines(traceCalls),
        esbuildArgs: Object.fromEntries(
          Object.entries(BUNDLE_ALIASES).map(([module, replacement]) => [`--alias:${module}`, replacement]),
        ),
      },
    });
    const resource = this.function.node.defaultChild;
    if (resource instanceof CfnResource) resource.addMetadata(ENTRY_METADATA, props.entry);
    if (props.alarmTopic) this.addAlarms(props.alarmTopic);
  }

  /**
   * Errors (a crash, a timeout, a failed init: handled errors are answers, not errors), throttles
   * (concurrency exhausted) and a maximum duration near the timeout (the next slow call times
   * out), each over 5 minutes. `scope` is where they are created: the function's own construct,
   * or a construct in another stack when the function's stack nears CloudFormation's 500
   * resources (the HTTP API's stack: three alarms per function would take it past).
   */
  addAlarms(topic: ITopic, scope: Construct = this): void {
    const { config, metricsName: name, timeout } = this;
    const fn = this.function;
    const common = { config, topic, evaluationPeriods: 1 } as const;
    const period = Duration.minutes(5);
    this.alarms.push(
      notifyingAlarm(scope, 'ErrorsAlarm', {
        ...common,
        name: `fn-${name}-errors`,
        description: `${name} failed invocations (crash, timeout or init failure).`,
        runbookSection: RUNBOOK_SECTIONS.functionErrors,
        metric: fn.metricErrors({ period, statistic: 'Sum' }),
        threshold: 0,
      }),
      notifyingAlarm(scope, 'ThrottlesAlarm', {
        ...common,
        name: `fn-${name}-throttles`,
        description: `${name} invocations were throttled: its concurrency ran out.`,
        runbookSection: RUNBOOK_SECTIONS.functionThrottles,
        metric: fn.metricThrottles({ period, statistic: 'Sum' }),
        threshold: 0,
      }),
      notifyingAlarm(scope, 'DurationAlarm', {
        ...common,
        name: `fn-${name}-duration`,
        description: `${name} ran close to its ${timeout.toSeconds()} s timeout.`,
        runbookSection: RUNBOOK_SECTIONS.functionDuration,
        metric: fn.metricDuration({ period, statistic: 'Maximum' }),
        threshold: Math.round(timeout.toMilliseconds() * config.alarms.durationShareOfTimeout),
      }),
    );
  }

  /**
   * Grants least-privilege table access and passes the table name. Reads may use the table
   * and the named indexes (ARNs spelled out, no `index/*` wildcard); writes go to the table
   * only, since indexes are not writable.
   */
  bindTable(table: ITable, access: 'read' | 'readwrite', indexNames: readonly string[]): void {
    this.function.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...TABLE_READ_ACTIONS],
        resources: [table.tableArn, ...indexNames.map((index) => `${table.tableArn}/index/${index}`)],
      }),
    );
    if (access === 'readwrite') {
      this.function.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: [...TABLE_WRITE_ACTIONS],
          resources: [table.tableArn],
        }),
      );
    }
    // Only a customer-managed key needs a grant; the default AWS-owned key needs none.
    if (access === 'read') table.encryptionKey?.grantDecrypt(this.function);
    else table.encryptionKey?.grantEncryptDecrypt(this.function);
    this.function.addEnvironment('TABLE_NAME', table.tableName);
  }

  /** Grants read access to a secret and passes its ARN in the given variable. */
  bindSecret(secret: ISecret, variable: string): void {
    secret.grantRead(this.function);
    this.function.addEnvironment(variable, secret.secretArn);
  }

  /** The logical id of the log group in its stack's template (cdk-nag names findings by it). */
  get logGroupLogicalId(): string {
    const resource = this.logGroup.node.defaultChild;
    if (!(resource instanceof CfnLogGroup))
      throw new Error(`${this.node.path}: the log group has no CfnLogGroup.`);
    return Stack.of(this).getLogicalId(resource);
  }
}
