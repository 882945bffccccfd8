import { caller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { updateMeBody } from './model.ts';
import { updateProfile } from './profile-store.ts';

/** PATCH /me: display name and bio only; any other field is a 400. */
export const handler = http(
  async (event) => {
    const changes = parseInput(updateMeBody, event.jsonBody, 'body');
    return ok(await updateProfile(caller(event).userId, changes));
  },
  { jsonBody: true },
);
