import { caller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { listConversations } from './conversations-store.ts';
import { listConversationsQuery } from './model.ts';

/** GET /conversations: the caller's conversations, latest activity first, with unread counts. */
export const handler = http(async (event) => {
  const { userId } = caller(event);
  const { limit, cursor } = parseInput(listConversationsQuery, event.queryStringParameters ?? {}, 'query');
  return ok(await listConversations(userId, limit, cursor), { 'cache-control': 'no-store' });
});
