import { caller } from '../core/auth.ts';
import { etag, http, ok } from '../core/http.ts';
import { getPreferences } from './preferences-store.ts';

/** GET /me/preferences: saved preferences, or the defaults; the ETag guards later writes. */
export const handler = http(async (event) => {
  const { preferences, version } = await getPreferences(caller(event).userId);
  return ok(preferences, { etag: etag(version), 'cache-control': 'private, no-cache' });
});
