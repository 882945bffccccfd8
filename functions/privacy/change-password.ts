import { changePasswordBody } from '../accounts/model.ts';
import {
  hashPassword,
  SCRYPT_PARAMETERS_VARIABLE,
  scryptParametersCheck,
  verifyPassword,
} from '../accounts/passwords.ts';
import { findIdentity, getAccount, updatePasswordHash } from '../accounts/profile-store.ts';
import { caller } from '../core/auth.ts';
import { declareEnv } from '../core/config.ts';
import { HttpError, notFound } from '../core/errors.ts';
import { http, noContent } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { signOutEverywhere } from './sign-out-everywhere.ts';

// The environment's scrypt cost, checked at cold start (passwords.ts reads it).
declareEnv(SCRYPT_PARAMETERS_VARIABLE, scryptParametersCheck);

/**
 * PUT /me/password: needs the current password; signs out every session and closes every socket.
 * Here rather than in accounts because closing the sockets is realtime's, which depends on accounts.
 */
export const handler = http(
  async (event) => {
    const { currentPassword, newPassword } = parseInput(changePasswordBody, event.jsonBody, 'body');
    const { userId } = caller(event);
    const account = await getAccount(userId);
    const identity = account && (await findIdentity(account.email));
    if (!account || !identity) throw notFound('This account no longer exists.');
    if (!(await verifyPassword(currentPassword, identity.password))) {
      throw new HttpError(403, 'invalid-credentials', 'Forbidden', 'The current password is wrong.');
    }
    await updatePasswordHash(account.email, await hashPassword(newPassword));
    await signOutEverywhere(userId);
    return noContent();
  },
  { jsonBody: true },
);
