import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readApiDefinition } from './apigateway/http/definition.ts';
import { type LocalApiGateway, startApiGateway } from './apigateway/index.ts';
import type { LocalWebSocketServer } from './apigateway/websocket/server.ts';
import { type CustomResourceEmulator, emulateCustomResources } from './cloudformation/custom-resources.ts';
import { reloadTemplate, type TemplateReload } from './cloudformation/reload.ts';
import { readCloudAssembly, TemplateResolver } from './cloudformation/template.ts';
import { type LocalDynamoDb, startDynamoDb } from './dynamodb/index.ts';
import type { DynamoDbLocal } from './dynamodb/launcher.ts';
import type { LocalTable, TableAhead } from './dynamodb/table.ts';
import { type EventSourceMappings, startEventSourceMappings } from './dynamodb-streams/index.ts';
import { type LocalSchedules, startSchedules } from './eventbridge/index.ts';
import type { LocalFunction } from './lambda/function.ts';
import { startLocalLambda } from './lambda/index.ts';
import type { RuntimeLimits } from './lambda/limits.ts';
import { type LogFormat, localLogOutput } from './log.ts';
import { freePort } from './net.ts';
import { ensureTemplateBuckets, type LocalS3, startLocalS3 } from './s3/index.ts';
import { NotificationDispatcher, readNotificationTargets } from './s3/notifications.ts';
import { putTemplateSecrets, startLocalSecretsManager } from './secretsmanager/index.ts';
import { ServiceStack } from './services.ts';
import { type LocalSes, startLocalSes } from './ses/index.ts';
import { ensureTemplateQueues, type LocalSqs, startLocalSqs } from './sqs/index.ts';

/** What a backend hands the `onTablesCreated` hook: the new tables, and how to run code as a function would. */
export interface TablesCreatedContext {
  /** The template's tables; `created` tells which this run created. */
  readonly tables: readonly LocalTable[];
  /** A client of the backend's DynamoDB. */
  readonly dynamodb: DynamoDBClient;
  /** The environment the function serving an HTTP API route (`POST /orders`) runs with, if any serves it. */
  environmentOfRoute(routeKey: string): Readonly<Record<string, string>> | undefined;
}

export interface LocalBackendOptions<Seed = unknown> {
  /** A synthesized cloud assembly (cdk.out) of the `local` environment. */
  readonly assemblyDir: string;
  /** Port for the API; 0 or omitted picks a free one. */
  readonly port?: number;
  /** Port for the WebSocket API; 0 or omitted picks a free one. */
  readonly webSocketPort?: number;
  /**
   * The interface the HTTP and WebSocket APIs listen on: `127.0.0.1` by default; `0.0.0.0`
   * lets other machines on the network (a phone) reach them. The other services stay on loopback.
   */
  readonly host?: string;
  /** Origins CORS allows on top of the template's `CorsConfiguration`, for local front ends. */
  readonly extraCorsOrigins?: readonly string[];
  /** Use a running DynamoDB (e.g. shared by a test run) instead of starting one. */
  readonly dynamodbEndpoint?: string;
  readonly dynamodbPort?: number;
  /**
   * DynamoDB Local already starting (`startDynamoDbLocal`, on `dataDir`'s `dynamodb` folder),
   * e.g. while the app synthesizes: the backend uses it and stops it with the rest.
   */
  readonly dynamodbStarted?: Promise<DynamoDbLocal>;
  /**
   * Tables the caller created in that DynamoDB before the template existed (from the app's own
   * definition, to seed them while the app synthesizes): checked against the template, which
   * fails the start on any difference, and reported as created by this run.
   */
  readonly tablesAhead?: readonly TableAhead[];
  /** Port of the local Secrets Manager; a free one when omitted. */
  readonly secretsPort?: number;
  /** Port of the local SQS; a free one when omitted. */
  readonly sqsPort?: number;
  /** Port of the local S3; a free one when omitted. */
  readonly s3Port?: number;
  /** Port of the local SES (the mail catcher and its inbox); a free one when omitted. */
  readonly sesPort?: number;
  /** Keep DynamoDB Local's data (and generated secrets) in this directory; in memory when omitted. */
  readonly dataDir?: string;
  /** Prefix of local table names, so several backends can share one DynamoDB Local. */
  readonly tableNamePrefix?: string;
  /**
   * Runs once when this run created a table, before any request is served and before stream
   * consumers start reading (they start at the stream's end): the app's seeding. What it
   * answers is the backend's `seeded`.
   */
  readonly onTablesCreated?: (context: TablesCreatedContext) => Promise<Seed>;
  /** Emulators of the app's custom resource types (what their providers do at deploy). */
  readonly customResources?: Readonly<Record<string, CustomResourceEmulator>>;
  /** Where every line goes (the emulator's and the functions'); stdout by default. */
  readonly log?: (line: string) => void;
  /**
   * How lines reach `log`: `raw` (default; function lines as written, after their logical id),
   * `pretty` (timed, one readable, colourised line each) or `json` (every line a JSON object).
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
}

export interface LocalBackend<Seed = unknown> {
  readonly url: string;
  /** The WebSocket API's URL (`ws://localhost:<port>/<stage>`), when the app has one. */
  readonly webSocketUrl?: string;
  readonly webSocket?: LocalWebSocketServer;
  /** The local SQS (dead-letter queues of stream consumers). */
  readonly sqs: LocalSqs;
  /** The local S3 (the template's buckets; uploads notify their functions). */
  readonly s3: LocalS3;
  /** Resolves once every S3 notification fired so far has been handled (retries included). */
  s3NotificationsSettled(): Promise<void>;
  /** The local SES: what functions send lands in its inbox (`inboxUrl`, `emails()`). */
  readonly ses: LocalSes;
  /** The event source mappings on the table's stream, run against DynamoDB Local's stream. */
  readonly streams: EventSourceMappings;
  readonly dynamodbEndpoint: string;
  /** The DynamoDB Local process this backend started (none when given an endpoint). */
  readonly dynamodbPid?: number;
  readonly secretsEndpoint: string;
  readonly tables: readonly LocalTable[];
  readonly functions: ReadonlyMap<string, LocalFunction>;
  /** What `onTablesCreated` answered, when this run created tables. */
  readonly seeded?: Seed;
  /** How long each step of the start took, in ms (DynamoDB Local and the tables, the seeding, ...). */
  readonly startupMs: Readonly<Record<string, number>>;
  /** Adds or replaces a secret in the local Secrets Manager (e.g. a Stripe test key). */
  putSecret(arn: string, value: string): void;
  /** Runs every scheduled function once now, as its EventBridge rule would; returns their results. */
  runSchedules: LocalSchedules['runSchedules'];
  /**
   * Serves a function's rebuilt bundle from `codeDir` (watch mode): requests in flight finish on
   * the old code, later ones start on the new; resolves once the old environments are gone.
   */
  replaceFunctionCode(logicalId: string, codeDir: string): Promise<void>;
  /**
   * Applies a new synthesis of the app in `assemblyDir` (watch mode): functions added, removed
   * or changed, and the HTTP API's routes; untouched functions stay warm. Tables, queues,
   * secrets, stream mappings, schedules and the WebSocket API apply on the next start (listed
   * in `needsRestart`).
   */
  reload(assemblyDir: string): TemplateReload;
  stop(): Promise<void>;
}

/** What local table names start with unless `tableNamePrefix` says otherwise. */
export const DEFAULT_TABLE_NAME_PREFIX = 'shop-local-';

/** Runs the app's `onTablesCreated` hook when this run created a table; its answer, else undefined. */
async function seedNewTables<Seed>(
  hook: LocalBackendOptions<Seed>['onTablesCreated'],
  dynamodb: LocalDynamoDb,
  resolver: TemplateResolver,
  functions: ReadonlyMap<string, LocalFunction>,
): Promise<Seed | undefined> {
  if (!hook || !dynamodb.tables.some((table) => table.created)) return undefined;
  return hook({
    tables: dynamodb.tables,
    dynamodb: dynamodb.client,
    environmentOfRoute: (routeKey) => {
      const route = readApiDefinition(resolver).routes.find((r) => r.routeKey === routeKey);
      return route ? functions.get(route.functionLogicalId)?.spec.environment : undefined;
    },
  });
}

/**
 * Runs the synthesized app on this machine like `sam local start-api`, but with the table,
 * secrets, streams and authorizers working. The composition root: each AWS service is started
 * from its own folder, in the order they need each other (SQS and the chosen ports before the
 * template resolves; DynamoDB, Secrets Manager and their variables before the functions; the
 * app's seeding before the APIs serve and the stream consumers start), and stopped in reverse.
 */
export async function startLocalBackend<Seed = unknown>(
  options: LocalBackendOptions<Seed>,
): Promise<LocalBackend<Seed>> {
  const output = localLogOutput(options.log ?? ((line: string) => console.log(line)), options.logFormat);
  const log = output.emulator;
  const services = new ServiceStack();
  const startupMs: Record<string, number> = {};
  let stepStarted = performance.now();
  /** Closes a step of the start: its time goes into `startupMs`. */
  const stepDone = (name: string) => {
    const now = performance.now();
    startupMs[name] = Math.round(now - stepStarted);
    stepStarted = now;
  };
  try {
    const assembly = readCloudAssembly(options.assemblyDir);
    // The port is chosen first: the API's own URL is the token issuer baked into functions' env.
    const port = options.port || (await freePort());
    const webSocketPort = options.webSocketPort || (await freePort());
    const { dataDir } = options;
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const sqs = await services.add(startLocalSqs({ port: options.sqsPort, log }));
    const s3 = await services.add(
      startLocalS3({ port: options.s3Port, persistDir: dataDir ? path.join(dataDir, 's3') : undefined, log }),
    );
    const resolver = new TemplateResolver(assembly, {
      tableNamePrefix: options.tableNamePrefix ?? DEFAULT_TABLE_NAME_PREFIX,
      apiEndpoint: `http://localhost:${port}`,
      webSocketEndpoint: `ws://localhost:${webSocketPort}`,
      sqsEndpoint: sqs.endpoint,
      s3Endpoint: s3.endpoint,
    });
    ensureTemplateQueues(sqs, resolver);
    ensureTemplateBuckets(s3, resolver);
    stepDone('sqs');
    const dynamodb = await services.add(
      startDynamoDb({
        resolver,
        endpoint: options.dynamodbEndpoint,
        port: options.dynamodbPort,
        dataDir,
        started: options.dynamodbStarted,
        tablesAhead: options.tablesAhead,
      }),
    );
    stepDone('dynamodb');
    const secrets = await services.add(
      startLocalSecretsManager({
        persistFile: dataDir ? path.join(dataDir, 'secrets.json') : undefined,
        port: options.secretsPort,
      }),
    );
    putTemplateSecrets(
      secrets,
      resolver,
      emulateCustomResources(resolver, options.customResources).secretValues,
    );
    const ses = await services.add(startLocalSes({ port: options.sesPort }));
    const lambda = await services.add(
      startLocalLambda({
        resolver,
        environment: { ...services.functionEnvironment, ...options.environment },
        functionEnvironment: options.functionEnvironment,
        limits: options.limits,
        functionLog: output.fromFunction,
      }),
    );
    const { functions } = lambda;
    stepDone('secretsAndFunctions');
    // Uploads notify their functions from here on (the app's seeding may upload).
    const notifications = new NotificationDispatcher(readNotificationTargets(resolver, functions), sqs, log);
    s3.onEvent((event) => notifications.dispatch(event));
    const seeded = await seedNewTables(options.onTablesCreated, dynamodb, resolver, functions);
    stepDone('seeding');
    const api: LocalApiGateway = await services.add(
      startApiGateway({
        resolver,
        functions,
        port,
        webSocketPort,
        host: options.host,
        extraCorsOrigins: options.extraCorsOrigins,
        log,
      }),
    );
    // The mappings start reading the table's stream where the template says (LATEST) or where
    // the last run stopped; on-failure records go to the local SQS.
    const streams = await services.add(
      startEventSourceMappings({
        assembly,
        resolver,
        functions,
        dynamodbEndpoint: dynamodb.endpoint,
        sqs,
        log,
        checkpointFile: dataDir ? path.join(dataDir, 'stream-checkpoints.json') : undefined,
      }),
    );
    const schedules = await services.add(
      startSchedules({ assembly, functions, log, run: options.runSchedules ?? true }),
    );
    stepDone('apisStreamsSchedules');
    let current = resolver;
    return {
      url: api.url,
      webSocketUrl: api.webSocketUrl,
      webSocket: api.webSocket,
      sqs,
      s3,
      s3NotificationsSettled: () => notifications.settled(),
      ses,
      streams,
      runSchedules: schedules.runSchedules,
      putSecret: (arn: string, value: string) => secrets.put({ arn, name: arn, value }),
      dynamodbEndpoint: dynamodb.endpoint,
      dynamodbPid: dynamodb.pid,
      secretsEndpoint: secrets.endpoint,
      tables: dynamodb.tables,
      functions,
      seeded,
      startupMs,
      replaceFunctionCode: (logicalId, codeDir) => lambda.replaceCode(logicalId, codeDir),
      reload: (assemblyDir) => {
        const next = reloadTemplate(current, assemblyDir, { functions: lambda, api });
        current = next.resolver;
        return next.reload;
      },
      stop: () => services.stop(),
    };
  } catch (error) {
    await services.stop();
    throw error;
  }
}
