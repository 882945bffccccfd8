import { userPath } from '../accounts/model.ts';
import { caller } from '../core/auth.ts';
import { http, noContent } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { blockUser } from './blocks-store.ts';

/** POST /users/{userId}/block: that user can no longer start a conversation with, or write to, the caller. */
export const handler = http(async (event) => {
  const { userId } = caller(event);
  const target = parseInput(userPath, event.pathParameters ?? {}, 'path');
  await blockUser(userId, target.userId);
  return noContent();
});
