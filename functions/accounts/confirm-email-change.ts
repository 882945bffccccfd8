import { caller } from '../core/auth.ts';
import { http, ok } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { confirmEmailChange } from './email-codes.ts';
import { confirmEmailChangeBody } from './model.ts';

/** POST /me/email/confirm: the code sent to the new address moves the account to it. */
export const handler = http(
  async function confirmEmailChangeHandler(event) {
    const { code } = parseInput(confirmEmailChangeBody, event.jsonBody, 'body');
    return ok(await confirmEmailChange(caller(event).userId, code), { 'cache-control': 'no-store' });
  },
  { jsonBody: true },
);
