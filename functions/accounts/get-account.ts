import { caller } from '../core/auth.ts';
import { notFound } from '../core/errors.ts';
import { http, ok } from '../core/http.ts';
import { getAccount } from './profile-store.ts';

/** GET /me: the caller's own account. */
export const handler = http(async (event) => {
  const account = await getAccount(caller(event).userId);
  if (!account) throw notFound('This account no longer exists.');
  return ok(account, { 'cache-control': 'no-store' });
});
