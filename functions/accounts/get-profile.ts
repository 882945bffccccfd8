import { notFound } from '../core/errors.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { userPath } from './model.ts';
import { getPublicProfile } from './profile-store.ts';

/** GET /users/{userId}: the public part of a profile only. */
export const handler = http(async (event) => {
  const { userId } = parseInput(userPath, event.pathParameters ?? {}, 'path');
  const profile = await getPublicProfile(userId);
  if (!profile) throw notFound(`No user with id ${userId}.`);
  return ok(profile);
});
