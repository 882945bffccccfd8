import { caller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { conversationPath, markReadBody } from './model.ts';
import { markRead } from './read-state-store.ts';

/** POST /conversations/{conversationId}/read: the caller has read up to `upTo`; the unread count drops. */
export const handler = http(
  async (event) => {
    const who = caller(event);
    const { conversationId } = parseInput(conversationPath, event.pathParameters ?? {}, 'path');
    const { upTo } = parseInput(markReadBody, event.jsonBody, 'body');
    return ok(await markRead(who, conversationId, upTo), { 'cache-control': 'no-store' });
  },
  { jsonBody: true },
);
