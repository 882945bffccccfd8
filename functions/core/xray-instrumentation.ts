import { subscribe } from 'node:diagnostics_channel';
import type middy from '@middy/core';
import { declareEnv, whenSet } from './config.ts';
import {
  causeOf,
  type OpenSubsegment,
  parseDaemonAddress,
  type SubsegmentFields,
  statusFlags,
  XRayRecorder,
} from './xray.ts';

/*
 * What a traced function records, with the recorder of xray.ts: the handler's subsegment
 * (`## index.handler`, annotated with ColdStart and Service as the Powertools Tracer did), one
 * subsegment per AWS SDK call (DynamoDB, Secrets Manager) and one per outgoing fetch (the
 * payment provider's API), each with its HTTP status and X-Ray's error/throttle/fault flags.
 * Bundled only into the functions whose calls are traced (functions/core/tracing.ts).
 */

const DAEMON_ADDRESS = 'AWS_XRAY_DAEMON_ADDRESS';
declareEnv(
  DAEMON_ADDRESS,
  (value) => (parseDaemonAddress(value) ? undefined : 'expected host:port or "udp:host:port tcp:host:port"'),
  whenSet(DAEMON_ADDRESS),
);

/** The trace header of the invocation in flight, where the Lambda runtime keeps it. */
function lambdaTraceHeader(): string | undefined {
  const store = (globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId(): string | undefined } } })
    .awslambda?.InvokeStore;
  return store?.getXRayTraceId() ?? process.env._X_AMZN_TRACE_ID;
}

/** An AWS SDK v3 client, as far as adding a middleware to it goes. */
interface AwsClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: { request?: unknown }) => Promise<{ output?: { $metadata?: AwsMetadata } }>,
        context: { clientName?: string; commandName?: string },
      ) => (args: { request?: unknown }) => Promise<{ output?: { $metadata?: AwsMetadata } }>,
      options: { step: 'build'; name: string; override: boolean },
    ): void;
  };
}

interface AwsMetadata {
  readonly httpStatusCode?: number;
  readonly requestId?: string;
  readonly attempts?: number;
}

const isAwsClient = (client: unknown): client is AwsClient =>
  typeof (client as Partial<AwsClient> | null)?.middlewareStack?.add === 'function';

/** `DynamoDBClient` + `GetItemCommand` -> `DynamoDB`, `GetItem`. */
const strip = (name: string | undefined, suffix: string) =>
  name?.endsWith(suffix) ? name.slice(0, -suffix.length) : (name ?? 'unknown');

/** The `aws` and `http` fields of an SDK call's subsegment, from the response's or the error's metadata. */
function awsFields(operation: string, metadata: AwsMetadata | undefined): SubsegmentFields {
  return {
    aws: {
      operation,
      region: process.env.AWS_REGION,
      request_id: metadata?.requestId,
      retries: metadata?.attempts === undefined ? undefined : metadata.attempts - 1,
    },
    ...(metadata?.httpStatusCode ? { http: { response: { status: metadata.httpStatusCode } } } : {}),
    ...statusFlags(metadata?.httpStatusCode),
  };
}

/** Adds a subsegment per call to an AWS SDK v3 client, and passes the trace on to the service. */
function traceAwsClient(recorder: XRayRecorder, client: AwsClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const service = strip(context.clientName, 'Client');
      const operation = strip(context.commandName, 'Command');
      const subsegment = recorder.open(service, { namespace: 'aws' });
      if (!subsegment) return next(args);
      const request = args.request as { headers?: Record<string, string> } | undefined;
      if (request?.headers) request.headers['X-Amzn-Trace-Id'] = XRayRecorder.downstreamHeader(subsegment);
      try {
        const result = await next(args);
        await subsegment.end(awsFields(operation, result.output?.$metadata));
        return result;
      } catch (error) {
        const metadata = (error as { $metadata?: AwsMetadata }).$metadata;
        await subsegment.end({ ...awsFields(operation, metadata), cause: causeOf(error, true) });
        throw error;
      }
    },
    { step: 'build', name: 'shopXRayTracing', override: true },
  );
}

/** What undici publishes on its diagnostics channels (Node's own fetch). */
interface UndiciRequest {
  readonly origin?: string | URL;
  readonly path?: string;
  readonly method?: string;
}

/** Adds a subsegment per outgoing fetch of a traced invocation (the payment provider's calls). */
function traceFetch(recorder: XRayRecorder): void {
  const open = new WeakMap<UndiciRequest, OpenSubsegment>();
  const take = (request: UndiciRequest) => {
    const subsegment = open.get(request);
    open.delete(request);
    return subsegment;
  };
  subscribe('undici:request:create', (message) => {
    const { request } = message as { request: UndiciRequest };
    if (!request.origin || request.method === 'CONNECT') return;
    const url = new URL(request.path ?? '/', request.origin);
    const subsegment = recorder.open(url.hostname, {
      namespace: 'remote',
      // No query string: it may carry identifiers of people (a search by email).
      http: { request: { method: request.method ?? 'GET', url: `${url.origin}${url.pathname}` } },
    });
    if (subsegment) open.set(request, subsegment);
  });
  subscribe('undici:request:headers', (message) => {
    const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
    void take(request)?.end({
      http: { response: { status: response.statusCode } },
      ...statusFlags(response.statusCode),
    });
  });
  subscribe('undici:request:error', (message) => {
    const { request, error } = message as { request: UndiciRequest; error: unknown };
    void take(request)?.end({ error: true, cause: causeOf(error, true) });
  });
}

/** The answer's status and X-Ray's flags for it; a failure with no answer is a fault with its cause. */
function outcomeOf(request: middy.Request): SubsegmentFields {
  const status = (request.response as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status === 'number') {
    const flags = statusFlags(status);
    // A 4xx is the client's doing: its message (about the client's input) stays out of the trace.
    return {
      http: { response: { status } },
      ...flags,
      ...(flags.fault ? { cause: causeOf(request.error, false) } : {}),
    };
  }
  return request.error === undefined ? {} : { fault: true, cause: causeOf(request.error, false) };
}

/** The middy middleware that wraps each invocation in the handler's subsegment. */
function handlerMiddleware(recorder: XRayRecorder): middy.MiddlewareObj {
  let coldStart = true;
  const handlers = new WeakMap<object, OpenSubsegment>();
  const close = async (request: middy.Request) => {
    const subsegment = handlers.get(request);
    handlers.delete(request);
    await subsegment?.end(outcomeOf(request));
  };
  return {
    before: (request) => {
      const subsegment = recorder.openHandler(`## ${process.env._HANDLER ?? 'handler'}`, {
        ColdStart: coldStart,
        Service: process.env.POWERTOOLS_SERVICE_NAME ?? 'service_undefined',
      });
      coldStart = false;
      if (subsegment) handlers.set(request, subsegment);
    },
    // Registered before the HTTP stack's error handler, so both see the final answer.
    after: close,
    onError: close,
  };
}

/** A traced function's instrumentation: wraps its clients, opens its handler's subsegment. */
export interface Instrumentation {
  traceClient<T>(client: T): T;
  readonly middleware: middy.MiddlewareObj;
}

/**
 * The instrumentation of this function when Lambda runs it with active tracing (the daemon's
 * address is set); otherwise none, and nothing is recorded (locally, or tracing switched off).
 */
export function instrumentFromEnvironment(): Instrumentation | undefined {
  const daemon = parseDaemonAddress(process.env[DAEMON_ADDRESS]);
  if (!daemon) return undefined;
  const recorder = new XRayRecorder(daemon, lambdaTraceHeader);
  traceFetch(recorder);
  return {
    traceClient: (client) => {
      if (isAwsClient(client)) traceAwsClient(recorder, client);
      return client;
    },
    middleware: handlerMiddleware(recorder),
  };
}
