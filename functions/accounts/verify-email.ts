import { http, noContent } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { confirmEmailVerification } from './email-codes.ts';
import { verifyEmailBody } from './model.ts';

/** POST /auth/verify-email: the code from the email marks the address verified (tokens say so from the next refresh). */
export const handler = http(
  async function verifyEmail(event) {
    const { email, code } = parseInput(verifyEmailBody, event.jsonBody, 'body');
    await confirmEmailVerification(email, code);
    return noContent({ 'cache-control': 'no-store' });
  },
  { jsonBody: true },
);
