import { caller } from '../core/auth.ts';
import { created, http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { startConversation } from './conversations-store.ts';
import { createConversationBody } from './model.ts';

/**
 * POST /conversations: a new conversation with a participant (201), or the caller's existing
 * one with them about the same order, or about nothing (200).
 */
export const handler = http(
  async (event) => {
    const who = caller(event);
    const input = parseInput(createConversationBody, event.jsonBody, 'body');
    const { conversation, created: isNew } = await startConversation(who, input);
    return (isNew ? created : ok)(conversation, { 'cache-control': 'no-store' });
  },
  { jsonBody: true },
);
