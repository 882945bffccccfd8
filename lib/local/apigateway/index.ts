/**
 * API Gateway (v2), locally: the app's HTTP API and WebSocket API, both read from the template.
 *
 * HTTP API (http/): routes from `AWS::ApiGatewayV2::Route` chosen as API Gateway chooses them,
 * payload format 2.0 events and responses, JWT authorizers enforced as API Gateway enforces them
 * (kid, RSA only, iss, aud, exp, nbf, scopes), CORS from the API's `CorsConfiguration` (plus
 * origins the caller adds for local front ends, never written into the template), the
 * request quotas (10 MB body, 10 KB request line and headers), and API Gateway's own bare
 * answers (401/403/404/413/429/431/500/503) with an `apigw-requestid` on every one.
 *
 * WebSocket API (websocket/): the `$connect` REQUEST authorizer with its identity sources, route
 * selection on `$request.body.<field>` with `$default`, route responses, `$disconnect`, the idle,
 * duration and frame-size quotas, and the `@connections` management API on the same port.
 *
 * Not emulated: REST APIs, Lambda authorizers on the HTTP API, stages and stage variables other
 * than the template's stage name, throttling and usage plans, custom domains, the access log.
 */
import type { TemplateResolver } from '../cloudformation/template.ts';
import type { LocalFunction } from '../lambda/function.ts';
import type { EmulatorLog } from '../log.ts';
import { readApiDefinition } from './http/definition.ts';
import { templateAuthorizers } from './http/jwt-authorizer.ts';
import { startApiServer } from './http/server.ts';
import { readWebSocketApi } from './websocket/definition.ts';
import { type LocalWebSocketServer, startWebSocketServer } from './websocket/server.ts';

export interface LocalApiGatewayOptions {
  readonly resolver: TemplateResolver;
  /** The functions behind the integrations, by logical id. */
  readonly functions: ReadonlyMap<string, LocalFunction>;
  /** Port of the HTTP API; the template's `ApiEndpoint` already names it (the tokens' issuer). */
  readonly port: number;
  /** Port of the WebSocket API, likewise. */
  readonly webSocketPort: number;
  /** The interface both APIs listen on: loopback (`127.0.0.1`) unless told otherwise (`0.0.0.0`: every one). */
  readonly host?: string;
  /** Origins CORS allows on top of the template's `CorsConfiguration` (the template stays as synthesized). */
  readonly extraCorsOrigins?: readonly string[];
  readonly log: EmulatorLog;
}

export interface LocalApiGateway {
  /** The HTTP API's URL (`http://localhost:<port>`). */
  readonly url: string;
  /** The WebSocket API's URL (`ws://localhost:<port>/<stage>`), when the app has one. */
  readonly webSocketUrl?: string;
  readonly webSocket?: LocalWebSocketServer;
  /**
   * Serves the HTTP API of a new synthesis of the template (routes added or removed); the
   * WebSocket API keeps the definition it started with.
   */
  update(resolver: TemplateResolver): void;
  stop(): Promise<void>;
}

/** Serves the template's HTTP API (exactly one) and its WebSocket API (if any). */
export async function startApiGateway(options: LocalApiGatewayOptions): Promise<LocalApiGateway> {
  const { resolver, functions, log } = options;
  const httpApi = readApiDefinition(resolver);
  const server = await startApiServer({
    api: httpApi,
    functions,
    port: options.port,
    host: options.host,
    log,
    authorize: templateAuthorizers(resolver, httpApi.apiId),
    extraCorsOrigins: options.extraCorsOrigins,
  });
  let webSocket: LocalWebSocketServer | undefined;
  try {
    const webSocketApi = readWebSocketApi(resolver);
    webSocket = webSocketApi
      ? await startWebSocketServer({
          api: webSocketApi,
          functions,
          port: options.webSocketPort,
          host: options.host,
          log,
        })
      : undefined;
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    url: server.url,
    webSocketUrl: webSocket?.url,
    webSocket,
    update: (next) => {
      const api = readApiDefinition(next);
      server.update({ api, authorize: templateAuthorizers(next, api.apiId) });
    },
    stop: async () => {
      await webSocket?.stop().catch(() => undefined);
      await server.stop();
    },
  };
}
