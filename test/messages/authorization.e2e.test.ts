import { beforeAll, describe, expect, it } from 'vitest';
import type { Conversation } from '../../functions/messages/model.ts';
import { type ApiResponse, expectProblem, type Session } from '../support/accounts-api.ts';
import { itemsOf } from '../support/messages-api.ts';
import { useShop } from '../support/shop.ts';

type Role = 'stranger' | 'participant' | 'admin';

/** A marker only the conversation's messages contain: no other caller may ever see it. */
const SECRET = 'secret-of-the-participants';

// Every route's statuses for every kind of caller are in the authorization matrix
// (test/security/authorization-matrix.e2e.test.ts). This file tests what it does not: who sees a
// conversation in which listing, support's limits, and that a stranger learns nothing.
describe('messages authorization, through the local API', () => {
  const shop = useShop();
  let sessions: Record<Role, Session>;
  let partner: Session;
  let conversation: Conversation;

  beforeAll(async () => {
    const orders = shop.orders;
    const client = shop.accounts;
    const [admin, owner, stranger] = await shop.adminAnd('owner', 'stranger');
    partner = await client.newCustomer('partner');
    sessions = { stranger, participant: owner, admin };
    const product = await orders.createProduct(admin.accessToken, { stock: 10 });
    const order = await orders.placed(owner.accessToken, [{ productId: product.id, quantity: 1 }]);
    conversation = await shop.messages.started(owner.accessToken, {
      participantId: partner.user.id,
      orderId: order.id,
      subject: 'Where is it?',
    });
    await shop.messages.sent(partner.accessToken, conversation.id, `${SECRET}: it shipped`);
  });

  it('shows the participant their conversation in GET /conversations and nobody else', async () => {
    const rows = async (role: Role) =>
      itemsOf<Conversation>(await shop.messages.inbox(sessions[role].accessToken, 'limit=50')).map(
        (c) => c.id,
      );
    expect(await rows('participant')).toContain(conversation.id);
    expect(await rows('stranger')).not.toContain(conversation.id);
    expect(await rows('admin')).not.toContain(conversation.id);
    expect(
      itemsOf<Conversation>(await shop.messages.support(sessions.admin.accessToken, 'limit=50')).map(
        (c) => c.id,
      ),
    ).toContain(conversation.id);
  });

  it('keeps an admin out of conversations that are not about an order (404, like a stranger)', async () => {
    const general = await shop.messages.started(sessions.participant.accessToken, {
      participantId: partner.user.id,
    });
    const message = await shop.messages.sent(partner.accessToken, general.id, SECRET);
    const admin = sessions.admin.accessToken;
    for (const res of [
      await shop.messages.messages(admin, general.id),
      await shop.messages.send(admin, general.id, { body: 'support here' }),
      await shop.messages.read(admin, general.id, message.id),
    ]) {
      expectProblem(res, 404);
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
    }
    expect(await shop.messages.allMessages(partner.accessToken, general.id)).toHaveLength(1);
  });

  it('answers a stranger on a conversation that exists exactly as on one that does not', async () => {
    const token = sessions.stranger.accessToken;
    const missing = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    const shape = (res: ApiResponse) => {
      const { detail: _detail, instance: _instance, ...rest } = res.body;
      return { status: res.status, ...rest };
    };
    expect(shape(await shop.messages.messages(token, conversation.id))).toEqual(
      shape(await shop.messages.messages(token, missing)),
    );
    expect(shape(await shop.messages.send(token, conversation.id, { body: 'hi' }))).toEqual(
      shape(await shop.messages.send(token, missing, { body: 'hi' })),
    );
  });
});
