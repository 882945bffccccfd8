import * as z from 'zod/mini';

/**
 * The WebSocket subprotocol of this API. A client offers it together with its access token
 * (`new WebSocket(url, [SUBPROTOCOL, accessToken])`); `$connect` answers with it alone, so
 * the token never comes back in a response header.
 */
export const SUBPROTOCOL = 'shop.v1';

/** `entity` of a connection item; the close-connections consumer filters on its removal. */
export const CONNECTION_ENTITY = 'connection';

/** Frames a client may send. Anything else is answered with an `error` frame. */
export const clientFrame = z.discriminatedUnion('type', [z.strictObject({ type: z.literal('ping') })]);
export type ClientFrame = z.infer<typeof clientFrame>;

/**
 * Frames the server sends. `message` and `read` come from the table's stream and may arrive
 * more than once (streams deliver at least once): clients dedupe `message` frames by
 * `message.id` and treat `read` frames as "at least up to".
 */
export type ServerFrame =
  | { type: 'message'; conversationId: string; message: unknown }
  | {
      type: 'read';
      conversationId: string;
      userId: string;
      lastReadId: string | null;
      /** Only in frames to the reader's own devices. */
      unreadCount?: number;
    }
  | { type: 'pong' }
  | { type: 'error'; message: string };

/** What API Gateway passes a WebSocket route's function (the parts we read). */
export interface WebSocketEvent {
  readonly requestContext: {
    readonly routeKey: string;
    readonly eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
    readonly connectionId: string;
    readonly connectedAt?: number;
    readonly requestId?: string;
    /** What the `$connect` authorizer returned as `context` (plus `principalId`), on every route. */
    readonly authorizer?: Readonly<Record<string, string | number | boolean | null | undefined>>;
  };
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

/** A WebSocket route's answer: `$connect` accepts (2xx) or refuses the handshake; others may reply. */
export interface WebSocketResult {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}
