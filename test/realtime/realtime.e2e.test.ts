import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectionsOf } from '../../functions/realtime/store.ts';
import type { Session } from '../support/accounts-api.ts';
import {
  genuineClaims,
  realSigningKey,
  signRs256,
  tokenSettings,
  unsignedToken,
} from '../support/forged-tokens.ts';
import { useBackendTable } from '../support/local-api.ts';
import { useShop } from '../support/shop.ts';
import { connect, openSocket, tokenProtocols } from '../support/websocket.ts';

const shop = useShop();
let url: string;
let alice: Session;

/** The open connections the table holds for a user, as the delivery consumer reads them. */
const connectionItems = (userId: string) => connectionsOf(userId);

/** Waits until `check` holds (the table catches up with a socket event), or fails after 3 s. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('Condition not met within 3 s.');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  url = shop.backend.webSocketUrl as string;
  useBackendTable(shop.backend);
  alice = await shop.accounts.newCustomer('alice');
});

describe('the WebSocket handshake ($connect)', () => {
  it('is served on the stage path the template names', () => {
    expect(url).toMatch(/^ws:\/\/localhost:\d+\/local$/);
  });

  it('refuses a client that offers no token with 401', async () => {
    expect(await openSocket(url)).toEqual({ ok: false, status: 401 });
    expect(await openSocket(url, ['shop.v1'])).toEqual({ ok: false, status: 401 });
  });

  it('refuses malformed, unsigned, expired and foreign tokens with 401', async () => {
    const settings = tokenSettings(shop.backend);
    const { kid, privateKey } = await realSigningKey(shop.backend);
    const now = Math.floor(Date.now() / 1000);
    const tokens = {
      malformed: 'not.a.token',
      unsigned: unsignedToken(genuineClaims(settings, alice.user.id)),
      expired: await signRs256(
        genuineClaims(settings, alice.user.id, { iat: now - 1000, nbf: now - 1000, exp: now - 60 }),
        privateKey,
        { kid },
      ),
      otherAudience: await signRs256(
        genuineClaims(settings, alice.user.id, { aud: 'shop-api-prod' }),
        privateKey,
        { kid },
      ),
      otherIssuer: await signRs256(
        genuineClaims(settings, alice.user.id, { iss: 'https://evil.example' }),
        privateKey,
        { kid },
      ),
    };
    for (const [kind, token] of Object.entries(tokens)) {
      expect(await openSocket(url, tokenProtocols(token)), kind).toEqual({ ok: false, status: 401 });
    }
    expect(await connectionItems(alice.user.id)).toEqual([]);
  });

  it('accepts an access token offered as a subprotocol, answers with shop.v1 alone, and records the connection', async () => {
    const socket = await connect(url, alice.accessToken);
    expect(socket.protocol).toBe('shop.v1');
    await eventually(async () => (await connectionItems(alice.user.id)).length === 1);
    await socket.close();
  });

  it('keeps one connection per device, and forgets a socket once it is closed', async () => {
    const bob = await shop.accounts.newCustomer('bob');
    const phone = await connect(url, bob.accessToken);
    const laptop = await connect(url, bob.accessToken);
    await eventually(async () => (await connectionItems(bob.user.id)).length === 2);
    await phone.close();
    await eventually(async () => (await connectionItems(bob.user.id)).length === 1);
    await laptop.close();
    await eventually(async () => (await connectionItems(bob.user.id)).length === 0);
  });
});

describe('frames from the client ($default)', () => {
  it('answers {"type":"ping"} with {"type":"pong"}', async () => {
    const socket = await connect(url, alice.accessToken);
    socket.send({ type: 'ping' });
    expect(await socket.next()).toEqual({ type: 'pong' });
    await socket.close();
  });

  it('answers frames it does not understand with an error frame and keeps the socket open', async () => {
    const socket = await connect(url, alice.accessToken);
    socket.ws.send('not json');
    expect(await socket.next((f) => f.type === 'error')).toMatchObject({ type: 'error' });
    socket.send({ type: 'message', body: 'over the socket' });
    expect(await socket.next((f) => f.type === 'error' && socket.frames.length === 2)).toMatchObject({
      type: 'error',
      message: expect.stringContaining('HTTP'),
    });
    socket.send({ type: 'ping' });
    expect(await socket.next((f) => f.type === 'pong')).toEqual({ type: 'pong' });
    await socket.close();
  });
});

describe('the @connections management API', () => {
  const managementApi = () => {
    const callbackUrl = `${url.replace(/^ws:/, 'http:')}`;
    return new ApiGatewayManagementApiClient({
      endpoint: callbackUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  };

  it('posts data to a connection, describes it, and closes it (which runs $disconnect)', async () => {
    // Arbitrary data, not one of our frames: this tests the emulator's @connections API.
    const socket = await connect(url, alice.accessToken, { checkFrames: false });
    await eventually(async () => (await connectionItems(alice.user.id)).length === 1);
    const [connection] = await connectionItems(alice.user.id);
    const connectionId = connection?.connectionId as string;
    const client = managementApi();
    await client.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify({ hello: 1 }) }),
    );
    expect(await socket.next()).toEqual({ hello: 1 });
    const described = await client.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(described.ConnectedAt).toBeInstanceOf(Date);
    expect(described.Identity?.SourceIp).toBe('127.0.0.1');
    await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    expect((await socket.closed).code).toBe(1000);
    await eventually(async () => (await connectionItems(alice.user.id)).length === 0);
  });

  it('answers a post to a connection that is gone with GoneException (410)', async () => {
    const error = await managementApi()
      .send(new PostToConnectionCommand({ ConnectionId: 'Gone0000000000A=', Data: 'x' }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'GoneException', $metadata: { httpStatusCode: 410 } });
  });

  it('refuses an unsigned call with 403, as API Gateway does', async () => {
    const res = await fetch(`${url.replace(/^ws:/, 'http:')}/@connections/whatever`, {
      method: 'POST',
      body: 'x',
    });
    expect(res.status).toBe(403);
  });
});
