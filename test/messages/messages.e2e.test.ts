import { beforeAll, describe, expect, it } from 'vitest';
import type { Conversation, Message, SupportConversation } from '../../functions/messages/model.ts';
import {
  type ApiResponse,
  bearer,
  errorPaths,
  expectProblem,
  type Session,
} from '../support/accounts-api.ts';
import { call } from '../support/local-api.ts';
import { conversationOf, itemsOf, messageOf } from '../support/messages-api.ts';
import { adminSession, statusCounts, warmUp } from '../support/orders-api.ts';
import { useShop } from '../support/shop.ts';

const SLOW = 180_000;
const NO_SUCH_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

describe('messages through the local API', () => {
  const shop = useShop();
  let admin: Session;

  beforeAll(async () => {
    admin = await adminSession(shop.backend);
  });

  /** Two fresh customers. */
  const twoCustomers = (a = 'alice', b = 'bob') =>
    Promise.all([shop.accounts.newCustomer(a), shop.accounts.newCustomer(b)]);
  /** A pending order of the customer. */
  async function orderOf(customer: Session): Promise<string> {
    const product = await shop.orders.createProduct(admin.accessToken, { stock: 20 });
    return (await shop.orders.placed(customer.accessToken, [{ productId: product.id, quantity: 1 }])).id;
  }

  describe('a conversation between two customers', () => {
    it('starts with 201, is the same conversation (200) whoever asks again, and shows each the other’s public profile', async () => {
      const [alice, bob] = await twoCustomers();
      const first = await shop.messages.start(alice.accessToken, {
        participantId: bob.user.id,
        subject: '  The lamp  ',
      });
      expect(first.status).toBe(201);
      expect(first.headers.get('cache-control')).toBe('no-store');
      const conversation = conversationOf(first);
      expect(conversation).toMatchObject({
        orderId: null,
        subject: 'The lamp',
        participantIds: [alice.user.id, bob.user.id],
        other: { id: bob.user.id, displayName: bob.user.displayName, bio: '' },
        lastMessage: null,
        unreadCount: 0,
        lastReadId: null,
      });
      expect(JSON.stringify(conversation)).not.toContain(bob.user.email);

      const again = await shop.messages.start(alice.accessToken, { participantId: bob.user.id });
      expect(again.status).toBe(200);
      expect(conversationOf(again)).toEqual(conversation);
      const reverse = await shop.messages.start(bob.accessToken, { participantId: alice.user.id });
      expect(reverse.status).toBe(200);
      expect(conversationOf(reverse)).toMatchObject({
        id: conversation.id,
        other: { id: alice.user.id, displayName: alice.user.displayName },
      });
    });

    it('keeps a conversation per order apart from the general one', async () => {
      const [alice, bob] = await twoCustomers();
      const orderId = await orderOf(alice);
      const general = await shop.messages.started(alice.accessToken, { participantId: bob.user.id });
      const aboutOrder = await shop.messages.start(alice.accessToken, {
        participantId: bob.user.id,
        orderId,
      });
      expect(aboutOrder.status).toBe(201);
      expect(conversationOf(aboutOrder).id).not.toBe(general.id);
      expect(conversationOf(aboutOrder).orderId).toBe(orderId);
    });

    it('delivers messages newest first, with previews and unread counts in the inbox; reading drops the count', async () => {
      const [alice, bob] = await twoCustomers();
      const conversation = await shop.messages.started(alice.accessToken, { participantId: bob.user.id });
      const hello = await shop.messages.sent(alice.accessToken, conversation.id, 'Hello Bob!');
      const again = await shop.messages.sent(alice.accessToken, conversation.id, 'Still there?');
      const reply = await shop.messages.sent(bob.accessToken, conversation.id, 'Yes!');
      expect(hello).toMatchObject({
        conversationId: conversation.id,
        senderId: alice.user.id,
        fromSupport: false,
        body: 'Hello Bob!',
        deleted: false,
      });
      expect((await shop.messages.allMessages(bob.accessToken, conversation.id)).map((m) => m.id)).toEqual([
        reply.id,
        again.id,
        hello.id,
      ]);
      expect(await shop.messages.rowOf(bob.accessToken, conversation.id)).toMatchObject({
        unreadCount: 2,
        lastMessage: { id: reply.id, senderId: bob.user.id, body: 'Yes!' },
        lastActivityAt: reply.createdAt,
      });
      expect((await shop.messages.rowOf(alice.accessToken, conversation.id))?.unreadCount).toBe(1);

      expect(await shop.messages.marked(bob.accessToken, conversation.id, hello.id)).toEqual({
        conversationId: conversation.id,
        lastReadId: hello.id,
        unreadCount: 1,
      });
      expect(await shop.messages.marked(bob.accessToken, conversation.id, reply.id)).toEqual({
        conversationId: conversation.id,
        lastReadId: reply.id,
        unreadCount: 0,
      });
      // Never backwards: an older position changes nothing.
      expect((await shop.messages.marked(bob.accessToken, conversation.id, hello.id)).lastReadId).toBe(
        reply.id,
      );
    });

    it('answers a retried clientMessageId with the first message and idempotent-replayed: true; another body is 422', async () => {
      const [alice, bob] = await twoCustomers();
      const conversation = await shop.messages.started(alice.accessToken, { participantId: bob.user.id });
      const body = { body: 'On my way', clientMessageId: 'phone:retry-1' };
      const first = await shop.messages.send(alice.accessToken, conversation.id, body);
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const retry = await shop.messages.send(alice.accessToken, conversation.id, body);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(messageOf(retry)).toEqual(messageOf(first));
      const reused = await shop.messages.send(alice.accessToken, conversation.id, {
        ...body,
        body: 'Changed my mind',
      });
      expectProblem(reused, 422);
      expect(errorPaths(reused)).toEqual(['body.clientMessageId']);
      expect(await shop.messages.allMessages(bob.accessToken, conversation.id)).toHaveLength(1);
      expect((await shop.messages.rowOf(bob.accessToken, conversation.id))?.unreadCount).toBe(1);
    });

    it(
      'counts 20 parallel sends exactly: 20 x 201, 20 messages, unread 20; parallel retries of one clientMessageId make one',
      async () => {
        const [alice, bob] = await twoCustomers('burst', 'reader');
        const conversation = await shop.messages.started(alice.accessToken, { participantId: bob.user.id });
        await warmUp(20, () => shop.messages.send(alice.accessToken, NO_SUCH_ID, { body: 'warm-up' }));
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            shop.messages.send(alice.accessToken, conversation.id, { body: `burst ${i}` }),
          ),
        );
        expect(statusCounts(results), JSON.stringify(results.map((r) => r.body.detail))).toEqual({ 201: 20 });
        const all = await shop.messages.allMessages(bob.accessToken, conversation.id);
        expect(all).toHaveLength(20);
        expect(await shop.messages.rowOf(bob.accessToken, conversation.id)).toMatchObject({
          unreadCount: 20,
          lastMessage: { id: all[0]?.id },
        });

        const retries = await Promise.all(
          Array.from({ length: 8 }, () =>
            shop.messages.send(bob.accessToken, conversation.id, {
              body: 'got them',
              clientMessageId: 'once',
            }),
          ),
        );
        expect(statusCounts(retries)).toEqual({ 201: 8 });
        expect(new Set(retries.map((r) => messageOf(r).id)).size).toBe(1);
        expect((await shop.messages.rowOf(alice.accessToken, conversation.id))?.unreadCount).toBe(1);
      },
      SLOW,
    );

    it(
      'answers a sender over 30 messages a minute with 429, problem+json and Retry-After',
      async () => {
        const [alice, bob] = await twoCustomers('spammer', 'target');
        const conversation = await shop.messages.started(alice.accessToken, { participantId: bob.user.id });
        const answers: ApiResponse[] = [];
        // Within 61 sends a minute window fills up, whichever second it starts in.
        for (let i = 0; i < 61 && answers.at(-1)?.status !== 429; i++) {
          answers.push(await shop.messages.send(alice.accessToken, conversation.id, { body: `spam ${i}` }));
        }
        const limited = answers.at(-1) as ApiResponse;
        expectProblem(limited, 429);
        expect(limited.body.type).toBe('/problems/rate-limited');
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
        expect(answers.slice(0, -1).every((res) => res.status === 201)).toBe(true);
        expect(answers.length).toBeGreaterThan(30);
        // The refused message was not written.
        expect((await shop.messages.rowOf(bob.accessToken, conversation.id))?.unreadCount).toBe(
          answers.length - 1,
        );
      },
      SLOW,
    );
  });

  describe('refusals', () => {
    it('answers yourself, an unknown user, an erased user and someone else’s order with 422, writing nothing', async () => {
      const [alice, bob] = await twoCustomers();
      const leaver = await shop.accounts.newCustomer('leaver');
      expect(
        (await call(`${shop.api}/me`, { method: 'DELETE', headers: bearer(leaver.accessToken) })).status,
      ).toBe(204);
      const bobsOrder = await orderOf(bob);
      for (const [body, path] of [
        [{ participantId: alice.user.id }, 'body.participantId'],
        [{ participantId: NO_SUCH_ID }, 'body.participantId'],
        [{ participantId: leaver.user.id }, 'body.participantId'],
        [{ participantId: bob.user.id, orderId: bobsOrder }, 'body.orderId'],
        [{ participantId: bob.user.id, orderId: NO_SUCH_ID }, 'body.orderId'],
      ] as const) {
        const res = await shop.messages.start(alice.accessToken, body);
        expectProblem(res, 422);
        expect(errorPaths(res), JSON.stringify(body)).toEqual([path]);
      }
      expect(itemsOf(await shop.messages.inbox(alice.accessToken))).toEqual([]);
    });

    it('answers a blocked user with 403 problem+json when starting and when sending; the blocker may still write', async () => {
      const [victim, pest] = await twoCustomers('victim', 'pest');
      const conversation = await shop.messages.started(pest.accessToken, { participantId: victim.user.id });
      const block = await shop.messages.block(victim.accessToken, pest.user.id);
      expect(block.status).toBe(204);
      expect((await shop.messages.block(victim.accessToken, pest.user.id)).status).toBe(204);

      const start = await shop.messages.start(pest.accessToken, { participantId: victim.user.id });
      expectProblem(start, 403);
      expect(start.body.type).toBe('/problems/blocked');
      expect(JSON.stringify(start.body)).not.toContain(conversation.id);
      const send = await shop.messages.send(pest.accessToken, conversation.id, { body: 'let me in' });
      expectProblem(send, 403);
      await shop.messages.sent(victim.accessToken, conversation.id, 'Stop it.');
      expect(
        (await shop.messages.allMessages(victim.accessToken, conversation.id)).map((m) => m.body),
      ).toEqual(['Stop it.']);

      expect((await shop.messages.unblock(victim.accessToken, pest.user.id)).status).toBe(204);
      expect((await shop.messages.unblock(victim.accessToken, pest.user.id)).status).toBe(204);
      await shop.messages.sent(pest.accessToken, conversation.id, 'Sorry.');
    });

    it('answers blocking yourself or an unknown user with 422', async () => {
      const [alice] = await twoCustomers();
      expectProblem(await shop.messages.block(alice.accessToken, alice.user.id), 422);
      expectProblem(await shop.messages.block(alice.accessToken, NO_SUCH_ID), 422);
      expectProblem(await shop.messages.unblock(alice.accessToken, alice.user.id), 422);
    });

    it('answers a stranger with 404 on every route of someone else’s conversation', async () => {
      const [alice, bob] = await twoCustomers();
      const stranger = await shop.accounts.newCustomer('stranger');
      const conversation = await shop.messages.started(alice.accessToken, { participantId: bob.user.id });
      const message = await shop.messages.sent(alice.accessToken, conversation.id, 'private');
      for (const res of [
        await shop.messages.messages(stranger.accessToken, conversation.id),
        await shop.messages.send(stranger.accessToken, conversation.id, { body: 'hi' }),
        await shop.messages.read(stranger.accessToken, conversation.id, message.id),
      ]) {
        expectProblem(res, 404);
        expect(JSON.stringify(res.body)).not.toContain('private');
      }
      expect(await shop.messages.allMessages(bob.accessToken, conversation.id)).toEqual([message]);
    });
  });

  describe('support', () => {
    it('lets admins list order conversations by latest activity, read them and answer: unread for both participants', async () => {
      const [customer, seller] = await twoCustomers('customer', 'seller');
      const [olderOrder, newerOrder] = [await orderOf(customer), await orderOf(customer)];
      const older = await shop.messages.started(customer.accessToken, {
        participantId: seller.user.id,
        orderId: olderOrder,
        subject: 'Broken',
      });
      const newer = await shop.messages.started(customer.accessToken, {
        participantId: seller.user.id,
        orderId: newerOrder,
      });
      const general = await shop.messages.started(customer.accessToken, { participantId: seller.user.id });
      const question = await shop.messages.sent(customer.accessToken, older.id, 'It arrived broken.');

      const listed = itemsOf<SupportConversation>(await shop.messages.support(admin.accessToken, 'limit=50'));
      const ids = listed.map((c) => c.id);
      expect(ids.indexOf(older.id)).toBeLessThan(ids.indexOf(newer.id));
      expect(ids).not.toContain(general.id);
      expect(listed.find((c) => c.id === older.id)).toEqual({
        id: older.id,
        orderId: olderOrder,
        subject: 'Broken',
        participantIds: [customer.user.id, seller.user.id],
        lastMessage: {
          id: question.id,
          senderId: customer.user.id,
          body: 'It arrived broken.',
          createdAt: question.createdAt,
        },
        lastActivityAt: question.createdAt,
        createdAt: older.createdAt,
      });

      expect(await shop.messages.allMessages(admin.accessToken, older.id)).toEqual([question]);
      const answer = await shop.messages.sent(
        admin.accessToken,
        older.id,
        'Support here: a replacement is on its way.',
      );
      expect(answer).toMatchObject({ senderId: admin.user.id, fromSupport: true });
      expect((await shop.messages.rowOf(customer.accessToken, older.id))?.unreadCount).toBe(1);
      expect((await shop.messages.rowOf(seller.accessToken, older.id))?.unreadCount).toBe(2);
      expectProblem(await shop.messages.read(admin.accessToken, older.id, answer.id), 403);
    });
  });

  describe('pagination', () => {
    it('pages the inbox and a conversation’s messages with opaque cursors, without gaps or repeats', async () => {
      const [alice, ...others] = await Promise.all([
        shop.accounts.newCustomer('pager'),
        ...Array.from({ length: 5 }, (_, i) => shop.accounts.newCustomer(`contact-${i}`)),
      ]);
      const conversations: Conversation[] = [];
      for (const other of others) {
        conversations.push(
          await shop.messages.started((alice as Session).accessToken, { participantId: other.user.id }),
        );
      }
      const token = (alice as Session).accessToken;
      const seen: string[] = [];
      let query = 'limit=2';
      for (let page = 0; page < 5; page++) {
        const res = await shop.messages.inbox(token, query);
        expect(res.status).toBe(200);
        seen.push(...itemsOf<Conversation>(res).map((c) => c.id));
        if (!res.body.nextCursor) break;
        query = `limit=2&cursor=${encodeURIComponent(String(res.body.nextCursor))}`;
      }
      expect(seen).toEqual(conversations.map((c) => c.id).reverse());

      const target = conversations[0] as Conversation;
      const sent: Message[] = [];
      for (let i = 0; i < 5; i++) sent.push(await shop.messages.sent(token, target.id, `page me ${i}`));
      const read: string[] = [];
      query = 'limit=2';
      for (let page = 0; page < 5; page++) {
        const res = await shop.messages.messages(token, target.id, query);
        expect(res.status).toBe(200);
        read.push(...itemsOf<Message>(res).map((m) => m.id));
        if (!res.body.nextCursor) break;
        query = `limit=2&cursor=${encodeURIComponent(String(res.body.nextCursor))}`;
      }
      expect(read).toEqual(sent.map((m) => m.id).reverse());
    });

    it('answers a forged cursor, another listing’s cursor and another caller’s cursor with 400', async () => {
      const [alice, bob] = await twoCustomers();
      const conversation = await shop.messages.started(alice.accessToken, { participantId: bob.user.id });
      for (let i = 0; i < 3; i++) await shop.messages.sent(alice.accessToken, conversation.id, `m${i}`);
      const other = await shop.messages.started(alice.accessToken, {
        participantId: (await shop.accounts.newCustomer('third')).user.id,
      });
      await shop.messages.sent(alice.accessToken, other.id, 'elsewhere');
      const messagesCursor = String(
        (await shop.messages.messages(alice.accessToken, conversation.id, 'limit=1')).body.nextCursor,
      );
      const inboxCursor = String((await shop.messages.inbox(alice.accessToken, 'limit=1')).body.nextCursor);
      const [payload, signature] = messagesCursor.split('.');
      const forged = `${Buffer.from(JSON.stringify({ id: NO_SUCH_ID })).toString('base64url')}.${signature}`;
      const cursor = (value: string) => `limit=1&cursor=${encodeURIComponent(value)}`;
      for (const res of [
        await shop.messages.messages(alice.accessToken, conversation.id, cursor(forged)),
        await shop.messages.messages(
          alice.accessToken,
          conversation.id,
          cursor(`${payload}.AAAAAAAAAAAAAAAAAAAAAA`),
        ),
        await shop.messages.messages(alice.accessToken, conversation.id, cursor(inboxCursor)),
        await shop.messages.messages(alice.accessToken, other.id, cursor(messagesCursor)),
        await shop.messages.messages(bob.accessToken, conversation.id, cursor(messagesCursor)),
        await shop.messages.inbox(alice.accessToken, cursor(messagesCursor)),
        await shop.messages.inbox(bob.accessToken, cursor(inboxCursor)),
        await shop.messages.support(admin.accessToken, cursor(inboxCursor)),
      ]) {
        expectProblem(res, 400);
        expect(errorPaths(res)).toEqual(['query.cursor']);
      }
    });
  });

  describe('bad input', () => {
    let alice: Session;
    let bob: Session;
    let conversation: Conversation;
    let message: Message;

    beforeAll(async () => {
      [alice, bob] = await twoCustomers('fumbler', 'friend');
      conversation = await shop.messages.started(alice.accessToken, { participantId: bob.user.id });
      message = await shop.messages.sent(bob.accessToken, conversation.id, 'hi');
    });

    /** POST with a raw body and content type. */
    const raw = (path: string, body: string | undefined, contentType = 'application/json') =>
      call(`${shop.api}${path}`, {
        method: 'POST',
        headers: bearer(alice.accessToken, { 'content-type': contentType }),
        body,
      });
    const bodies = () => [
      { path: '/conversations', valid: { participantId: bob.user.id } },
      { path: `/conversations/${conversation.id}/messages`, valid: { body: 'hello' } },
      { path: `/conversations/${conversation.id}/read`, valid: { upTo: message.id } },
    ];

    /** What a bad request must not have changed. */
    async function nothingWritten(): Promise<void> {
      expect(itemsOf(await shop.messages.inbox(alice.accessToken))).toHaveLength(1);
      expect(await shop.messages.allMessages(bob.accessToken, conversation.id)).toEqual([message]);
      expect(await shop.messages.rowOf(alice.accessToken, conversation.id)).toMatchObject({
        unreadCount: 1,
        lastReadId: null,
      });
    }

    it('answers malformed JSON, a missing body and a JSON non-object with 400 problems', async () => {
      for (const { path } of bodies()) {
        expectProblem(await raw(path, '{"body": '), 400);
        expectProblem(await raw(path, undefined), 400);
        for (const value of ['null', '[]', '"text"', '42']) expectProblem(await raw(path, value), 400);
      }
      await nothingWritten();
    });

    it('answers a JSON body sent as text/plain with 415, and a body over 32 KiB with 413', async () => {
      for (const { path, valid } of bodies()) {
        expectProblem(await raw(path, JSON.stringify(valid), 'text/plain'), 415);
        expectProblem(await raw(path, JSON.stringify({ ...valid, padding: 'x'.repeat(33 * 1024) })), 413);
      }
      await nothingWritten();
    });

    it.each<[string, (ids: { bob: string; message: string }) => Record<string, unknown>, string[]]>([
      ['a participantId that is not an id', () => ({ participantId: 'bob' }), ['body.participantId']],
      ['a number as participantId', () => ({ participantId: 42 }), ['body.participantId']],
      ['a missing participantId', () => ({ subject: 'Hi' }), ['body.participantId']],
      ['an empty subject', (ids) => ({ participantId: ids.bob, subject: '   ' }), ['body.subject']],
      [
        'a subject over 120 characters',
        (ids) => ({ participantId: ids.bob, subject: 'x'.repeat(121) }),
        ['body.subject'],
      ],
      [
        'an orderId that is not an id',
        (ids) => ({ participantId: ids.bob, orderId: 'ORDER#1' }),
        ['body.orderId'],
      ],
      [
        'an unknown field',
        (ids) => ({ participantId: ids.bob, participantIds: [ids.bob] }),
        ['body.participantIds'],
      ],
    ])('POST /conversations: answers %s with a 400 naming it', async (_label, body, paths) => {
      const res = await shop.messages.start(
        alice.accessToken,
        body({ bob: bob.user.id, message: message.id }),
      );
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual(paths);
      await nothingWritten();
    });

    it.each<[string, Record<string, unknown>, string[]]>([
      ['an empty body', { body: '' }, ['body.body']],
      ['a body of whitespace only', { body: ' \n\t ' }, ['body.body']],
      ['a body over 4000 characters', { body: 'x'.repeat(4001) }, ['body.body']],
      ['a number as body', { body: 42 }, ['body.body']],
      ['a missing body', { clientMessageId: 'abc' }, ['body.body']],
      ['a clientMessageId with a space', { body: 'hi', clientMessageId: 'a b' }, ['body.clientMessageId']],
      [
        'a clientMessageId over 64 characters',
        { body: 'hi', clientMessageId: 'x'.repeat(65) },
        ['body.clientMessageId'],
      ],
      ['a senderId (identity comes from the token)', { body: 'hi', senderId: 'someone' }, ['body.senderId']],
      ['fromSupport', { body: 'hi', fromSupport: true }, ['body.fromSupport']],
    ])('POST /conversations/{id}/messages: answers %s with a 400 naming it', async (_label, body, paths) => {
      const res = await shop.messages.send(alice.accessToken, conversation.id, body);
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual(paths);
      await nothingWritten();
    });

    it('POST /conversations/{id}/messages: takes a body of exactly 4000 characters', async () => {
      const [carol, dave] = await twoCustomers('carol', 'dave');
      const other = await shop.messages.started(carol.accessToken, { participantId: dave.user.id });
      const long = await shop.messages.sent(carol.accessToken, other.id, '€'.repeat(4000));
      expect(long.body).toHaveLength(4000);
      expect((await shop.messages.rowOf(dave.accessToken, other.id))?.lastMessage?.body).toHaveLength(140);
    });

    it.each<[string, unknown, string[]]>([
      ['a missing upTo', {}, ['body.upTo']],
      ['an upTo that is not an id', { upTo: 'latest' }, ['body.upTo']],
      ['an unread count', { upTo: NO_SUCH_ID, unreadCount: 0 }, ['body.unreadCount']],
    ])('POST /conversations/{id}/read: answers %s with a 400 naming it', async (_label, body, paths) => {
      const res = await call(`${shop.api}/conversations/${conversation.id}/read`, {
        method: 'POST',
        headers: bearer(alice.accessToken, { 'content-type': 'application/json' }),
        body: JSON.stringify(body),
      });
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual(paths);
      await nothingWritten();
    });

    it.each(['not-an-id', '01arz3ndektsv4rrffq69g5fav', `${NO_SUCH_ID}X`, 'CONVERSATION%23x'])(
      'answers the malformed conversation id %s with a 400 naming path.conversationId on every route',
      async (id) => {
        for (const res of [
          await shop.messages.messages(alice.accessToken, id),
          await shop.messages.send(alice.accessToken, id, { body: 'hi' }),
          await shop.messages.read(alice.accessToken, id, message.id),
        ]) {
          expectProblem(res, 400);
          expect(errorPaths(res)).toEqual(['path.conversationId']);
        }
        await nothingWritten();
      },
    );

    it('answers a malformed user id on block and unblock with 400 naming path.userId', async () => {
      for (const res of [
        await shop.messages.block(alice.accessToken, 'bob'),
        await shop.messages.unblock(alice.accessToken, 'bob'),
      ]) {
        expectProblem(res, 400);
        expect(errorPaths(res)).toEqual(['path.userId']);
      }
    });

    it.each(['limit=0', 'limit=51', 'limit=ten', 'limit=2.5', 'cursor=', 'sort=asc'])(
      'answers GET /conversations?%s with a 400 problem',
      async (query) => {
        expectProblem(await shop.messages.inbox(alice.accessToken, query), 400);
      },
    );

    it.each(['limit=0', 'limit=101', 'order=asc'])(
      'answers GET /conversations/{id}/messages?%s with a 400 problem',
      async (query) => {
        expectProblem(await shop.messages.messages(alice.accessToken, conversation.id, query), 400);
      },
    );
  });

  describe('personal data', () => {
    it('GET /me/export includes the conversations with every message and the blocks', async () => {
      const [alice, bob] = await twoCustomers('exporter', 'friend');
      const pest = await shop.accounts.newCustomer('pest');
      const conversation = await shop.messages.started(alice.accessToken, { participantId: bob.user.id });
      const mine = await shop.messages.sent(alice.accessToken, conversation.id, 'mine');
      const theirs = await shop.messages.sent(bob.accessToken, conversation.id, 'theirs');
      await shop.messages.block(alice.accessToken, pest.user.id);
      const res = await call(`${shop.api}/me/export`, { headers: bearer(alice.accessToken) });
      expect(res.status).toBe(200);
      expect(res.body.messages).toEqual({
        conversations: [
          { ...(await shop.messages.rowOf(alice.accessToken, conversation.id)), messages: [mine, theirs] },
        ],
        supportMessages: [],
        blocks: [{ userId: pest.user.id, createdAt: expect.any(String) }],
      });
    });

    it('DELETE /me leaves the other participant their messages and the erased user’s as [deleted] from a Deleted user', async () => {
      const [leaver, friend] = await twoCustomers('leaver', 'friend');
      const conversation = await shop.messages.started(leaver.accessToken, { participantId: friend.user.id });
      const kept = await shop.messages.sent(friend.accessToken, conversation.id, 'bye!');
      const gone = await shop.messages.sent(leaver.accessToken, conversation.id, 'my secret', 'c-9');
      expect(
        (await call(`${shop.api}/me`, { method: 'DELETE', headers: bearer(leaver.accessToken) })).status,
      ).toBe(204);

      expect(await shop.messages.allMessages(friend.accessToken, conversation.id)).toEqual([
        {
          id: gone.id,
          conversationId: conversation.id,
          senderId: null,
          fromSupport: false,
          body: '[deleted]',
          createdAt: gone.createdAt,
          deleted: true,
        },
        kept,
      ]);
      expect(await shop.messages.rowOf(friend.accessToken, conversation.id)).toMatchObject({
        participantIds: [null, friend.user.id],
        other: { id: null, displayName: 'Deleted user', bio: '' },
        lastMessage: { id: gone.id, senderId: null, body: '[deleted]' },
      });
      expectProblem(await shop.messages.send(friend.accessToken, conversation.id, { body: 'hello?' }), 422);
      // A token that outlives the account can neither read nor write.
      expectProblem(await shop.messages.messages(leaver.accessToken, conversation.id), 404);
      expectProblem(await shop.messages.send(leaver.accessToken, conversation.id, { body: 'back' }), 404);
      expectProblem(await shop.messages.start(leaver.accessToken, { participantId: friend.user.id }), 404);
      expectProblem(await shop.messages.block(leaver.accessToken, friend.user.id), 404);
    });
  });
});
