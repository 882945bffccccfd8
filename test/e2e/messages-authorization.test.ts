import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation } from '../../functions/messages/model.ts';
import { ROUTES, type RouteDefinition, routeKey } from '../../lib/api/routes.ts';
import type { LocalBackend } from '../../lib/local/backend.ts';
import {
  type ApiResponse,
  accountsApi,
  expectProblem,
  jsonInit,
  type Session,
} from '../support/accounts-api.ts';
import { badAuthorizations, expectRefusedByGateway } from '../support/bad-tokens.ts';
import { call, startTestBackend } from '../support/local-api.ts';
import { itemsOf, messagesApi } from '../support/messages-api.ts';
import { adminSession, ordersApi } from '../support/orders-api.ts';

/** Every route of the messages domain: a new one fails 'has a row in the matrix' until it gets one. */
const MESSAGE_ROUTES = ROUTES.filter((route) => route.tag === 'messages');

type Role = 'stranger' | 'participant' | 'admin';

/** What the test needs to send a request of any route. */
interface Fixture {
  readonly conversation: Conversation;
  readonly orderId: string;
  readonly partnerId: string;
  readonly bystanderId: string;
  /** The newest message of the conversation when the request is sent. */
  readonly lastMessageId: () => string;
}

interface MatrixRow {
  /** Sends the route's request with an `Authorization` header value (none when undefined). */
  readonly send: (api: string, fixture: Fixture, authorization: string | undefined) => Promise<ApiResponse>;
  /** The status each signed-in role gets (routes for admins answer others with the gateway's 403). */
  readonly expected: Partial<Record<Role, number>>;
}

/** A request with an `Authorization` header value (none when undefined) and a JSON body if given. */
function request(
  api: string,
  method: string,
  path: string,
  authorization: string | undefined,
  body?: unknown,
): Promise<ApiResponse> {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  return call(`${api}${path}`, body === undefined ? { method, headers } : jsonInit(method, body, headers));
}

/** A marker only the conversation's messages contain: no other caller may ever see it. */
const SECRET = 'secret-of-the-participants';

const MATRIX: Record<string, MatrixRow> = {
  'POST /conversations': {
    // About the owner's order: the stranger may not use it; the owner finds the existing one;
    // an admin may talk to the partner about any order (a new conversation of their own).
    send: (api, f, auth) =>
      request(api, 'POST', '/conversations', auth, { participantId: f.partnerId, orderId: f.orderId }),
    expected: { stranger: 422, participant: 200, admin: 201 },
  },
  'GET /conversations': {
    send: (api, _f, auth) => request(api, 'GET', '/conversations?limit=50', auth),
    expected: { stranger: 200, participant: 200, admin: 200 },
  },
  'GET /conversations/{conversationId}/messages': {
    send: (api, f, auth) => request(api, 'GET', `/conversations/${f.conversation.id}/messages`, auth),
    expected: { stranger: 404, participant: 200, admin: 200 },
  },
  'POST /conversations/{conversationId}/messages': {
    send: (api, f, auth) =>
      request(api, 'POST', `/conversations/${f.conversation.id}/messages`, auth, { body: 'Anyone there?' }),
    expected: { stranger: 404, participant: 201, admin: 201 },
  },
  'POST /conversations/{conversationId}/read': {
    send: (api, f, auth) =>
      request(api, 'POST', `/conversations/${f.conversation.id}/read`, auth, { upTo: f.lastMessageId() }),
    expected: { stranger: 404, participant: 200, admin: 403 },
  },
  'POST /users/{userId}/block': {
    send: (api, f, auth) => request(api, 'POST', `/users/${f.bystanderId}/block`, auth),
    expected: { stranger: 204, participant: 204, admin: 204 },
  },
  'DELETE /users/{userId}/block': {
    send: (api, f, auth) => request(api, 'DELETE', `/users/${f.bystanderId}/block`, auth),
    expected: { stranger: 204, participant: 204, admin: 204 },
  },
  'GET /admin/conversations': {
    send: (api, _f, auth) => request(api, 'GET', '/admin/conversations?limit=50', auth),
    expected: { admin: 200 },
  },
};

describe('authorization on every messages route, through the local API', () => {
  let backend: LocalBackend;
  let api: string;
  let messages: ReturnType<typeof messagesApi>;
  let sessions: Record<Role, Session>;
  let partner: Session;
  let fixture: Fixture;
  let newest: string;
  let badTokens: Record<string, string>;

  beforeAll(async () => {
    backend = await startTestBackend();
    api = backend.url;
    messages = messagesApi(api);
    const orders = ordersApi(api);
    const client = accountsApi(api);
    const [admin, owner, stranger, bystander] = await Promise.all([
      adminSession(backend),
      client.newCustomer('owner'),
      client.newCustomer('stranger'),
      client.newCustomer('bystander'),
    ]);
    partner = await client.newCustomer('partner');
    sessions = { stranger, participant: owner, admin };
    const product = await orders.createProduct(admin.accessToken, { stock: 10 });
    const order = await orders.placed(owner.accessToken, [{ productId: product.id, quantity: 1 }]);
    const conversation = await messages.started(owner.accessToken, {
      participantId: partner.user.id,
      orderId: order.id,
      subject: 'Where is it?',
    });
    newest = (await messages.sent(partner.accessToken, conversation.id, `${SECRET}: it shipped`)).id;
    fixture = {
      conversation,
      orderId: order.id,
      partnerId: partner.user.id,
      bystanderId: bystander.user.id,
      lastMessageId: () => newest,
    };
    badTokens = await badAuthorizations(backend, owner, stranger);
  });

  afterAll(async () => {
    await backend?.stop();
  });

  it('has a row in the matrix for every route of the messages domain, and none for other routes', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(MESSAGE_ROUTES.map(routeKey).sort());
    expect(MESSAGE_ROUTES.length).toBeGreaterThanOrEqual(8);
  });

  /** Sends the route's request and asserts the gateway refused it; the function never ran. */
  const expectRefused = (route: RouteDefinition, authorization: string | undefined, status: 401 | 403) =>
    expectRefusedByGateway(
      backend,
      route.entry,
      () => (MATRIX[routeKey(route)] as MatrixRow).send(api, fixture, authorization),
      status,
    );

  describe.each(MESSAGE_ROUTES.map((route) => ({ key: routeKey(route), route })))(
    '$key',
    ({ key, route }) => {
      const row = () => MATRIX[key] as MatrixRow;

      it('answers a request without a token with 401 from the gateway; the function never runs', async () => {
        await expectRefused(route, undefined, 401);
      });

      it('answers every kind of bad token with 401 from the gateway; the function never runs', async () => {
        for (const [label, authorization] of Object.entries(badTokens)) {
          await expect(expectRefused(route, authorization, 401), label).resolves.toBeUndefined();
        }
      });

      it.each<Role>(['stranger', 'participant', 'admin'])(
        'answers the %s as the matrix says',
        async (role) => {
          const authorization = `Bearer ${sessions[role].accessToken}`;
          const expected = row().expected[role];
          if (route.auth === 'admin' && role !== 'admin') {
            expect(expected).toBeUndefined();
            await expectRefused(route, authorization, 403);
            return;
          }
          expect(expected, `${key} has an expected status for the ${role}`).toEqual(expect.any(Number));
          expect(Object.keys(route.responses), 'the route table documents it').toContain(String(expected));
          const res = await row().send(api, fixture, authorization);
          if (Number(expected) >= 400) expectProblem(res, Number(expected));
          else expect(res.status, JSON.stringify(res.body)).toBe(expected);
          if (res.status === 201 && key.endsWith('/messages')) newest = String(res.body.id);

          const text = JSON.stringify(res.body);
          const seesTheConversation =
            role === 'participant' || (role === 'admin' && key !== 'GET /conversations');
          if (!seesTheConversation) {
            // Nothing of the participants' conversation: not its messages, nor its id where the
            // request did not name it (a 404 may repeat the id it was asked for).
            expect(text).not.toContain(SECRET);
            if (!route.path.includes('{conversationId}')) expect(text).not.toContain(fixture.conversation.id);
          }
          if (role === 'stranger') {
            expect(text).not.toContain(sessions.participant.user.email);
            expect(text).not.toContain(partner.user.email);
          }
        },
      );
    },
  );

  it('shows the participant their conversation in GET /conversations and nobody else', async () => {
    const rows = async (role: Role) =>
      itemsOf<Conversation>(await messages.inbox(sessions[role].accessToken, 'limit=50')).map((c) => c.id);
    expect(await rows('participant')).toContain(fixture.conversation.id);
    expect(await rows('stranger')).not.toContain(fixture.conversation.id);
    expect(await rows('admin')).not.toContain(fixture.conversation.id);
    expect(
      itemsOf<Conversation>(await messages.support(sessions.admin.accessToken, 'limit=50')).map((c) => c.id),
    ).toContain(fixture.conversation.id);
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
    expect(shape(await messages.messages(token, fixture.conversation.id))).toEqual(
      shape(await messages.messages(token, missing)),
    );
    expect(shape(await messages.send(token, fixture.conversation.id, { body: 'hi' }))).toEqual(
      shape(await messages.send(token, missing, { body: 'hi' })),
    );
  });
});
