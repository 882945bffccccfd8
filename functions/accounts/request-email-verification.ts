import { http } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { requestEmailCode } from './email-codes.ts';
import { emailBody } from './model.ts';

/** POST /auth/verify-email/request: a new code to the address if it has an unverified account; always 202. */
export const handler = http(
  async function requestEmailVerification(event) {
    const { email } = parseInput(emailBody, event.jsonBody, 'body');
    await requestEmailCode('verify-email', email, event.requestContext.http.sourceIp);
    return { statusCode: 202, headers: { 'cache-control': 'no-store' } };
  },
  { jsonBody: true },
);
