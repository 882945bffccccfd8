import { caller } from '../core/auth.ts';
import { etag, http, ifMatchVersion, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { preferencesBody } from './model.ts';
import { putPreferences } from './preferences-store.ts';

/** PUT /me/preferences: replaces them; with `If-Match`, only if unchanged since read (else 412). */
export const handler = http(
  async (event) => {
    const preferences = parseInput(preferencesBody, event.jsonBody, 'body');
    const expected = ifMatchVersion(event);
    const saved = await putPreferences(caller(event).userId, preferences, expected);
    return ok(saved.preferences, { etag: etag(saved.version) });
  },
  { jsonBody: true },
);
