import { expect } from 'vitest';
import type { Conversation, Message, ReadState } from '../../functions/messages/model.ts';
import { type ApiResponse, bearer, jsonInit } from './accounts-api.ts';
import { call } from './local-api.ts';

/** The conversation in a response body. */
export const conversationOf = (res: ApiResponse): Conversation => res.body as unknown as Conversation;
/** The message in a response body. */
export const messageOf = (res: ApiResponse): Message => res.body as unknown as Message;
/** The items of a listing's response body. */
export const itemsOf = <T = Record<string, unknown>>(res: ApiResponse): T[] => res.body.items as T[];

/** A small client for the messages routes of one backend; a missing token sends none. */
export function messagesApi(api: string) {
  const auth = (token: string | undefined) => (token ? bearer(token) : {});
  const withQuery = (path: string, query: string) => `${api}${path}${query ? `?${query}` : ''}`;
  const post = (path: string, body: unknown, token: string | undefined) =>
    call(`${api}${path}`, jsonInit('POST', body, auth(token)));
  const client = {
    start: (token: string | undefined, body: unknown) => post('/conversations', body, token),
    inbox: (token: string | undefined, query = '') =>
      call(withQuery('/conversations', query), { headers: auth(token) }),
    messages: (token: string | undefined, conversationId: string, query = '') =>
      call(withQuery(`/conversations/${conversationId}/messages`, query), { headers: auth(token) }),
    send: (token: string | undefined, conversationId: string, body: unknown) =>
      post(`/conversations/${conversationId}/messages`, body, token),
    read: (token: string | undefined, conversationId: string, upTo: string) =>
      post(`/conversations/${conversationId}/read`, { upTo }, token),
    block: (token: string | undefined, userId: string) =>
      call(`${api}/users/${userId}/block`, { method: 'POST', headers: auth(token) }),
    unblock: (token: string | undefined, userId: string) =>
      call(`${api}/users/${userId}/block`, { method: 'DELETE', headers: auth(token) }),
    support: (token: string | undefined, query = '') =>
      call(withQuery('/admin/conversations', query), { headers: auth(token) }),

    /** Starts (201) or finds (200) a conversation; fails the test otherwise. */
    async started(token: string, body: { participantId: string; orderId?: string; subject?: string }) {
      const res = await client.start(token, body);
      expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
      return conversationOf(res);
    },
    /** Sends a message; fails the test unless 201. */
    async sent(
      token: string,
      conversationId: string,
      body: string,
      clientMessageId?: string,
    ): Promise<Message> {
      const res = await client.send(token, conversationId, {
        body,
        ...(clientMessageId ? { clientMessageId } : {}),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return messageOf(res);
    },
    /** The caller's inbox row of a conversation (first 50 rows); fails the test unless 200. */
    async rowOf(token: string, conversationId: string): Promise<Conversation | undefined> {
      const res = await client.inbox(token, 'limit=50');
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return itemsOf<Conversation>(res).find((row) => row.id === conversationId);
    },
    /** Every message of a conversation, newest first (one page of 100); fails the test unless 200. */
    async allMessages(token: string, conversationId: string): Promise<Message[]> {
      const res = await client.messages(token, conversationId, 'limit=100');
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return itemsOf<Message>(res);
    },
    /** Marks read; fails the test unless 200. */
    async marked(token: string, conversationId: string, upTo: string): Promise<ReadState> {
      const res = await client.read(token, conversationId, upTo);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as unknown as ReadState;
    },
  };
  return client;
}
