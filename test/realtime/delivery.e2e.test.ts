import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { table } from '../../functions/core/db.ts';
import type { Message } from '../../functions/messages/model.ts';
import { connectionsOf, saveConnection } from '../../functions/realtime/store.ts';
import { bearer, jsonInit, type Session } from '../support/accounts-api.ts';
import { call, useBackendTable } from '../support/local-api.ts';
import { useShop } from '../support/shop.ts';
import { useDevices } from '../support/websocket.ts';

interface MessageFrame {
  type: 'message';
  conversationId: string;
  message: Message;
}
interface ReadFrame {
  type: 'read';
  conversationId: string;
  userId: string;
  lastReadId: string | null;
  unreadCount?: number;
}

const shop = useShop();
let alice: Session;
let bob: Session;
let carol: Session;
let conversationId: string;
/** Opens a socket for a user and remembers it, so every test's sockets are closed at the end. */
const device = useDevices(shop);

const messageFrame =
  (id: string) =>
  (frame: MessageFrame): boolean =>
    frame.type === 'message' && frame.message?.id === id;

/** The new image of the stream record at a sequence number, as an operator replaying a DLQ entry reads it. */
async function streamRecordAt(streamArn: string, shardId: string, sequenceNumber: string) {
  const streams = new DynamoDBStreamsClient({
    endpoint: shop.backend.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        SequenceNumber: sequenceNumber,
      }),
    );
    const { Records } = await streams.send(new GetRecordsCommand({ ShardIterator, Limit: 1 }));
    const image = Records?.[0]?.dynamodb?.NewImage;
    return image ? unmarshall(image as Record<string, AttributeValue>) : undefined;
  } finally {
    streams.destroy();
  }
}

/** The queue the delivery consumer's mapping sends what it gave up on. */
function deliveryDeadLetterQueue(): string {
  const mapping = shop.backend.streams.mappings.find((m) => /DeliverMessages/.test(m.functionLogicalId));
  if (!mapping?.onFailure) throw new Error('The delivery consumer has no on-failure destination.');
  return mapping.onFailure;
}

beforeAll(async () => {
  useBackendTable(shop.backend);
  const accounts = shop.accounts;
  [alice, bob, carol] = await Promise.all([
    accounts.newCustomer('alice'),
    accounts.newCustomer('bob'),
    accounts.newCustomer('carol'),
  ]);
  conversationId = (await shop.messages.started(alice.accessToken, { participantId: bob.user.id })).id;
  // The first delivery starts the consumer's instance (a cold start); the timing tests below
  // are about a warm one, as in a running environment.
  const phone = await device(bob);
  const warm = await shop.messages.sent(alice.accessToken, conversationId, 'warming up');
  await phone.next(messageFrame(warm.id), 10_000);
  await shop.backend.streams.idle();
});

describe('real-time delivery of messages', () => {
  it('pushes a message sent over HTTP to every device of the recipient within a second', async () => {
    const [phone, laptop] = await Promise.all([device(bob), device(bob)]);
    const sent = await shop.messages.sent(alice.accessToken, conversationId, 'Is the lamp still available?');
    const [onPhone, onLaptop] = await Promise.all([
      phone.next<MessageFrame>(messageFrame(sent.id), 1000),
      laptop.next<MessageFrame>(messageFrame(sent.id), 1000),
    ]);
    expect(onPhone).toEqual({ type: 'message', conversationId, message: sent });
    expect(onLaptop).toEqual(onPhone);
  });

  it('pushes it to the sender’s other devices too, and to nobody outside the conversation', async () => {
    const [senderTablet, stranger] = await Promise.all([device(alice), device(carol)]);
    const sent = await shop.messages.sent(bob.accessToken, conversationId, 'Yes, it is.');
    expect(await senderTablet.next<MessageFrame>(messageFrame(sent.id), 1000)).toMatchObject({
      message: { id: sent.id, senderId: bob.user.id, body: 'Yes, it is.' },
    });
    await shop.backend.streams.idle();
    expect(stranger.frames).toEqual([]);
  });

  it('tells the reader’s devices the new unread count and the other participant where they read up to', async () => {
    const [readerLaptop, writer] = await Promise.all([device(bob), device(alice)]);
    const first = await shop.messages.sent(alice.accessToken, conversationId, 'one');
    const second = await shop.messages.sent(alice.accessToken, conversationId, 'two');
    await shop.messages.marked(bob.accessToken, conversationId, first.id);
    const isRead = (frame: ReadFrame) => frame.type === 'read' && frame.lastReadId === first.id;
    expect(await readerLaptop.next<ReadFrame>(isRead, 1000)).toEqual({
      type: 'read',
      conversationId,
      userId: bob.user.id,
      lastReadId: first.id,
      unreadCount: 1,
    });
    // The writer learns how far the reader got, not the reader's inbox state.
    expect(await writer.next<ReadFrame>(isRead, 1000)).toEqual({
      type: 'read',
      conversationId,
      userId: bob.user.id,
      lastReadId: first.id,
    });
    expect(second.id > first.id).toBe(true);
  });

  it('forgets a connection whose socket is gone when a delivery finds it so', async () => {
    await saveConnection(bob.user.id, 'GoneConnId=', new Date());
    const live = await device(bob);
    const sent = await shop.messages.sent(alice.accessToken, conversationId, 'still there?');
    await live.next(messageFrame(sent.id), 1000);
    await shop.backend.streams.idle();
    const ids = (await connectionsOf(bob.user.id)).map((c) => c.connectionId);
    expect(ids).not.toContain('GoneConnId=');
    expect(ids.length).toBeGreaterThan(0);
  });

  it('forgets a connection when its socket closes', async () => {
    const socket = await device(carol);
    const before = (await connectionsOf(carol.user.id)).length;
    await socket.close();
    await shop.backend.webSocket?.settled();
    expect((await connectionsOf(carol.user.id)).length).toBe(before - 1);
  });

  it('sends a poison record to the dead-letter queue and still delivers the rest of the batch', async () => {
    const queue = deliveryDeadLetterQueue();
    const depthBefore = shop.backend.sqs.depth(queue);
    const phone = await device(bob);
    // A corrupt message item (no conversation) as a bad deploy or a hand edit could leave one.
    // It is written raw on purpose: no store would write it.
    const { client, tableName } = table();
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: 'POISON#1', sk: 'MESSAGE#1', entity: 'message', body: 'no conversation' },
      }),
    );
    const after = await shop.messages.sent(alice.accessToken, conversationId, 'after the poison');
    expect(await phone.next<MessageFrame>(messageFrame(after.id), 5000)).toMatchObject({
      message: { body: 'after the poison' },
    });
    await shop.backend.streams.idle(30_000);
    expect(shop.backend.sqs.depth(queue)).toBe(depthBefore + 1);
    const { DDBStreamBatchInfo: info } = JSON.parse(shop.backend.sqs.peek(queue).at(-1) as string) as {
      DDBStreamBatchInfo: { streamArn: string; shardId: string; startSequenceNumber: string };
    };
    // As on AWS, the on-failure record names the range retried from the failed record (which
    // an operator replays from the stream); it starts at the poison record.
    expect(await streamRecordAt(info.streamArn, info.shardId, info.startSequenceNumber)).toMatchObject({
      pk: 'POISON#1',
    });
  }, 60_000);
});

describe('profile snapshots in conversations', () => {
  it('follow a participant’s new display name within the stream’s delay', async () => {
    const res = await call(
      `${shop.api}/me`,
      jsonInit('PATCH', { displayName: 'Bob the Builder' }, bearer(bob.accessToken)),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await shop.backend.streams.idle();
    const row = await shop.messages.rowOf(alice.accessToken, conversationId);
    expect(row?.other).toMatchObject({ id: bob.user.id, displayName: 'Bob the Builder' });
  });
});

describe('personal data of real-time connections', () => {
  it('are in the export (id and time only) and gone after erasure', async () => {
    const dave = await shop.accounts.newCustomer('dave');
    const socket = await device(dave);
    const exported = await call(`${shop.api}/me/export`, { headers: bearer(dave.accessToken) });
    expect(exported.status).toBe(200);
    expect(exported.body.connections).toEqual([
      { connectionId: expect.any(String), connectedAt: expect.any(String) },
    ]);
    const erased = await call(`${shop.api}/me`, {
      method: 'DELETE',
      headers: bearer(dave.accessToken),
    });
    expect(erased.status).toBe(204);
    expect(await connectionsOf(dave.user.id)).toEqual([]);
    await socket.close();
  });
});
