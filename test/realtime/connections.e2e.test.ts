import { beforeAll, describe, expect, it } from 'vitest';
import { connectionsOf } from '../../functions/realtime/store.ts';
import { bearer, GOOD_PASSWORD, jsonInit } from '../support/accounts-api.ts';
import { call, useBackendTable } from '../support/local-api.ts';
import { useShop } from '../support/shop.ts';
import { openSocket, type TestSocket, tokenProtocols, useDevices } from '../support/websocket.ts';

/*
 * One account opened 150 sockets, and every message to it fanned out 150 pushes; an erased
 * user's socket still answered ping (issue 19). A user holds at most a configured number of
 * connections (3 here; 10 in every environment's config), opening one more closes the oldest,
 * and signing out everywhere (a password change) or erasure closes them all.
 */
const CAP = 3;
/** The stream consumer closes sockets a moment after their items go: generous, never a speed test. */
const CLOSE_WITHIN_MS = 20_000;

const shop = useShop({ environment: { WEBSOCKET_MAX_CONNECTIONS_PER_USER: String(CAP) } });
const device = useDevices(shop);

/** Resolves when the server has closed the socket; fails the test after `CLOSE_WITHIN_MS`. */
async function closedByServer(socket: TestSocket): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`The socket was not closed within ${CLOSE_WITHIN_MS} ms.`)),
      CLOSE_WITHIN_MS,
    );
  });
  try {
    await Promise.race([socket.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the socket still answers a ping with a pong. */
async function answersPing(socket: TestSocket): Promise<boolean> {
  if (socket.ws.readyState !== socket.ws.OPEN) return false;
  const pongs = socket.frames.filter((frame) => (frame as { type?: string }).type === 'pong').length;
  socket.send({ type: 'ping' });
  try {
    await socket.next(
      () => socket.frames.filter((f) => (f as { type?: string }).type === 'pong').length > pongs,
      5000,
    );
    return true;
  } catch {
    return false;
  }
}

/** Waits until `check` holds, or fails after `CLOSE_WITHIN_MS`. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + CLOSE_WITHIN_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Not within ${CLOSE_WITHIN_MS} ms: ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const openCount = (list: readonly TestSocket[]) => list.filter((s) => s.ws.readyState === s.ws.OPEN).length;

beforeAll(async () => {
  useBackendTable(shop.backend);
});

describe('a user’s WebSocket connections', () => {
  it(`keeps at most ${CAP}: one more closes the oldest, the newest ${CAP} stay and get each message once`, async () => {
    const accounts = shop.accounts;
    const [user, sender] = await Promise.all([
      accounts.newCustomer('many-tabs'),
      accounts.newCustomer('sender'),
    ]);
    const first: TestSocket[] = [];
    for (let i = 0; i < CAP; i++) {
      first.push(await device(user));
      await eventually(async () => (await connectionsOf(user.user.id)).length === i + 1, `${i + 1} items`);
    }
    const newest = await device(user);
    await closedByServer(first[0] as TestSocket);
    const open = [...first.slice(1), newest];
    for (const socket of open) expect(await answersPing(socket)).toBe(true);
    expect(await connectionsOf(user.user.id)).toHaveLength(CAP);

    const messages = shop.messages;
    const conversation = await messages.started(sender.accessToken, { participantId: user.user.id });
    const sent = await messages.sent(sender.accessToken, conversation.id, 'to every open tab');
    for (const socket of open) {
      await socket.next(
        (frame) => frame.type === 'message' && (frame.message as { id: string }).id === sent.id,
        10_000,
      );
    }
    expect(
      (first[0] as TestSocket).frames.some((frame) => (frame as { type?: string }).type === 'message'),
    ).toBe(false);
  });

  it(`ends with ${CAP} open sockets and ${CAP} items when 12 are opened at once`, async () => {
    const user = await shop.accounts.newCustomer('burst');
    const burst = await Promise.all(Array.from({ length: 12 }, () => device(user)));
    await eventually(async () => openCount(burst) === CAP, `${CAP} sockets open (${openCount(burst)})`);
    await eventually(async () => (await connectionsOf(user.user.id)).length === CAP, `${CAP} items`);
    // The ones left open are the ones the table holds: the cap is what delivery fans out to.
    const held = new Set((await connectionsOf(user.user.id)).map((c) => c.connectionId));
    expect(held.size).toBe(CAP);
    for (const socket of burst.filter((s) => s.ws.readyState === s.ws.OPEN)) {
      expect(await answersPing(socket)).toBe(true);
    }
  });

  it('closes every socket of a user who changes the password (signed out everywhere), and nobody else’s', async () => {
    const accounts = shop.accounts;
    const [user, bystander] = await Promise.all([
      accounts.newCustomer('rotating'),
      accounts.newCustomer('bystander'),
    ]);
    const [phone, laptop, other] = await Promise.all([device(user), device(user), device(bystander)]);
    await eventually(async () => (await connectionsOf(user.user.id)).length === 2, '2 items');
    const changed = await call(
      `${shop.api}/me/password`,
      jsonInit(
        'PUT',
        { currentPassword: GOOD_PASSWORD, newPassword: 'a brand new passphrase' },
        bearer(user.accessToken),
      ),
    );
    expect(changed.status, JSON.stringify(changed.body)).toBe(204);
    await Promise.all([closedByServer(phone), closedByServer(laptop)]);
    expect(await connectionsOf(user.user.id)).toEqual([]);
    expect(await answersPing(other)).toBe(true);
  });

  it('closes an erased user’s socket: it no longer answers ping, and the token opens no other', async () => {
    const user = await shop.accounts.newCustomer('leaving');
    const socket = await device(user);
    expect(await answersPing(socket)).toBe(true);
    const erased = await call(`${shop.api}/me`, {
      method: 'DELETE',
      headers: bearer(user.accessToken),
    });
    expect(erased.status).toBe(204);
    await closedByServer(socket);
    expect(await answersPing(socket)).toBe(false);
    // The access token is still valid for minutes, but there is no account to connect.
    expect(await openSocket(shop.backend.webSocketUrl as string, tokenProtocols(user.accessToken))).toEqual({
      ok: false,
      status: 401,
    });
  });
});
