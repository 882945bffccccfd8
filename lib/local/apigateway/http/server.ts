import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { LocalFunction } from '../../lambda/function.ts';
import { shortFunctionName } from '../../lambda/log-format.ts';
import type { InvokeOutcome } from '../../lambda/outcome.ts';
import type { EmulatorLog } from '../../log.ts';
import { closeServer, listen } from '../../net.ts';
import { answerPreflight, applyCors, isPreflight } from './cors.ts';
import type { ApiDefinition, ApiRoute, CorsConfig } from './definition.ts';
import { buildEvent, splitTarget, toHttpResponse } from './payload.ts';
import { routeSelector } from './routing.ts';

export interface ApiServerOptions {
  readonly api: ApiDefinition;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly port?: number;
  readonly host?: string;
  /** Validates a JWT route's token; returns the `authorizer` context or a 401/403 reason. */
  readonly authorize?: (
    route: ApiRoute,
    headers: http.IncomingHttpHeaders,
  ) => Promise<{ ok: true; context: unknown } | { ok: false; status: 401 | 403 }>;
  readonly log?: EmulatorLog;
  /** Origins allowed on top of the API's `CorsConfiguration` (LOCAL_CORS_ORIGINS of `npm start`). */
  readonly extraCorsOrigins?: readonly string[];
}

export interface ApiServer {
  readonly url: string;
  readonly port: number;
  /**
   * Serves another definition of the API from now on (a new synthesis: routes added or
   * removed, other authorizers); requests already routed finish as they were.
   */
  update(changes: Pick<ApiServerOptions, 'api' | 'authorize'>): void;
  stop(): Promise<void>;
}

/** API Gateway's own answers, which never reach a function. */
const gatewayMessage = (
  res: http.ServerResponse,
  status: number,
  message: string,
  headers: http.OutgoingHttpHeaders = {},
) => {
  // API Gateway names every answer of its own with a request id, as it does the functions' answers.
  res.writeHead(status, { 'content-type': 'application/json', 'apigw-requestid': randomUUID(), ...headers });
  res.end(JSON.stringify({ message }));
};

const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** HTTP API quota: "total combined size of request line and header values", 10240 bytes. */
const MAX_REQUEST_LINE_AND_HEADER_BYTES = 10_240;
/**
 * Node's own limit sits far above the quota so the emulator, not Node, refuses oversized
 * requests (Node would reset the connection or answer a bare 431 without a body).
 */
const NODE_MAX_HEADER_BYTES = 1024 * 1024;

/** What counts toward the quota: the request line and every header value, in bytes. */
function requestLineAndHeaderBytes(req: http.IncomingMessage): number {
  let bytes = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}`, 'latin1');
  for (let i = 1; i < req.rawHeaders.length; i += 2)
    bytes += Buffer.byteLength(req.rawHeaders[i] ?? '', 'latin1');
  return bytes;
}

/** The body, up to the payload quota; past it the rest is read and dropped. */
async function readLimitedBody(req: http.IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) tooLarge = true;
    else chunks.push(chunk as Buffer);
  }
  return { body: Buffer.concat(chunks), tooLarge };
}

/**
 * The API's CORS configuration with more allowed origins (a local-only addition, never in the
 * template): a configuration of its own when the API has none (any method and header).
 */
export function withExtraOrigins(
  cors: CorsConfig | undefined,
  extra: readonly string[],
): CorsConfig | undefined {
  if (extra.length === 0) return cors;
  if (!cors) return { allowOrigins: [...extra], allowMethods: ['*'], allowHeaders: ['*'], exposeHeaders: [] };
  return { ...cors, allowOrigins: [...new Set([...cors.allowOrigins, ...extra])] };
}

/**
 * How long an HTTP API waits for a Lambda integration (`TimeoutInMillis`: 30 s, the default and
 * the maximum; the stacks set none). Past it API Gateway answers 503 `Service Unavailable`.
 */
const INTEGRATION_TIMEOUT_MS = 30_000;

/** Says, on a local 429, which concurrency limit refused the request and which setting changes it. */
export const LOCAL_THROTTLE_HEADER = 'x-local-throttle';

/** Logs one request's line: method, path, status, time, the function that answered, a note, the request id. */
type Finish = (
  status: number,
  note?: string,
  answeredBy?: { fn: LocalFunction; outcome: InvokeOutcome },
) => void;

/** What API Gateway answers before any route is chosen: the size quotas and CORS preflights. */
function answeredByGateway(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  tooLarge: boolean,
  cors: CorsConfig | undefined,
  finish: Finish,
): boolean {
  if (tooLarge) {
    gatewayMessage(res, 413, 'Request Entity Too Large');
    finish(413);
    return true;
  }
  // AWS documents the quota, not the answer; 431 is HTTP's status for it (RFC 6585).
  if (requestLineAndHeaderBytes(req) > MAX_REQUEST_LINE_AND_HEADER_BYTES) {
    gatewayMessage(res, 431, 'Request Header Fields Too Large');
    finish(431);
    return true;
  }
  // CORS preflight is answered by API Gateway itself when the API has a CORS configuration.
  if (isPreflight(cors, req)) {
    answerPreflight(cors, req, res);
    finish(204, '(preflight)');
    return true;
  }
  return false;
}

/** Runs the route's authorizer; a refusal is answered here (401/403) and the function never runs. */
async function authorizeRoute(
  options: ApiServerOptions,
  route: ApiRoute,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  finish: Finish,
): Promise<{ ok: true; context: unknown } | { ok: false }> {
  if (route.authorizationType === 'NONE') return { ok: true, context: undefined };
  const verdict = options.authorize
    ? await options.authorize(route, req.headers)
    : ({ ok: false, status: 401 } as const);
  if (verdict.ok) return verdict;
  gatewayMessage(res, verdict.status, verdict.status === 401 ? 'Unauthorized' : 'Forbidden', {
    ...(verdict.status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
  });
  finish(verdict.status, '(authorizer)');
  return { ok: false };
}

/** Turns the function's outcome into the answer API Gateway gives: its result, or a bare 429/500/503. */
function answerWithOutcome(
  fn: LocalFunction,
  outcome: InvokeOutcome,
  cors: CorsConfig | undefined,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  finish: Finish,
  log: EmulatorLog,
) {
  const answeredBy = { fn, outcome };
  const note = outcome.coldStart
    ? `cold${outcome.initMs ? ` init ${outcome.initMs.toFixed(0)} ms` : ''}`
    : '';
  if (!outcome.ok && outcome.throttled) {
    // Lambda refused the invocation (no concurrency left): the function never ran. The body is
    // API Gateway's own, as deployed; which limit refused it (and its setting) is local-only,
    // in a header and the access line, so a client written here handles what prod sends.
    const detail = outcome.throttleDetail ?? outcome.error.errorMessage;
    gatewayMessage(res, 429, 'Too Many Requests', { [LOCAL_THROTTLE_HEADER]: detail });
    return finish(429, `throttled: ${detail}`, answeredBy);
  }
  if (!outcome.ok) {
    log(
      `  ${shortFunctionName(fn.spec.logicalId)} failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`,
      {
        level: 'ERROR',
        function: shortFunctionName(fn.spec.logicalId),
        errorType: outcome.error.errorType,
        errorMessage: outcome.error.errorMessage,
      },
    );
    // A function that timed out is a Lambda function error like any other (500), unless its
    // timeout is not below the integration's: then API Gateway gave up first, with a 503.
    const gatewayTimedOut =
      outcome.error.errorType === 'Sandbox.Timedout' &&
      fn.spec.timeoutSeconds * 1000 >= INTEGRATION_TIMEOUT_MS;
    gatewayMessage(
      res,
      gatewayTimedOut ? 503 : 500,
      gatewayTimedOut ? 'Service Unavailable' : 'Internal Server Error',
    );
    return finish(gatewayTimedOut ? 503 : 500, note, answeredBy);
  }
  let response: ReturnType<typeof toHttpResponse>;
  try {
    response = toHttpResponse(outcome.result);
    if (!Number.isInteger(response.status) || response.status < 100 || response.status > 599)
      throw new Error('bad status');
  } catch {
    gatewayMessage(res, 500, 'Internal Server Error');
    return finish(500, `${note} (malformed Lambda response)`.trim(), answeredBy);
  }
  applyCors(cors, req, response.headers);
  res.writeHead(response.status, response.headers);
  res.end(response.body);
  finish(response.status, note, answeredBy);
}

/** What requests are served with: the options, and what is derived from them once. */
interface Serving {
  readonly options: ApiServerOptions;
  readonly cors: CorsConfig | undefined;
  readonly selectRoute: ReturnType<typeof routeSelector>;
}

const serving = (options: ApiServerOptions): Serving => ({
  options,
  cors: withExtraOrigins(options.api.cors, options.extraCorsOrigins ?? []),
  selectRoute: routeSelector(options.api.routes),
});

/** One request through the HTTP API: quotas, preflight, route, authorizer, function, answer. */
function requestHandler(
  current: () => Serving,
  log: EmulatorLog,
): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  return async (req, res) => {
    const { options, cors, selectRoute } = current();
    const { functions } = options;
    const started = performance.now();
    // API Gateway's request id: in the event, and on every answer (`apigw-requestid`), its own too.
    const requestId = randomUUID();
    res.setHeader('apigw-requestid', requestId);
    const read = await readLimitedBody(req).catch((error: unknown) => error as Error);
    if (read instanceof Error) {
      // The client went away mid-body (or sent a broken one): nobody to answer, nothing to run.
      log(
        `${req.method ?? 'GET'} ${splitTarget(req.url ?? '/').path} -> dropped: ${read.message} (${requestId})`,
        {
          kind: 'access',
          note: 'client disconnected',
          requestId,
        },
      );
      res.destroy();
      return;
    }
    const { body, tooLarge } = read;
    const method = req.method ?? 'GET';
    const { path } = splitTarget(req.url ?? '/');
    // The path without the query string, as the deployed access log has it ($context.path): a
    // query can carry what must never be logged (a token pasted into a URL).
    const finish: Finish = (status, note = '', answeredBy) => {
      const durationMs = performance.now() - started;
      const name = answeredBy ? shortFunctionName(answeredBy.fn.spec.logicalId) : undefined;
      log(
        `${method} ${path} -> ${status} ${durationMs.toFixed(1)} ms${name ? ` ${name}` : ''}${note ? ` ${note}` : ''} (${requestId})`,
        {
          kind: 'access',
          method,
          path,
          status,
          durationMs: Number(durationMs.toFixed(1)),
          ...(name ? { function: name, coldStart: answeredBy?.outcome.coldStart } : {}),
          ...(answeredBy?.outcome.initMs !== undefined
            ? { initMs: Number(answeredBy.outcome.initMs.toFixed(1)) }
            : {}),
          ...(note ? { note } : {}),
          requestId,
        },
      );
    };
    if (answeredByGateway(req, res, tooLarge, cors, finish)) return;
    const selected = selectRoute(method, path);
    if (!selected) {
      gatewayMessage(res, 404, 'Not Found');
      return finish(404);
    }
    const { route, pathParameters } = selected;
    const authorized = await authorizeRoute(options, route, req, res, finish);
    if (!authorized.ok) return;
    const fn = functions.get(route.functionLogicalId);
    if (!fn) {
      gatewayMessage(res, 500, 'Internal Server Error');
      return finish(500, `(no function ${route.functionLogicalId})`);
    }
    const event = buildEvent(req, body, route, pathParameters, authorized.context, requestId);
    answerWithOutcome(fn, await fn.invoke(event), cors, req, res, finish, log);
  };
}

/**
 * Serves the HTTP API locally: routes from the template, each request turned into a payload
 * 2.0 event for the route's function, results turned back into HTTP as API Gateway does.
 * A function that crashed, threw or ran past its own timeout becomes API Gateway's bare 500
 * (for an HTTP API all are Lambda function errors), one that outlasted the integration timeout
 * its bare 503, and a throttled invocation (the function's concurrency used up) its bare 429.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const log: EmulatorLog = options.log ?? ((line: string) => console.log(line));
  let current = serving(options);
  const handle = requestHandler(() => current, log);
  // A request that fails in the emulator itself answers a bare 500 (if it still can) and is
  // logged; it never becomes an unhandled rejection that ends `npm start`.
  const server = http.createServer({ maxHeaderSize: NODE_MAX_HEADER_BYTES }, (req, res) =>
    handle(req, res).catch((error: unknown) => {
      log(
        `${req.method} ${req.url} failed in the local API: ${error instanceof Error ? error.message : String(error)}`,
        {
          level: 'ERROR',
        },
      );
      if (!res.headersSent && !res.destroyed) gatewayMessage(res, 500, 'Internal Server Error');
      else res.destroy();
    }),
  );
  // Idle keep-alive connections stay open a minute (as behind an AWS load balancer), longer than
  // clients keep them (undici: the server's hint minus a margin): with Node's 5 s, a client
  // reusing a connection just as the server closed it got "other side closed" on a busy machine.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const port = await listen(server, options.port, options.host ?? '127.0.0.1');
  return {
    url: `http://localhost:${port}`,
    port,
    update: (changes) => {
      current = serving({ ...current.options, ...changes });
    },
    stop: () => closeServer(server),
  };
}
