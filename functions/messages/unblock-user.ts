import { userPath } from '../accounts/model.ts';
import { caller } from '../core/auth.ts';
import { http, noContent } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { unblockUser } from './blocks-store.ts';

/** DELETE /users/{userId}/block: lifts the caller's block of that user (idempotent). */
export const handler = http(async (event) => {
  const { userId } = caller(event);
  const target = parseInput(userPath, event.pathParameters ?? {}, 'path');
  await unblockUser(userId, target.userId);
  return noContent();
});
