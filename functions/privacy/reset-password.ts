import { resetPassword } from '../accounts/email-codes.ts';
import { clearFailedLogins } from '../accounts/login-attempts-store.ts';
import { passwordResetConfirmBody } from '../accounts/model.ts';
import { hashPassword } from '../accounts/passwords.ts';
import { http, noContent } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { signOutEverywhere } from './sign-out-everywhere.ts';

/**
 * POST /auth/password-reset/confirm: the code from the email sets a new password, then every
 * session and socket of the account is closed, as a password change does (hence here: closing
 * sockets is realtime's).
 */
export const handler = http(
  async function confirmPasswordReset(event) {
    const { email, code, newPassword } = parseInput(passwordResetConfirmBody, event.jsonBody, 'body');
    const userId = await resetPassword(email, code, await hashPassword(newPassword));
    await signOutEverywhere(userId);
    await clearFailedLogins(email);
    return noContent({ 'cache-control': 'no-store' });
  },
  { jsonBody: true },
);
