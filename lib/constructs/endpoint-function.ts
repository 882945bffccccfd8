import path from 'node:path';
import { CfnResource, Duration, Stack } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup, LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type EnvironmentConfig, metricsNamespace } from '../config/environments.ts';
import { FUNCTION_MEMORY_MB } from '../config/function-memory.ts';
import { notifyingAlarm, RUNBOOK_SECTIONS } from './alarms.ts';
import { bundleDefines, FunctionBundler } from './function-bundler.ts';

/** The repository root (where the bundler lives; many tools import it from here). */
export { PROJECT_ROOT } from './function-bundler.ts';

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

/** Template metadata key holding a function's handler source (the bench reads it). */
export const ENTRY_METADATA = 'shop:entry';
/** Template metadata key holding a function's stable id (the route table's `id`). */
export const FUNCTION_ID_METADATA = 'shop:function-id';

export interface EndpointFunctionProps {
  /**
   * The function's stable id (the route table's `id`): its name in metrics (`function_name` of
   * ColdStart) and alarm names, and its key in lib/config/function-memory.ts. The construct id
   * by default.
   */
  readonly functionId?: string;
  /** Handler source relative to the repo root; the export is `handler`. */
  readonly entry: string;
  readonly config: EnvironmentConfig;
  readonly timeout?: Duration;
  /** Overrides the tuned memory of lib/config/function-memory.ts and the environment's default. */
  readonly memoryMb?: number;
  readonly environment?: Record<string, string>;
  /**
   * Files (relative to the repo root, or absolute: documents written at synthesis) copied next
   * to the bundle, for the function to read at run time.
   */
  readonly files?: readonly string[];
  /**
   * The function calls the payment provider: where the environment's `observability.tracedCalls`
   * is `provider`, it bundles the X-Ray recorder (functions/core/xray.ts) so its DynamoDB and
   * HTTPS calls show in X-Ray.
   */
  readonly callsPaymentProvider?: boolean;
  /**
   * The environment's alarm topic: errors, throttles and durations near the timeout alarm there.
   * Without it the function has no alarms until `addAlarms` gives them a home (another stack).
   */
  readonly alarmTopic?: ITopic;
  /**
   * Packages with native binaries the function imports (`sharp`): shipped in its asset for
   * Lambda's linux-arm64, or for this machine in the `local` environment (the local runtime
   * runs bundles here). See lib/constructs/native-modules.ts.
   */
  readonly nativeModules?: readonly string[];
}

/**
 * One Lambda function behind one route, with the house defaults: Node.js 24 on arm64, a
 * minified tree-shaken ESM bundle with source maps (built with the app's other functions by
 * the {@link FunctionBundler}), its own log group with retention, a role
 * that can write only to that log group, and no table access until `bindTable` grants it.
 */
export class EndpointFunction extends Construct {
  readonly function: LambdaFunction;
  /** The function's own log group (its role may write only here). */
  readonly logGroup: LogGroup;
  readonly role: Role;
  /** The function's own alarms (none without an alarm topic). */
  readonly alarms: Alarm[] = [];
  private readonly config: EnvironmentConfig;
  /** The function's stable id (metrics, alarms, memory tuning). */
  readonly functionId: string;
  private readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: EndpointFunctionProps) {
    super(scope, id);
    const { config } = props;
    const tracedCalls = config.observability.tracedCalls;
    const traceCalls =
      tracedCalls === 'all' || (tracedCalls === 'provider' && props.callsPaymentProvider === true);
    const functionId = props.functionId ?? id;
    this.config = config;
    this.functionId = functionId;
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
    this.function = new LambdaFunction(this, 'Function', {
      // Built with every other function of the app in one esbuild build (function-bundler.ts):
      // a minified ESM bundle, its source map beside it, the `files` copied next to them.
      code: FunctionBundler.of(this).code({
        entry: props.entry,
        define: bundleDefines(traceCalls),
        files: props.files ?? [],
        ...(props.nativeModules
          ? { nativeModules: props.nativeModules, platform: config.name === 'local' ? 'host' : 'linux-arm64' }
          : {}),
      }),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb ?? FUNCTION_MEMORY_MB[functionId] ?? config.functionMemoryMb,
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
        POWERTOOLS_METRICS_FUNCTION_NAME: functionId,
        ...(config.observability.metrics ? {} : { POWERTOOLS_METRICS_DISABLED: 'true' }),
        // Also a constant in the bundle (bundleDefines); here so the template says it.
        SHOP_TRACED_CALLS: String(traceCalls),
        SHOP_ENV: config.name,
        // No NODE_OPTIONS=--enable-source-maps: parsing the map costs about a fifth of the cold
        // import. The map ships beside the bundle and is read only when a stack is rendered
        // (functions/core/stack-traces.ts).
        ...props.environment,
      },
    });
    const resource = this.function.node.defaultChild;
    if (resource instanceof CfnResource) {
      resource.addMetadata(ENTRY_METADATA, props.entry);
      resource.addMetadata(FUNCTION_ID_METADATA, functionId);
    }
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
    const { config, functionId: name, timeout } = this;
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
