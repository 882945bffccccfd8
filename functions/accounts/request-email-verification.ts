import { http, json } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { requestEmailCode } from './email-codes.ts';
import { CODE_REQUESTED, emailBody } from './model.ts';

/** POST /auth/verify-email/request: a new code to the address if it has an unverified account; always 202. */
export const handler = http(
  async function requestEmailVerification(event) {
    const { email } = parseInput(emailBody, event.jsonBody, 'body');
    await requestEmailCode('verify-email', email, event.requestContext.http.sourceIp);
    return json(202, CODE_REQUESTED, { 'cache-control': 'no-store' });
  },
  { jsonBody: true },
);
