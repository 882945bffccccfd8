import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newSigningKeySetValue } from '../../functions/accounts/signing-keys.ts';
import { useTable } from '../../functions/core/db.ts';
import { type LocalAdmin, localAdmin, seedAdmin, seedDemoData, seedOrderHistory } from '../demo/seed.ts';
import { jwtAuthorizer } from './apigateway/http/jwt-authorizer.ts';
import { type ApiServer, readApiDefinition, startApiServer } from './apigateway/http/server.ts';
import {
  type LocalWebSocketServer,
  readWebSocketApi,
  startWebSocketServer,
} from './apigateway/websocket/server.ts';
import {
  LOCAL_REGION,
  readCloudAssembly,
  resourcesOfType,
  TemplateResolver,
} from './cloudformation/template.ts';
import { type DynamoDbLocal, freePort, startDynamoDbLocal } from './dynamodb/launcher.ts';
import { ensureTable } from './dynamodb/table.ts';
import { type EventSourceMappings, startEventSourceMappings } from './dynamodb-streams/mapping-runner.ts';
import {
  functionSpecOf,
  LocalFunction,
  LocalRuntime,
  type RuntimeLimits,
  runtimeLimitsFromEnv,
} from './lambda/function.ts';
import { formatFunctionLog, type LogFormat } from './lambda/log-format.ts';
import {
  generateSecretValue,
  type LocalSecretsManager,
  startLocalSecretsManager,
} from './secretsmanager/index.ts';
import { type LocalSqs, startLocalSqs } from './sqs/index.ts';

/** Credentials the local functions get, as Lambda would hand them real ones. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local', sessionToken: 'local' };

export interface LocalBackendOptions {
  /** A synthesized cloud assembly (cdk.out) of the `local` environment. */
  readonly assemblyDir: string;
  /** Port for the API; 0 or omitted picks a free one. */
  readonly port?: number;
  /** Port for the WebSocket API; 0 or omitted picks a free one. */
  readonly webSocketPort?: number;
  /** Use a running DynamoDB (e.g. shared by a test run) instead of starting one. */
  readonly dynamodbEndpoint?: string;
  readonly dynamodbPort?: number;
  /** Port of the local Secrets Manager; a free one when omitted. */
  readonly secretsPort?: number;
  /** Port of the local SQS; a free one when omitted. */
  readonly sqsPort?: number;
  /** Keep DynamoDB Local's data (and generated secrets) in this directory; in memory when omitted. */
  readonly dataDir?: string;
  /** Prefix of local table names, so several backends can share one DynamoDB Local. */
  readonly tableNamePrefix?: string;
  /** Seed the demo catalog into tables this run created. */
  readonly seed?: boolean;
  /**
   * With `seed`, also demo customers with paid orders and the recommendations built from them
   * (`npm start`); tests leave it off so the catalog's stock stays as seeded.
   */
  readonly seedOrderHistory?: boolean;
  readonly log?: (line: string) => void;
  /**
   * How function log lines reach `log`: `json`, as the function wrote them (after its name), or
   * `pretty`, one readable (and, on a terminal, colourised) line each. Default `json`.
   */
  readonly logFormat?: LogFormat;
  /** Variables set on every function on top of the template's (like `sam local --env-vars`). */
  readonly environment?: Readonly<Record<string, string>>;
  /** Variables for one function (by logical id), on top of all others. */
  readonly functionEnvironment?: (logicalId: string) => Readonly<Record<string, string>>;
  /**
   * Concurrency, idle and init limits of the local Lambda service; defaults (account limit
   * 1,000, idle environments kept 5 minutes, init limit 10 s) and LOCAL_* variables otherwise.
   */
  readonly limits?: Partial<RuntimeLimits>;
  /** Run EventBridge schedules on their rate (default true); tests call `runSchedules()` instead. */
  readonly runSchedules?: boolean;
  /** The admin account to seed; from LOCAL_ADMIN_EMAIL / LOCAL_ADMIN_PASSWORD by default. */
  readonly admin?: LocalAdmin;
}

export interface LocalBackend {
  readonly url: string;
  /** The WebSocket API's URL (`ws://localhost:<port>/<stage>`), when the app has one. */
  readonly webSocketUrl?: string;
  readonly webSocket?: LocalWebSocketServer;
  /** The local SQS (dead-letter queues of stream consumers). */
  readonly sqs: LocalSqs;
  /** The event source mappings on the table's stream, run against DynamoDB Local's stream. */
  readonly streams: EventSourceMappings;
  readonly dynamodbEndpoint: string;
  /** The DynamoDB Local process this backend started (none when given an endpoint). */
  readonly dynamodbPid?: number;
  readonly secretsEndpoint: string;
  readonly tables: readonly { logicalId: string; name: string; created: boolean }[];
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly seeded?: {
    products: number;
    categories: number;
    admin: LocalAdmin;
    /** Demo customers' emails and their paid orders, when `seedOrderHistory` was asked. */
    history?: { customers: string[]; orders: number };
  };
  /** Adds or replaces a secret in the local Secrets Manager (e.g. a Stripe test key). */
  putSecret(arn: string, value: string): void;
  /** Runs every scheduled function once now, as its EventBridge rule would; returns their results. */
  runSchedules(): Promise<{ functionLogicalId: string; ok: boolean; result: unknown }[]>;
  stop(): Promise<void>;
}

/**
 * Runs the synthesized app on this machine like `sam local start-api`, but with the table,
 * secrets and JWT authorizer working: DynamoDB Local, tables created from the template,
 * secrets served by a local Secrets Manager, each function in its own execution environments.
 */
export async function startLocalBackend(options: LocalBackendOptions): Promise<LocalBackend> {
  const log = options.log ?? ((line: string) => console.log(line));
  const cleanup: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  try {
    const assembly = readCloudAssembly(options.assemblyDir);
    // The port is chosen first: the API's own URL is the token issuer baked into functions' env.
    const port = options.port || (await freePort());
    const webSocketPort = options.webSocketPort || (await freePort());
    const sqs = await startLocalSqs({ port: options.sqsPort, log });
    cleanup.push(() => sqs.stop());
    const apiEndpoint = `http://localhost:${port}`;
    const resolver = new TemplateResolver(assembly, {
      tableNamePrefix: options.tableNamePrefix ?? 'shop-local-',
      apiEndpoint,
      webSocketEndpoint: `ws://localhost:${webSocketPort}`,
      sqsEndpoint: sqs.endpoint,
    });

    let dynamodb: DynamoDbLocal | undefined;
    if (!options.dynamodbEndpoint) {
      if (options.dataDir && !existsSync(options.dataDir)) mkdirSync(options.dataDir, { recursive: true });
      dynamodb = await startDynamoDbLocal({
        port: options.dynamodbPort,
        dbPath: options.dataDir ? path.join(options.dataDir, 'dynamodb') : undefined,
      });
      cleanup.push(() => (dynamodb as DynamoDbLocal).stop());
    }
    const dynamodbEndpoint = options.dynamodbEndpoint ?? (dynamodb as DynamoDbLocal).endpoint;

    const secrets: LocalSecretsManager = await startLocalSecretsManager({
      persistFile: options.dataDir ? path.join(options.dataDir, 'secrets.json') : undefined,
      port: options.secretsPort,
    });
    cleanup.push(() => secrets.stop());
    // Custom resources are emulated by type: `Custom::SigningKeySet` fills its secret with an
    // RSA key set at deploy time, so here that secret starts out holding one.
    const keySetSecrets = new Set(
      resourcesOfType(assembly, 'Custom::SigningKeySet').map(({ stackName, resource }) =>
        resolver.resolveString(resource.Properties?.SecretId, stackName),
      ),
    );
    for (const { stackName, logicalId, resource } of resourcesOfType(
      assembly,
      'AWS::SecretsManager::Secret',
    )) {
      const generate = resource.Properties?.GenerateSecretString as { PasswordLength?: number } | undefined;
      const arn = resolver.resource(stackName, logicalId).ref;
      const value = keySetSecrets.has(arn)
        ? newSigningKeySetValue()
        : generateSecretValue(generate?.PasswordLength ?? 64);
      secrets.put({ arn, name: `${stackName}/${logicalId}`, value }, { keepPersisted: true });
    }

    const client = new DynamoDBClient({
      endpoint: dynamodbEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const tables = [];
    for (const { stackName, logicalId, resource } of resourcesOfType(assembly, 'AWS::DynamoDB::Table')) {
      const name = resolver.resource(stackName, logicalId).ref;
      tables.push({ logicalId, name, created: await ensureTable(client, resource, name) });
    }

    const specs = resourcesOfType(assembly, 'AWS::Lambda::Function').map((found) =>
      functionSpecOf(found, resolver, LOCAL_CREDENTIALS, {
        // Where the SDK finds the local stand-ins, through its standard variables.
        AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        AWS_ENDPOINT_URL_SQS: sqs.endpoint,
        ...options.environment,
        ...options.functionEnvironment?.(found.logicalId),
      }),
    );
    const httpApi = readApiDefinition(resolver);

    let seeded: LocalBackend['seeded'];
    const mainTable = tables[0];
    if (options.seed && mainTable?.created) {
      useTable(
        DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
        mainTable.name,
      );
      seeded = { ...(await seedDemoData()), admin: await seedAdmin(options.admin ?? localAdmin()) };
      if (options.seedOrderHistory) {
        // This process places the demo orders through the orders store, which reads its settings
        // from the environment: it gets the environment the function serving POST /orders has.
        const placing = httpApi.routes.find((route) => route.routeKey === 'POST /orders');
        const spec = specs.find((candidate) => candidate.logicalId === placing?.functionLogicalId);
        if (!spec) throw new Error('No function serves POST /orders: the demo orders cannot be placed.');
        seeded = { ...seeded, history: await seedOrderHistory(spec.environment) };
      }
    }

    const runtime = new LocalRuntime({ ...runtimeLimitsFromEnv(), ...options.limits });
    const functions = new Map<string, LocalFunction>();
    for (const spec of specs) {
      const { logicalId } = spec;
      const onLog =
        options.logFormat === 'pretty'
          ? (line: string) => log(formatFunctionLog(logicalId, line))
          : (line: string) => log(`  [${logicalId}] ${line}`);
      functions.set(logicalId, new LocalFunction(spec, { onLog, runtime }));
    }
    cleanup.push(async () => {
      await Promise.all([...functions.values()].map((fn) => fn.stop()));
    });

    const authorizers = new Map(
      resourcesOfType(assembly, 'AWS::ApiGatewayV2::Authorizer')
        // The WebSocket API's REQUEST authorizer is the WebSocket server's (websocket.ts).
        .filter(
          ({ resource }) =>
            (resource.Properties?.ApiId as { Ref?: string } | undefined)?.Ref === httpApi.apiId,
        )
        .map(({ stackName, logicalId, resource }) => {
          const jwt = resolver.resolve(resource.Properties?.JwtConfiguration ?? {}, stackName) as {
            Issuer?: string;
            Audience?: string[];
          };
          if (resource.Properties?.AuthorizerType !== 'JWT' || !jwt.Issuer) {
            throw new Error(
              `Authorizer ${logicalId} is not a JWT authorizer; the local runtime only emulates those.`,
            );
          }
          return [logicalId, jwtAuthorizer({ issuer: jwt.Issuer, audience: jwt.Audience ?? [] })];
        }),
    );
    const server: ApiServer = await startApiServer({
      api: httpApi,
      functions,
      port,
      log,
      authorize: async (route, headers) => {
        const authorize = route.authorizerId ? authorizers.get(route.authorizerId) : undefined;
        // A protected route whose authorizer is unknown is refused, never served open.
        return authorize ? authorize(route, headers) : { ok: false, status: 401 };
      },
    });
    cleanup.push(() => server.stop());

    const webSocketApi = readWebSocketApi(resolver);
    const webSocket = webSocketApi
      ? await startWebSocketServer({ api: webSocketApi, functions, port: webSocketPort, log })
      : undefined;
    if (webSocket) cleanup.push(() => webSocket.stop());

    // Queues first (consumers' dead-letter queues), then the mappings, which start reading the
    // table's stream where the template says (LATEST) or where the last run stopped.
    for (const { stackName, logicalId } of resourcesOfType(assembly, 'AWS::SQS::Queue')) {
      sqs.ensureQueue(resolver.resource(stackName, logicalId).attributes.QueueName as string);
    }
    const streams = await startEventSourceMappings({
      assembly,
      resolver,
      functions,
      dynamodbEndpoint,
      sqs,
      log,
      checkpointFile: options.dataDir ? path.join(options.dataDir, 'stream-checkpoints.json') : undefined,
    });
    cleanup.push(() => streams.stop());

    // EventBridge rules with a rate schedule, each targeting a function of the app.
    const schedules = resourcesOfType(assembly, 'AWS::Events::Rule').flatMap(({ logicalId, resource }) => {
      const expression = String(resource.Properties?.ScheduleExpression ?? '');
      const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
      if (!rate) return [];
      const unitMs = rate[2]?.startsWith('minute')
        ? 60_000
        : rate[2]?.startsWith('hour')
          ? 3_600_000
          : 86_400_000;
      const targets =
        (resource.Properties?.Targets as { Arn?: { 'Fn::GetAtt'?: [string, string] } }[] | undefined) ?? [];
      return targets.flatMap((target) => {
        const fn = functions.get(target.Arn?.['Fn::GetAtt']?.[0] ?? '');
        return fn ? [{ rule: logicalId, fn, everyMs: Number(rate[1]) * unitMs }] : [];
      });
    });
    type ScheduleTarget = (typeof schedules)[number];
    const runOne = async ({ rule, fn }: ScheduleTarget) => {
      const outcome = await fn.invoke({
        version: '0',
        id: randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '000000000000',
        time: new Date().toISOString(),
        region: LOCAL_REGION,
        resources: [`arn:aws:events:${LOCAL_REGION}:000000000000:rule/${rule}`],
        detail: {},
      });
      if (!outcome.ok) log(`  [${rule}] failed: ${outcome.error.errorMessage}`);
      return {
        functionLogicalId: fn.spec.logicalId,
        ok: outcome.ok,
        result: outcome.ok ? outcome.result : outcome.error,
      };
    };
    const runSchedules = () => Promise.all(schedules.map(runOne));
    if (options.runSchedules ?? true) {
      for (const schedule of schedules) {
        const timer = setInterval(() => void runOne(schedule).catch(() => undefined), schedule.everyMs);
        timer.unref();
        cleanup.push(async () => clearInterval(timer));
      }
    }

    return {
      url: server.url,
      webSocketUrl: webSocket?.url,
      webSocket,
      sqs,
      streams,
      runSchedules,
      putSecret: (arn: string, value: string) => secrets.put({ arn, name: arn, value }),
      dynamodbEndpoint,
      dynamodbPid: dynamodb?.pid,
      secretsEndpoint: secrets.endpoint,
      tables,
      functions,
      seeded,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
