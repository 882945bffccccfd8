import { turnOffMarketingEmails } from '../accounts/preferences-store.ts';
import { badRequest } from '../core/errors.ts';
import { http, noContent } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { unsubscribeQuery } from './model.ts';
import { userOfUnsubscribeToken } from './unsubscribe-tokens.ts';

/**
 * POST /email/unsubscribe?token=...: RFC 8058 one-click unsubscribe, which mail clients send
 * with the body `List-Unsubscribe=One-Click`. A POST, never a GET, so a mail scanner that opens
 * links cannot unsubscribe anyone. Turns non-essential mail off; essential mail still goes.
 */
export const handler = http(
  async function unsubscribe(event) {
    const { token } = parseInput(unsubscribeQuery, event.queryStringParameters ?? {}, 'query');
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
    if (!new URLSearchParams(body).has('List-Unsubscribe')) {
      throw badRequest('Send the body List-Unsubscribe=One-Click (RFC 8058).');
    }
    const userId = await userOfUnsubscribeToken(token);
    if (!userId) throw badRequest('The unsubscribe link is not valid or has expired.');
    await turnOffMarketingEmails(userId);
    return noContent();
  },
  { rawBody: true, maxBodyBytes: 1024 },
);
