import { caller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { listMessages } from './conversations-store.ts';
import { conversationPath, listMessagesQuery } from './model.ts';

/** GET /conversations/{conversationId}/messages: newest first; participants and (order conversations) support only. */
export const handler = http(async (event) => {
  const who = caller(event);
  const { conversationId } = parseInput(conversationPath, event.pathParameters ?? {}, 'path');
  const { limit, cursor } = parseInput(listMessagesQuery, event.queryStringParameters ?? {}, 'query');
  return ok(await listMessages(who, conversationId, limit, cursor), { 'cache-control': 'no-store' });
});
