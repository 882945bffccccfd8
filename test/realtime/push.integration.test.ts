import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginErasure } from '../../functions/accounts/erasure-fence.ts';
import { metrics } from '../../functions/core/metrics.ts';
import { pushToUsers } from '../../functions/realtime/push.ts';
import { connectionsOf, saveConnection } from '../../functions/realtime/store.ts';
import { quietLogger } from '../support/logs.ts';
import { useFreshTable } from '../support/table.ts';
import { aUser } from '../support/users.ts';

/** The counts of one business metric recorded (and not yet flushed) in this process. */
function stored(name: string): unknown {
  const emf = metrics.serializeMetrics() as unknown as Record<string, unknown>;
  metrics.clearMetrics();
  return emf[name];
}

/**
 * pushToUsers against an @connections endpoint that answers as the test tells it: a connection
 * that is gone (410) is forgotten; any other failure is counted as WebSocketDeliveryFailed and
 * thrown, so the stream record is retried.
 */
describe('pushing frames to WebSocket connections', () => {
  let server: http.Server;
  const answers = new Map<string, number>();

  beforeAll(async () => {
    await useFreshTable();
    quietLogger();
    server = http.createServer((req, res) => {
      const connectionId = decodeURIComponent(req.url?.split('/@connections/')[1] ?? '');
      req.resume();
      req.on('end', () => {
        res.writeHead(answers.get(connectionId) ?? 200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.WEBSOCKET_API_ENDPOINT = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.WEBSOCKET_STAGE = 'test';
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('records no connection for an account that is gone or being erased', async () => {
    const user = await aUser('erasing');
    await beginErasure(user.id);
    expect(await saveConnection(user.id, 'late=', new Date())).toBe(false);
    expect(await saveConnection('no-such-user', 'none=', new Date())).toBe(false);
    expect(await connectionsOf(user.id)).toEqual([]);
  });

  it('delivers to live connections and forgets gone ones, counting no failure', async () => {
    const { id } = await aUser('live');
    expect(await saveConnection(id, 'live=', new Date())).toBe(true);
    expect(await saveConnection(id, 'gone=', new Date())).toBe(true);
    answers.set('gone=', 410);
    metrics.clearMetrics();
    expect(await pushToUsers([id], { type: 'pong' })).toEqual({ delivered: 1, gone: 1 });
    expect((await connectionsOf(id)).map((c) => c.connectionId)).toEqual(['live=']);
    expect(stored('WebSocketDeliveryFailed')).toBeUndefined();
  });

  it('counts each other failure as WebSocketDeliveryFailed and throws, so the record is retried', async () => {
    const { id } = await aUser('broken');
    expect(await saveConnection(id, 'broken=', new Date())).toBe(true);
    answers.set('broken=', 403);
    metrics.clearMetrics();
    await expect(pushToUsers([id], { type: 'pong' })).rejects.toThrow();
    expect(stored('WebSocketDeliveryFailed')).toBe(1);
  });
});
