import { caller } from '../core/auth.ts';
import { HttpError, notFound } from '../core/errors.ts';
import { http, json } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { requestEmailChange } from './email-codes.ts';
import { CODE_REQUESTED, changeEmailBody } from './model.ts';
import { verifyPassword } from './passwords.ts';
import { findIdentity, getAccount } from './profile-store.ts';

/** POST /me/email: needs the current password; a code goes to the new address, a notice to the old. */
export const handler = http(
  async function changeEmail(event) {
    const { newEmail, currentPassword } = parseInput(changeEmailBody, event.jsonBody, 'body');
    const account = await getAccount(caller(event).userId);
    const identity = account && (await findIdentity(account.email));
    if (!account || !identity) throw notFound('This account no longer exists.');
    if (!(await verifyPassword(currentPassword, identity.password))) {
      throw new HttpError(403, 'invalid-credentials', 'Forbidden', 'The current password is wrong.');
    }
    await requestEmailChange(account, newEmail, event.requestContext.http.sourceIp);
    return json(202, CODE_REQUESTED, { 'cache-control': 'no-store' });
  },
  { jsonBody: true },
);
