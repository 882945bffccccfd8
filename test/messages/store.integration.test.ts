import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { profileKey } from '../../functions/accounts/keys.ts';
import type { Account } from '../../functions/accounts/model.ts';
import { updateProfile } from '../../functions/accounts/profile-store.ts';
import { table } from '../../functions/core/db.ts';
import { DomainError } from '../../functions/core/domain-errors.ts';
import { asHttpError } from '../../functions/core/http.ts';
import { newId } from '../../functions/core/ids.ts';
import { blockUser, unblockUser } from '../../functions/messages/blocks-store.ts';
import {
  listConversations,
  listMessages,
  listOrderConversations,
  startConversation,
} from '../../functions/messages/conversations-store.ts';
import { conversationParticipants } from '../../functions/messages/items.ts';
import { type Conversation, DELETED_BODY, type Message } from '../../functions/messages/model.ts';
import { markRead } from '../../functions/messages/read-state-store.ts';
import { sendMessage } from '../../functions/messages/sending-store.ts';
import { handler as syncProfiles } from '../../functions/messages/sync-profiles.ts';
import { createOrder } from '../../functions/orders/placement-store.ts';
import { erasePersonalData, exportPersonalData } from '../../functions/privacy/personal-data.ts';
import { quietLogger } from '../support/logs.ts';
import { storedProduct } from '../support/products.ts';
import { modifiedItem, streamEvent } from '../support/stream-events.ts';
import { useFreshTable } from '../support/table.ts';
import { aUser } from '../support/users.ts';

// A clock that runs ahead for the ids of one "instance": the skew case needs ids that the
// test process's monotonic factory did not make.
const skew = vi.hoisted(() => ({ aheadMs: 0 }));
vi.mock('../../functions/core/ids.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../functions/core/ids.ts')>();
  const { ulid: unordered } = await import('ulid');
  return {
    ...actual,
    newId: (at?: number) =>
      skew.aheadMs > 0 ? unordered((at ?? Date.now()) + skew.aheadMs) : actual.newId(at),
  };
});

const statusOf = (promise: Promise<unknown>): Promise<number> =>
  promise.then(
    () => 200,
    (error: unknown) => (error instanceof DomainError ? asHttpError(error).statusCode : 500),
  );

const as = (account: Account, isAdmin = false) => ({ userId: account.id, isAdmin });

/** The caller's inbox row of one conversation. */
async function rowOf(account: Account, conversationId: string): Promise<Conversation | undefined> {
  return (await listConversations(account.id, 50)).items.find((row) => row.id === conversationId);
}

/** Every message of a conversation, newest first, as a participant or support reads it. */
async function messagesOf(account: Account, conversationId: string, isAdmin = false): Promise<Message[]> {
  return (await listMessages(as(account, isAdmin), conversationId, 100)).items;
}

/** A new conversation between two fresh users. */
async function aConversation(labels: [string, string] = ['alice', 'bob']) {
  const [from, to] = await Promise.all([aUser(labels[0]), aUser(labels[1])]);
  const { conversation } = await startConversation(as(from), { participantId: to.id });
  return { from, to, conversation };
}

/** A pending order of the user for one unit of a fresh product. */
async function anOrderOf(account: Account): Promise<string> {
  const product = await storedProduct({ stock: 5 });
  const { order } = await createOrder(
    account.id,
    { items: [{ productId: product.id, quantity: 1 }] },
    `key-${newId()}`,
  );
  return order.id;
}

/** An admin, and a customer's conversation with a seller about the customer's order. */
async function anOrderConversation(adminLabel = 'support') {
  const [admin, customer, seller] = await Promise.all([
    aUser(adminLabel, 'admin'),
    aUser('customer'),
    aUser('seller'),
  ]);
  const orderId = await anOrderOf(customer);
  const { conversation } = await startConversation(as(customer), { participantId: seller.id, orderId });
  return { admin, customer, seller, conversation };
}

/** Sends `count` messages one after another; returns them oldest first. */
async function sendMany(sender: Account, conversationId: string, count: number): Promise<Message[]> {
  const sent: Message[] = [];
  for (let i = 0; i < count; i++) {
    sent.push((await sendMessage(as(sender), conversationId, { body: `message ${i}` })).message);
  }
  return sent;
}

/** The raw stored item (what a stream image is made of). */
async function storedItem(pk: string, sk: string): Promise<Record<string, unknown>> {
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }),
  );
  return out.Item ?? {};
}

/** Every item of the table whose serialized form mentions `needle`. */
async function itemsMentioning(needle: string): Promise<Record<string, unknown>[]> {
  const { client, tableName } = table();
  const found: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    found.push(...(out.Items ?? []).filter((item) => JSON.stringify(item).includes(needle)));
    start = out.LastEvaluatedKey;
  } while (start);
  return found;
}

describe('messages store', () => {
  beforeAll(async () => {
    await useFreshTable();
    quietLogger();
  });

  afterEach(() => {
    skew.aheadMs = 0;
    vi.useRealTimers();
  });

  describe('startConversation', () => {
    it('creates a conversation both participants see, each with the other’s public profile and nothing unread', async () => {
      const [alice, bob] = await Promise.all([aUser('alice'), aUser('bob')]);
      const { conversation, created } = await startConversation(as(alice), {
        participantId: bob.id,
        subject: 'The lamp',
      });
      expect(created).toBe(true);
      expect(conversation).toEqual({
        id: expect.any(String),
        orderId: null,
        subject: 'The lamp',
        participantIds: [alice.id, bob.id],
        other: { id: bob.id, displayName: bob.displayName, bio: '' },
        lastMessage: null,
        unreadCount: 0,
        lastReadId: null,
        lastActivityAt: conversation.createdAt,
        createdAt: expect.any(String),
      });
      expect(await rowOf(alice, conversation.id)).toEqual(conversation);
      expect(await rowOf(bob, conversation.id)).toEqual({
        ...conversation,
        other: { id: alice.id, displayName: alice.displayName, bio: '' },
      });
      expect(await conversationParticipants(conversation.id)).toEqual([alice.id, bob.id]);
    });

    it('answers the existing conversation, whichever of the two asks again about nothing', async () => {
      const { from, to, conversation } = await aConversation();
      const again = await startConversation(as(from), { participantId: to.id, subject: 'ignored' });
      const reverse = await startConversation(as(to), { participantId: from.id });
      expect(again).toEqual({ conversation, created: false });
      expect(reverse.created).toBe(false);
      expect(reverse.conversation.id).toBe(conversation.id);
      expect((await listConversations(from.id, 50)).items).toHaveLength(1);
    });

    it('keeps one conversation per order between two users, apart from their general one', async () => {
      const [buyer, seller] = await Promise.all([aUser('buyer'), aUser('seller')]);
      const [first, second] = await Promise.all([anOrderOf(buyer), anOrderOf(buyer)]);
      const general = await startConversation(as(buyer), { participantId: seller.id });
      const aboutFirst = await startConversation(as(buyer), { participantId: seller.id, orderId: first });
      const aboutSecond = await startConversation(as(buyer), { participantId: seller.id, orderId: second });
      const firstAgain = await startConversation(as(buyer), { participantId: seller.id, orderId: first });
      const ids = [general, aboutFirst, aboutSecond].map((r) => r.conversation.id);
      expect(new Set(ids).size).toBe(3);
      expect(firstAgain).toEqual({ conversation: aboutFirst.conversation, created: false });
      expect(aboutFirst.conversation.orderId).toBe(first);
      const orderConversations = (await listOrderConversations(50)).items.map((c) => c.id);
      expect(orderConversations).toEqual(expect.arrayContaining([ids[1], ids[2]]));
      expect(orderConversations).not.toContain(ids[0]);
    });

    it('creates one conversation when 10 requests for the same pair race, in both directions', async () => {
      const [a, b] = await Promise.all([aUser('racer-a'), aUser('racer-b')]);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i % 2 === 0
            ? startConversation(as(a), { participantId: b.id })
            : startConversation(as(b), { participantId: a.id }),
        ),
      );
      expect(new Set(results.map((r) => r.conversation.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect((await listConversations(a.id, 50)).items).toHaveLength(1);
      expect((await listConversations(b.id, 50)).items).toHaveLength(1);
    });

    it('refuses yourself, an unknown user and an order that is not yours with 422, and writes nothing', async () => {
      const [me, other] = await Promise.all([aUser('me'), aUser('other')]);
      const othersOrder = await anOrderOf(other);
      expect(await statusOf(startConversation(as(me), { participantId: me.id }))).toBe(422);
      expect(await statusOf(startConversation(as(me), { participantId: newId() }))).toBe(422);
      expect(
        await statusOf(startConversation(as(me), { participantId: other.id, orderId: othersOrder })),
      ).toBe(422);
      expect(await statusOf(startConversation(as(me), { participantId: other.id, orderId: newId() }))).toBe(
        422,
      );
      expect((await listConversations(me.id, 50)).items).toEqual([]);
      expect((await listConversations(other.id, 50)).items).toEqual([]);
    });

    it('lets an admin start a conversation about any customer’s order', async () => {
      const [admin, customer] = await Promise.all([aUser('admin', 'admin'), aUser('customer')]);
      const orderId = await anOrderOf(customer);
      const { conversation, created } = await startConversation(as(admin, true), {
        participantId: customer.id,
        orderId,
      });
      expect(created).toBe(true);
      expect((await rowOf(customer, conversation.id))?.orderId).toBe(orderId);
    });

    it('refuses a user the participant blocked with 403, even when their conversation exists', async () => {
      const { from, to, conversation } = await aConversation(['pest', 'victim']);
      const stranger = await aUser('stranger');
      await blockUser(to.id, from.id);
      await blockUser(to.id, stranger.id);
      expect(await statusOf(startConversation(as(from), { participantId: to.id }))).toBe(403);
      expect(await statusOf(startConversation(as(stranger), { participantId: to.id }))).toBe(403);
      expect((await listConversations(stranger.id, 50)).items).toEqual([]);
      // The blocker can still reach the blocked user.
      expect((await startConversation(as(to), { participantId: from.id })).conversation.id).toBe(
        conversation.id,
      );
      await unblockUser(to.id, stranger.id);
      expect((await startConversation(as(stranger), { participantId: to.id })).created).toBe(true);
    });
  });

  describe('sendMessage', () => {
    it('writes the message, moves both inbox rows and adds one unread message for the recipient only', async () => {
      const { from, to, conversation } = await aConversation();
      const body = `${'x'.repeat(139)}😀 and more`;
      const { message, replayed } = await sendMessage(as(from), conversation.id, {
        body,
        clientMessageId: 'phone-1:42',
      });
      expect(replayed).toBe(false);
      expect(message).toEqual({
        id: expect.any(String),
        conversationId: conversation.id,
        senderId: from.id,
        fromSupport: false,
        body,
        createdAt: expect.any(String),
        deleted: false,
        clientMessageId: 'phone-1:42',
      });
      const preview = {
        id: message.id,
        senderId: from.id,
        body: `${'x'.repeat(139)}😀`,
        createdAt: message.createdAt,
      };
      expect(await rowOf(to, conversation.id)).toMatchObject({
        lastMessage: preview,
        unreadCount: 1,
        lastActivityAt: message.createdAt,
      });
      expect(await rowOf(from, conversation.id)).toMatchObject({ lastMessage: preview, unreadCount: 0 });
      expect(await messagesOf(to, conversation.id)).toEqual([message]);
    });

    it('lists a conversation whose message is newest first in the inbox', async () => {
      const me = await aUser('busy');
      const [x, y] = await Promise.all([aUser('x'), aUser('y')]);
      const withX = await startConversation(as(me), { participantId: x.id });
      const withY = await startConversation(as(me), { participantId: y.id });
      expect((await listConversations(me.id, 50)).items.map((c) => c.id)).toEqual([
        withY.conversation.id,
        withX.conversation.id,
      ]);
      await sendMessage(as(x), withX.conversation.id, { body: 'bump' });
      expect((await listConversations(me.id, 50)).items.map((c) => c.id)).toEqual([
        withX.conversation.id,
        withY.conversation.id,
      ]);
    });

    it('lets support answer an order conversation: unread for both participants, on the support index', async () => {
      const { admin, customer, seller, conversation } = await anOrderConversation();
      const { message } = await sendMessage(as(admin, true), conversation.id, { body: 'Support here.' });
      expect(message).toMatchObject({ senderId: admin.id, fromSupport: true });
      expect((await rowOf(customer, conversation.id))?.unreadCount).toBe(1);
      expect((await rowOf(seller, conversation.id))?.unreadCount).toBe(1);
      expect(await messagesOf(admin, conversation.id, true)).toEqual([message]);
      expect((await exportPersonalData(admin.id)).messages).toMatchObject({ supportMessages: [message] });
    });

    it('answers anyone else with 404 and writes nothing: a stranger, an admin outside order conversations', async () => {
      const { from, to, conversation } = await aConversation();
      const [stranger, admin] = await Promise.all([aUser('stranger'), aUser('admin', 'admin')]);
      expect(await statusOf(sendMessage(as(stranger), conversation.id, { body: 'hi' }))).toBe(404);
      expect(await statusOf(sendMessage(as(admin, true), conversation.id, { body: 'hi' }))).toBe(404);
      expect(await statusOf(sendMessage(as(from), newId(), { body: 'hi' }))).toBe(404);
      expect(await statusOf(listMessages(as(stranger), conversation.id, 10))).toBe(404);
      expect(await statusOf(listMessages(as(admin, true), conversation.id, 10))).toBe(404);
      expect(await messagesOf(to, conversation.id)).toEqual([]);
      expect((await rowOf(to, conversation.id))?.unreadCount).toBe(0);
    });

    it('refuses a message to a participant who blocked the sender with 403, and writes nothing', async () => {
      const { from, to, conversation } = await aConversation(['pest', 'victim']);
      await blockUser(to.id, from.id);
      await blockUser(to.id, from.id);
      expect(await statusOf(sendMessage(as(from), conversation.id, { body: 'hello?' }))).toBe(403);
      expect((await sendMessage(as(to), conversation.id, { body: 'leave me alone' })).message.senderId).toBe(
        to.id,
      );
      expect((await messagesOf(to, conversation.id)).map((m) => m.senderId)).toEqual([to.id]);
      await unblockUser(to.id, from.id);
      expect(await statusOf(sendMessage(as(from), conversation.id, { body: 'sorry' }))).toBe(200);
    });

    it('counts 20 parallel sends in one conversation exactly: 20 messages, 20 unread', async () => {
      const { from, to, conversation } = await aConversation(['chatty', 'reader']);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => sendMessage(as(from), conversation.id, { body: `burst ${i}` })),
      );
      const messages = await messagesOf(to, conversation.id);
      expect(messages).toHaveLength(20);
      expect(new Set(results.map((r) => r.message.id)).size).toBe(20);
      expect((await rowOf(to, conversation.id))?.unreadCount).toBe(20);
      // Messages commit in id order, so the preview is the newest message.
      expect((await rowOf(to, conversation.id))?.lastMessage?.id).toBe(messages[0]?.id);
    });

    it('makes one message of parallel sends with one clientMessageId; the same id with another body is 422', async () => {
      const { from, to, conversation } = await aConversation(['flaky-phone', 'friend']);
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          sendMessage(as(from), conversation.id, { body: 'on my way', clientMessageId: 'retry-me' }),
        ),
      );
      expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      expect(await messagesOf(to, conversation.id)).toHaveLength(1);
      expect((await rowOf(to, conversation.id))?.unreadCount).toBe(1);
      expect(
        await statusOf(
          sendMessage(as(from), conversation.id, { body: 'other', clientMessageId: 'retry-me' }),
        ),
      ).toBe(422);
      // Another sender's identical clientMessageId is their own.
      expect(
        (await sendMessage(as(to), conversation.id, { body: 'ok', clientMessageId: 'retry-me' })).replayed,
      ).toBe(false);
    });

    it('gives a message a later id when the recipient already read past the fresh one (clock skew)', async () => {
      const { from, to, conversation } = await aConversation(['fast-clock', 'slow-clock']);
      skew.aheadMs = 60_000;
      const ahead = (await sendMessage(as(from), conversation.id, { body: 'from the future' })).message;
      skew.aheadMs = 0;
      expect((await markRead(as(to), conversation.id, ahead.id)).lastReadId).toBe(ahead.id);
      const fresh = newId();
      expect(fresh < ahead.id).toBe(true);

      const { message } = await sendMessage(as(from), conversation.id, { body: 'from the present' });
      expect(message.id > ahead.id).toBe(true);
      expect(message.createdAt >= ahead.createdAt).toBe(true);
      expect(await rowOf(to, conversation.id)).toMatchObject({ unreadCount: 1, lastReadId: ahead.id });
      expect((await markRead(as(to), conversation.id, message.id)).unreadCount).toBe(0);
    });

    it('takes 30 messages a minute from one sender and answers the 31st with 429 and Retry-After', async () => {
      const { from, to, conversation } = await aConversation(['spammer', 'target']);
      const minute = Math.floor(Date.now() / 60_000) + 1;
      vi.useFakeTimers({ toFake: ['Date'], now: minute * 60_000 + 15_000 });
      await sendMany(from, conversation.id, 30);
      const error = await sendMessage(as(from), conversation.id, { body: 'one too many' }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DomainError);
      expect(asHttpError(error)).toMatchObject({
        statusCode: 429,
        slug: 'rate-limited',
        headers: { 'retry-after': '45' },
      });
      expect((await rowOf(to, conversation.id))?.unreadCount).toBe(30);
      // The recipient still answers, and the next minute the sender may again.
      expect(await statusOf(sendMessage(as(to), conversation.id, { body: 'stop' }))).toBe(200);
      vi.setSystemTime((minute + 1) * 60_000);
      expect(await statusOf(sendMessage(as(from), conversation.id, { body: 'a new minute' }))).toBe(200);
    });

    it('answers a replayed clientMessageId even when the sender is over the rate limit', async () => {
      const { from, conversation } = await aConversation(['retrier', 'friend']);
      const minute = Math.floor(Date.now() / 60_000) + 1;
      vi.useFakeTimers({ toFake: ['Date'], now: minute * 60_000 + 1_000 });
      const first = await sendMessage(as(from), conversation.id, { body: 'hello', clientMessageId: 'c-1' });
      await sendMany(from, conversation.id, 29);
      const retry = await sendMessage(as(from), conversation.id, { body: 'hello', clientMessageId: 'c-1' });
      expect(retry).toEqual({ message: first.message, replayed: true });
    });
  });

  describe('markRead', () => {
    it('drops the unread count by the others’ messages read, never counting the reader’s own', async () => {
      const { from, to, conversation } = await aConversation();
      const theirs = await sendMany(from, conversation.id, 4);
      await sendMany(to, conversation.id, 2);
      const more = await sendMany(from, conversation.id, 2);
      expect((await rowOf(to, conversation.id))?.unreadCount).toBe(6);
      expect(await markRead(as(to), conversation.id, theirs[1]?.id ?? '')).toEqual({
        conversationId: conversation.id,
        lastReadId: theirs[1]?.id,
        unreadCount: 4,
      });
      expect(await markRead(as(to), conversation.id, more[1]?.id ?? '')).toEqual({
        conversationId: conversation.id,
        lastReadId: more[1]?.id,
        unreadCount: 0,
      });
      expect((await rowOf(from, conversation.id))?.unreadCount).toBe(2);
    });

    it('never moves backwards: reading up to an earlier message changes nothing', async () => {
      const { from, to, conversation } = await aConversation();
      const sent = await sendMany(from, conversation.id, 3);
      await markRead(as(to), conversation.id, sent[2]?.id ?? '');
      expect(await markRead(as(to), conversation.id, sent[0]?.id ?? '')).toEqual({
        conversationId: conversation.id,
        lastReadId: sent[2]?.id,
        unreadCount: 0,
      });
    });

    it('reads up to the newest message when upTo is beyond it, so later messages still count', async () => {
      const { from, to, conversation } = await aConversation();
      const sent = await sendMany(from, conversation.id, 2);
      const beyond = ulid(Date.now() + 3_600_000);
      expect(await markRead(as(to), conversation.id, beyond)).toMatchObject({
        lastReadId: sent[1]?.id,
        unreadCount: 0,
      });
      await sendMany(from, conversation.id, 1);
      expect((await rowOf(to, conversation.id))?.unreadCount).toBe(1);
    });

    it('never goes below zero or backwards when two devices race, while messages keep coming', async () => {
      const { from, to, conversation } = await aConversation(['writer', 'two-devices']);
      const sent = await sendMany(from, conversation.id, 10);
      const upTos = [9, 4, 9, 2, 7, 9, 0, 5, 9, 8].map((i) => sent[i]?.id ?? '');
      const [reads] = await Promise.all([
        Promise.all(upTos.map((upTo) => markRead(as(to), conversation.id, upTo))),
        Promise.all(
          Array.from({ length: 5 }, (_, i) => sendMessage(as(from), conversation.id, { body: `late ${i}` })),
        ),
      ]);
      for (const state of reads) expect(state.unreadCount).toBeGreaterThanOrEqual(0);
      expect(await rowOf(to, conversation.id)).toMatchObject({ lastReadId: sent[9]?.id, unreadCount: 5 });
    });

    it('answers a non-participant with 404 and support with 403', async () => {
      const [{ admin, customer, seller, conversation }, stranger] = await Promise.all([
        anOrderConversation(),
        aUser('stranger'),
      ]);
      const { message } = await sendMessage(as(seller), conversation.id, { body: 'shipped' });
      expect(await statusOf(markRead(as(stranger), conversation.id, message.id))).toBe(404);
      expect(await statusOf(markRead(as(admin, true), conversation.id, message.id))).toBe(403);
      expect(await statusOf(markRead(as(admin, true), newId(), message.id))).toBe(404);
      expect((await rowOf(customer, conversation.id))?.unreadCount).toBe(1);
    });
  });

  describe('listMessages', () => {
    it('pages newest first with a cursor bound to the caller and the conversation', async () => {
      const { from, to, conversation } = await aConversation();
      const sent = await sendMany(from, conversation.id, 5);
      const first = await listMessages(as(to), conversation.id, 2);
      expect(first.items.map((m) => m.id)).toEqual([sent[4]?.id, sent[3]?.id]);
      const second = await listMessages(as(to), conversation.id, 2, first.nextCursor ?? '');
      expect(second.items.map((m) => m.id)).toEqual([sent[2]?.id, sent[1]?.id]);
      const third = await listMessages(as(to), conversation.id, 2, second.nextCursor ?? '');
      expect(third.items.map((m) => m.id)).toEqual([sent[0]?.id]);
      expect(third.nextCursor).toBeNull();
      expect(await statusOf(listMessages(as(from), conversation.id, 2, first.nextCursor ?? ''))).toBe(400);
      expect(await statusOf(listMessages(as(to, true), conversation.id, 2, first.nextCursor ?? ''))).toBe(
        400,
      );
    });
  });

  describe('personal data', () => {
    it('exports the user’s conversations with every message in both directions, and their blocks', async () => {
      const { from, to, conversation } = await aConversation(['exporter', 'friend']);
      const pest = await aUser('pest');
      const mine = await sendMessage(as(from), conversation.id, { body: 'mine', clientMessageId: 'e-1' });
      const theirs = await sendMessage(as(to), conversation.id, { body: 'theirs' });
      await blockUser(from.id, pest.id);
      const exported = (await exportPersonalData(from.id)).messages as Record<string, unknown>;
      expect(exported).toEqual({
        conversations: [
          {
            ...(await rowOf(from, conversation.id)),
            messages: [mine.message, theirs.message],
          },
        ],
        supportMessages: [],
        blocks: [{ userId: pest.id, createdAt: expect.any(String) }],
      });
    });

    it('erases a user: their messages become [deleted] without an author, the other participant keeps theirs, and nothing names them', async () => {
      const [erased, friend, admin, blocker, blockee] = await Promise.all([
        aUser('erased'),
        aUser('friend'),
        aUser('support', 'admin'),
        aUser('blocker'),
        aUser('blockee'),
      ]);
      const orderId = await anOrderOf(erased);
      const { conversation } = await startConversation(as(erased), { participantId: friend.id, orderId });
      const kept = (await sendMessage(as(friend), conversation.id, { body: 'hi there' })).message;
      const support = (await sendMessage(as(admin, true), conversation.id, { body: 'support' })).message;
      const gone = (
        await sendMessage(as(erased), conversation.id, { body: 'secret', clientMessageId: 'x-1' })
      ).message;
      await blockUser(erased.id, blockee.id);
      await blockUser(blocker.id, erased.id);
      expect(await itemsMentioning(erased.id)).not.toEqual([]);

      await erasePersonalData(erased.id);

      expect(await itemsMentioning(erased.id)).toEqual([]);
      const { clientMessageId: _forgotten, ...anonymized } = gone;
      expect(await messagesOf(friend, conversation.id)).toEqual([
        { ...anonymized, senderId: null, body: DELETED_BODY, deleted: true },
        support,
        kept,
      ]);
      const row = await rowOf(friend, conversation.id);
      expect(row).toMatchObject({
        participantIds: [null, friend.id],
        other: { id: null, displayName: 'Deleted user', bio: '' },
        lastMessage: { id: gone.id, senderId: null, body: DELETED_BODY },
      });
      const listed = (await listOrderConversations(50)).items.find((c) => c.id === conversation.id);
      expect(listed).toMatchObject({
        participantIds: [null, friend.id],
        lastMessage: { body: DELETED_BODY },
      });
      expect(await conversationParticipants(conversation.id)).toEqual([friend.id]);
      // The conversation can be read, not answered, and the friend cannot start a new one.
      expect(await statusOf(sendMessage(as(friend), conversation.id, { body: 'hello?' }))).toBe(422);
      expect(await statusOf(startConversation(as(friend), { participantId: erased.id }))).toBe(422);
    });

    it('leaves no message of the user behind when they keep sending while their account is erased', async () => {
      const { from, to, conversation } = await aConversation(['leaving', 'staying']);
      await sendMany(from, conversation.id, 3);
      /** Sends one message after another until one is refused (at most 25: under the rate limit). */
      async function keepSending(): Promise<number[]> {
        const statuses: number[] = [];
        while (statuses.length < 25 && statuses.at(-1) !== 404) {
          statuses.push(await statusOf(sendMessage(as(from), conversation.id, { body: 'last words' })));
        }
        return statuses;
      }
      const [, statuses] = await Promise.all([erasePersonalData(from.id), keepSending()]);
      expect(statuses.at(-1)).toBe(404);
      expect(statuses.slice(0, -1).every((status) => status === 200)).toBe(true);
      const left = await messagesOf(to, conversation.id);
      expect(left).toHaveLength(3 + statuses.length - 1);
      expect(left.every((message) => message.senderId === null && message.body === DELETED_BODY)).toBe(true);
      expect(await itemsMentioning(from.id)).toEqual([]);
    });

    it('erases an admin’s support messages in conversations they were not part of', async () => {
      const { admin, customer, seller, conversation } = await anOrderConversation('leaving-support');
      await sendMessage(as(admin, true), conversation.id, { body: 'support answer', clientMessageId: 's-1' });
      await erasePersonalData(admin.id);
      expect(await itemsMentioning(admin.id)).toEqual([]);
      expect(await messagesOf(customer, conversation.id)).toEqual([
        expect.objectContaining({ senderId: null, fromSupport: true, body: DELETED_BODY, deleted: true }),
      ]);
      expect((await rowOf(seller, conversation.id))?.lastMessage).toMatchObject({
        senderId: null,
        body: DELETED_BODY,
      });
    });
  });

  describe('sync-profiles (stream consumer)', () => {
    const profileItem = (account: Account) => {
      const { pk, sk } = profileKey(account.id);
      return storedItem(pk, sk);
    };
    const later = (item: Record<string, unknown>, ms: number) =>
      new Date(Date.parse(String(item.updatedAt)) + ms).toISOString();

    it('rewrites the counterpart’s snapshot when a display name changes; a replay changes nothing more', async () => {
      const { from, to, conversation } = await aConversation(['renamer', 'friend']);
      const before = await profileItem(from);
      const record = modifiedItem(before, {
        displayName: 'New Name',
        bio: 'New bio',
        updatedAt: later(before, 1),
      });
      expect(await syncProfiles(streamEvent(record))).toEqual({ batchItemFailures: [] });
      const synced = await rowOf(to, conversation.id);
      expect(synced?.other).toEqual({ id: from.id, displayName: 'New Name', bio: 'New bio' });
      expect(await syncProfiles(streamEvent(record))).toEqual({ batchItemFailures: [] });
      expect(await rowOf(to, conversation.id)).toEqual(synced);
      // The user's own row names the friend, untouched.
      expect((await rowOf(from, conversation.id))?.other.displayName).toBe(to.displayName);
    });

    it('never puts an older profile back: a late record of an earlier change is ignored', async () => {
      const { from, to, conversation } = await aConversation(['renamer', 'friend']);
      const before = await profileItem(from);
      const first = modifiedItem(before, { displayName: 'First', updatedAt: later(before, 1) });
      const second = modifiedItem(before, { displayName: 'Second', updatedAt: later(before, 2) });
      await syncProfiles(streamEvent(second, first));
      expect((await rowOf(to, conversation.id))?.other.displayName).toBe('Second');
    });

    it('follows a real profile change and ignores changes of other fields or other items', async () => {
      const { from, to, conversation } = await aConversation(['renamer', 'friend']);
      const before = await profileItem(from);
      await updateProfile(from.id, { bio: 'Reads a lot.' });
      const after = await profileItem(from);
      const untouched = await rowOf(to, conversation.id);
      await syncProfiles(
        streamEvent(
          modifiedItem(before, { updatedAt: later(before, 5), role: 'admin' }),
          modifiedItem({ ...before, entity: 'session' }, { displayName: 'Not a profile' }),
        ),
      );
      expect(await rowOf(to, conversation.id)).toEqual(untouched);
      await syncProfiles(streamEvent(modifiedItem(before, after)));
      expect((await rowOf(to, conversation.id))?.other.bio).toBe('Reads a lot.');
    });

    it('writes nothing back for a user who was erased meanwhile', async () => {
      const { from, to, conversation } = await aConversation(['leaver', 'friend']);
      const before = await profileItem(from);
      await erasePersonalData(from.id);
      await syncProfiles(
        streamEvent(modifiedItem(before, { displayName: 'Ghost', updatedAt: later(before, 1) })),
      );
      expect((await rowOf(to, conversation.id))?.other).toEqual({
        id: null,
        displayName: 'Deleted user',
        bio: '',
      });
    });
  });
});
