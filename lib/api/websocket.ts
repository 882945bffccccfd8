import type { TableAccess } from './routes.ts';

/** The WebSocket API's one stage: named after the environment (`wss://<api>/<env>`). */
export const webSocketStageName = (config: { readonly name: string }): string => config.name;

/** One route of the WebSocket API and the function behind it. */
export interface WebSocketRouteDefinition {
  /** `$connect`, `$disconnect`, `$default`, or a value of the route selection expression. */
  readonly routeKey: string;
  /** The function's stable id (see `RouteDefinition.id`). */
  readonly id: string;
  readonly entry: string;
  readonly table: TableAccess;
  /** The function's answer is sent back to the client (a two-way route with a route response). */
  readonly returnsResponse?: boolean;
}

/**
 * THE WebSocket API: its routes, the `$connect` authorizer and where the access token comes
 * from. CDK builds the API from it, the local runtime serves it from the synthesized template.
 */
export const WEBSOCKET_API = {
  /** The `$connect` REQUEST authorizer (WebSocket APIs take Lambda or IAM authorizers only). */
  authorizer: { id: 'RealtimeAuthorizeConnection', entry: 'functions/realtime/authorize-connection.ts' },
  /**
   * The token travels as a subprotocol (`Sec-WebSocket-Protocol: shop.v1, <token>`): browsers
   * can set it, and unlike a query parameter it stays out of URLs and access logs. API Gateway
   * refuses a handshake without this header (401) before invoking the authorizer.
   */
  identitySource: 'route.request.header.Sec-WebSocket-Protocol',
  routes: [
    {
      routeKey: '$connect',
      id: 'RealtimeConnect',
      entry: 'functions/realtime/connect.ts',
      table: 'readwrite',
    },
    {
      routeKey: '$disconnect',
      id: 'RealtimeDisconnect',
      entry: 'functions/realtime/disconnect.ts',
      table: 'readwrite',
    },
    {
      routeKey: '$default',
      id: 'RealtimeReceiveFrame',
      entry: 'functions/realtime/receive-frame.ts',
      table: 'none',
      returnsResponse: true,
    },
  ] satisfies readonly WebSocketRouteDefinition[],
} as const;
