import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation } from '../../functions/messages/model.ts';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import { type ApiResponse, accountsApi, expectProblem, type Session } from '../support/accounts-api.ts';
import { startTestBackend } from '../support/local-api.ts';
import { itemsOf, messagesApi } from '../support/messages-api.ts';
import { adminSession, ordersApi } from '../support/orders-api.ts';

type Role = 'stranger' | 'participant' | 'admin';

/** A marker only the conversation's messages contain: no other caller may ever see it. */
const SECRET = 'secret-of-the-participants';

// Every route's statuses for every kind of caller are in the authorization matrix
// (test/security/authorization-matrix.e2e.test.ts). This file tests what it does not: who sees a
// conversation in which listing, support's limits, and that a stranger learns nothing.
describe('messages authorization, through the local API', () => {
  let backend: ShopBackend;
  let api: string;
  let messages: ReturnType<typeof messagesApi>;
  let sessions: Record<Role, Session>;
  let partner: Session;
  let conversation: Conversation;

  beforeAll(async () => {
    backend = await startTestBackend();
    api = backend.url;
    messages = messagesApi(api);
    const orders = ordersApi(api);
    const client = accountsApi(api);
    const [admin, owner, stranger] = await Promise.all([
      adminSession(backend),
      client.newCustomer('owner'),
      client.newCustomer('stranger'),
    ]);
    partner = await client.newCustomer('partner');
    sessions = { stranger, participant: owner, admin };
    const product = await orders.createProduct(admin.accessToken, { stock: 10 });
    const order = await orders.placed(owner.accessToken, [{ productId: product.id, quantity: 1 }]);
    conversation = await messages.started(owner.accessToken, {
      participantId: partner.user.id,
      orderId: order.id,
      subject: 'Where is it?',
    });
    await messages.sent(partner.accessToken, conversation.id, `${SECRET}: it shipped`);
  });

  afterAll(async () => {
    await backend?.stop();
  });

  it('shows the participant their conversation in GET /conversations and nobody else', async () => {
    const rows = async (role: Role) =>
      itemsOf<Conversation>(await messages.inbox(sessions[role].accessToken, 'limit=50')).map((c) => c.id);
    expect(await rows('participant')).toContain(conversation.id);
    expect(await rows('stranger')).not.toContain(conversation.id);
    expect(await rows('admin')).not.toContain(conversation.id);
    expect(
      itemsOf<Conversation>(await messages.support(sessions.admin.accessToken, 'limit=50')).map((c) => c.id),
    ).toContain(conversation.id);
  });

  it('keeps an admin out of conversations that are not about an order (404, like a stranger)', async () => {
    const general = await messages.started(sessions.participant.accessToken, {
      participantId: partner.user.id,
    });
    const message = await messages.sent(partner.accessToken, general.id, SECRET);
    const admin = sessions.admin.accessToken;
    for (const res of [
      await messages.messages(admin, general.id),
      await messages.send(admin, general.id, { body: 'support here' }),
      await messages.read(admin, general.id, message.id),
    ]) {
      expectProblem(res, 404);
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
    }
    expect(await messages.allMessages(partner.accessToken, general.id)).toHaveLength(1);
  });

  it('answers a stranger on a conversation that exists exactly as on one that does not', async () => {
    const token = sessions.stranger.accessToken;
    const missing = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    const shape = (res: ApiResponse) => {
      const { detail: _detail, instance: _instance, ...rest } = res.body;
      return { status: res.status, ...rest };
    };
    expect(shape(await messages.messages(token, conversation.id))).toEqual(
      shape(await messages.messages(token, missing)),
    );
    expect(shape(await messages.send(token, conversation.id, { body: 'hi' }))).toEqual(
      shape(await messages.send(token, missing, { body: 'hi' })),
    );
  });
});
