import { afterAll } from 'vitest';
import WebSocket from 'ws';
import { frameViolations, isContractChecked } from './contract.ts';

/** A connected test socket that keeps every frame it receives, parsed as JSON where possible. */
export interface TestSocket {
  readonly ws: WebSocket;
  /** The subprotocol the server chose. */
  readonly protocol: string;
  readonly frames: unknown[];
  /** Resolves with the first received frame (past or future) that matches; rejects after `timeoutMs`. */
  next<T = Record<string, unknown>>(match?: (frame: T) => boolean, timeoutMs?: number): Promise<T>;
  /** Sends a JSON frame. */
  send(frame: unknown): void;
  /** Closes the socket and waits until it is closed. */
  close(): Promise<void>;
  /** Resolves with the close code once the server closes the socket. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

export interface SocketOptions {
  /**
   * Hold received frames to the document's ServerFrame schema (default true for a test
   * backend); off only for tests of the emulator's @connections API, which post arbitrary data.
   */
  readonly checkFrames?: boolean;
}

export type OpenResult = { ok: true; socket: TestSocket } | { ok: false; status: number };

/** The subprotocols a client offers to sign in: ours and the access token. */
export const tokenProtocols = (token: string): string[] => ['shop.v1', token];

/**
 * Opens a WebSocket like an app would (`new WebSocket(url, ['shop.v1', token])`), resolving
 * with the socket or the HTTP status that refused the handshake.
 */
export function openSocket(
  url: string,
  protocols: string[] = [],
  options: SocketOptions = {},
): Promise<OpenResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    const frames: unknown[] = [];
    // Frames of a test backend's WebSocket API are held to the document's ServerFrame schema;
    // a violation fails the next next() or close() of this socket.
    const checked = (options.checkFrames ?? true) && isContractChecked(url);
    const violations: string[] = [];
    const failIfViolated = () => {
      if (violations.length > 0)
        throw new Error(`A frame breaks the documented ServerFrame schema:\n  ${violations.join('\n  ')}`);
    };
    const waiters: { match: (frame: unknown) => boolean; resolve: (frame: unknown) => void }[] = [];
    ws.on('message', (data) => {
      const text = data.toString();
      let frame: unknown = text;
      try {
        frame = JSON.parse(text);
      } catch {}
      frames.push(frame);
      if (checked) violations.push(...frameViolations(frame).map((v) => `${v} in ${text.slice(0, 300)}`));
      for (const waiter of [...waiters]) {
        if (waiter.match(frame)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(frame);
        }
      }
    });
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      ws.on('close', (code, reason) => done({ code, reason: reason.toString() })),
    );
    ws.once('unexpected-response', (_request, response) => {
      resolve({ ok: false, status: response.statusCode ?? 0 });
      response.resume();
    });
    ws.once('error', (error) => {
      if (ws.readyState !== WebSocket.OPEN) reject(error);
    });
    ws.once('open', () =>
      resolve({
        ok: true,
        socket: {
          ws,
          protocol: ws.protocol,
          frames,
          closed,
          send: (frame) => ws.send(JSON.stringify(frame)),
          next: <T>(match: (frame: T) => boolean = () => true, timeoutMs = 2000) =>
            new Promise<T>((done, fail) => {
              if (violations.length > 0) return fail(new Error(violations.join('\n')));
              const found = frames.find((f) => match(f as T));
              if (found !== undefined) return done(found as T);
              const timer = setTimeout(
                () =>
                  fail(new Error(`No matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames)}`)),
                timeoutMs,
              );
              waiters.push({
                match: (f) => match(f as T),
                resolve: (f) => {
                  clearTimeout(timer);
                  done(f as T);
                },
              });
            }),
          close: async () => {
            if (ws.readyState !== WebSocket.CLOSED) ws.close(1000);
            await closed;
            failIfViolated();
          },
        },
      }),
    );
  });
}

/** Opens a socket that must be accepted; fails the test otherwise. */
export async function connect(url: string, token: string, options: SocketOptions = {}): Promise<TestSocket> {
  const result = await openSocket(url, tokenProtocols(token), options);
  if (!result.ok) throw new Error(`The handshake was refused with ${result.status}.`);
  return result.socket;
}

/**
 * The devices of the tests of the file (or describe) it is called in: the answer opens a socket
 * to the backend's WebSocket API as a user and keeps it; every socket is closed after the tests,
 * before the backend stops (call it after `useShop`).
 */
export function useDevices(shop: {
  readonly backend: { readonly webSocketUrl?: string };
}): (session: { readonly accessToken: string }) => Promise<TestSocket> {
  const sockets: TestSocket[] = [];
  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
  });
  return async (session) => {
    const socket = await connect(shop.backend.webSocketUrl as string, session.accessToken);
    sockets.push(socket);
    return socket;
  };
}
