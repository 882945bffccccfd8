import { caller } from '../core/auth.ts';
import { HttpError, notFound } from '../core/errors.ts';
import { http, noContent } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { eraseConnections } from '../realtime/store.ts';
import { changePasswordBody } from './model.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { findIdentity, getAccount, revokeAllSessions, updatePasswordHash } from './store.ts';

/** PUT /me/password: needs the current password; signs out every session and closes every socket. */
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
    await revokeAllSessions(userId);
    // Signed out everywhere, sockets included: the close-connections consumer closes them.
    await eraseConnections(userId);
    return noContent();
  },
  { jsonBody: true },
);
