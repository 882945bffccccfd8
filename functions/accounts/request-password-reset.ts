import { http, json } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { requestEmailCode } from './email-codes.ts';
import { CODE_REQUESTED, emailBody } from './model.ts';

/**
 * POST /auth/password-reset: a code to the address if an account has it. Always 202, after the
 * same reads and writes either way, so neither the answer nor its time tells whether it has.
 */
export const handler = http(
  async function requestPasswordReset(event) {
    const { email } = parseInput(emailBody, event.jsonBody, 'body');
    await requestEmailCode('password-reset', email, event.requestContext.http.sourceIp);
    return json(202, CODE_REQUESTED, { 'cache-control': 'no-store' });
  },
  { jsonBody: true },
);
