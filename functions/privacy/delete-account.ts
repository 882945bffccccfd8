import { caller } from '../core/auth.ts';
import { http, noContent } from '../core/http.ts';
import { erasePersonalData } from './personal-data.ts';

/** DELETE /me: erases the account and everything stored for the user. */
export const handler = http(async (event) => {
  await erasePersonalData(caller(event).userId);
  return noContent();
});
