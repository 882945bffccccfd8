import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ShopBackend } from '../../../lib/demo/backend-hooks.ts';
import { accountsApi, type Session } from '../../support/accounts-api.ts';
import { startTestBackend } from '../../support/local-api.ts';
import { openSocket, tokenProtocols } from '../../support/websocket.ts';

/** Opens a raw TCP connection to a URL's host and port. */
function connect(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host: hostname === 'localhost' ? '127.0.0.1' : hostname,
      port: Number(port),
    });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves once `socket` has received bytes that contain `text`. */
function received(socket: net.Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      if (seen.includes(text)) resolve(seen);
    });
    socket.once('close', () => reject(new Error(`closed before "${text}"; got: ${seen}`)));
  });
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/** A WebSocket handshake request for the stage, with the access token as a subprotocol. */
const upgradeRequest = (stagePath: string, token: string): string =>
  `GET ${stagePath} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
  `Sec-WebSocket-Protocol: ${tokenProtocols(token).join(', ')}\r\n\r\n`;

describe('clients that disconnect halfway', () => {
  let backend: ShopBackend;
  let customer: Session;
  const failures: unknown[] = [];
  const record = (error: unknown) => failures.push(error);

  beforeAll(async () => {
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
    backend = await startTestBackend();
    customer = await accountsApi(backend.url).newCustomer('leaver');
  });

  // Each test answers for what went unhandled while it ran.
  beforeEach(() => {
    failures.length = 0;
  });

  afterAll(async () => {
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
    await backend?.stop();
  });

  /** The backend still answers, and nothing went unhandled in this process. */
  async function expectAlive(): Promise<void> {
    await settle();
    expect(failures).toEqual([]);
    expect((await fetch(`${backend.url}/openapi.json`)).status).toBe(200);
    expect((await accountsApi(backend.url).me(customer.accessToken)).status).toBe(200);
  }

  it('survives a body cut off after 10 of its 1000 announced bytes', async () => {
    for (const path of ['/auth/login', '/conversations', '/no/such/route']) {
      const socket = await connect(backend.url);
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
          `Authorization: Bearer ${customer.accessToken}\r\nContent-Length: 1000\r\n\r\n{"email":"`,
      );
      await settle();
      socket.destroy();
    }
    await expectAlive();
  });

  it('survives a body cut off on the @connections management API', async () => {
    const socket = await connect(backend.webSocketUrl as string);
    socket.write(
      `POST /${new URL(backend.webSocketUrl as string).pathname.slice(1)}/@connections/abc HTTP/1.1\r\n` +
        'Host: localhost\r\nContent-Length: 1000\r\n\r\n0123456789',
    );
    await settle();
    socket.destroy();
    await expectAlive();
  });

  it('survives a WebSocket handshake dropped before the answer, and one dropped after the 101', async () => {
    const stagePath = new URL(backend.webSocketUrl as string).pathname;
    // Dropped while the authorizer and $connect run.
    const early = await connect(backend.webSocketUrl as string);
    early.write(upgradeRequest(stagePath, customer.accessToken));
    early.destroy();
    // Dropped halfway through the request's headers.
    const halfway = await connect(backend.webSocketUrl as string);
    halfway.write(upgradeRequest(stagePath, customer.accessToken).slice(0, 60));
    await settle();
    halfway.destroy();
    // Dropped once the handshake succeeded, before any frame.
    const late = await connect(backend.webSocketUrl as string);
    const answer = received(late, '\r\n\r\n');
    late.write(upgradeRequest(stagePath, customer.accessToken));
    expect(await answer).toMatch(/^HTTP\/1\.1 101 /);
    late.destroy();
    await expect.poll(() => backend.webSocket?.connectionCount ?? 0, { timeout: 10_000 }).toBe(0);
    await expectAlive();
    // And a well-behaved client still connects.
    const opened = await openSocket(backend.webSocketUrl as string, tokenProtocols(customer.accessToken));
    expect(opened.ok).toBe(true);
    if (opened.ok) await opened.socket.close();
  });
});
