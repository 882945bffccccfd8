import { unauthorized } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { refreshBody } from './model.ts';
import { getAccount } from './profile-store.ts';
import { rotateSession } from './sessions-store.ts';
import { sessionResponse } from './tokens.ts';

/** POST /auth/refresh: a new token pair; the presented refresh token dies. */
export const handler = http(
  async (event) => {
    const { refreshToken } = parseInput(refreshBody, event.jsonBody, 'body');
    const rotated = await rotateSession(refreshToken);
    const account = await getAccount(rotated.userId);
    if (!account) throw unauthorized('The refresh token is not valid.');
    return ok(await sessionResponse(account, rotated.refreshToken), { 'cache-control': 'no-store' });
  },
  { jsonBody: true },
);
