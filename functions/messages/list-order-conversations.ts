import { adminCaller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { listOrderConversations } from './conversations-store.ts';
import { listConversationsQuery } from './model.ts';

/** GET /admin/conversations (admin): every conversation about an order, latest activity first. */
export const handler = http(async (event) => {
  adminCaller(event);
  const { limit, cursor } = parseInput(listConversationsQuery, event.queryStringParameters ?? {}, 'query');
  return ok(await listOrderConversations(limit, cursor), { 'cache-control': 'no-store' });
});
