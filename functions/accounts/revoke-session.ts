import { http, noContent } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { refreshBody } from './model.ts';
import { revokeSession } from './sessions-store.ts';

/** POST /auth/logout: revokes the refresh token's session. Access tokens already issued live until they expire. */
export const handler = http(
  async (event) => {
    const { refreshToken } = parseInput(refreshBody, event.jsonBody, 'body');
    await revokeSession(refreshToken);
    return noContent();
  },
  { jsonBody: true },
);
