import { createHmac, timingSafeEqual } from 'node:crypto';
import { derivedKey } from '../core/derived-keys.ts';

/*
 * The token of a one-click unsubscribe link (RFC 8058): who, until when, and an HMAC over both
 * under a derived server key, so a link cannot be forged for another user or made to live
 * longer. It only ever turns mail off, so a leaked link costs its owner some newsletters.
 */

export const UNSUBSCRIBE_TOKEN_DAYS = 60;
const MAC_BYTES = 16;

async function mac(userId: string, expiresAtEpoch: number): Promise<string> {
  return createHmac('sha256', await derivedKey('unsubscribe'))
    .update(`${userId}.${expiresAtEpoch}`)
    .digest()
    .subarray(0, MAC_BYTES)
    .toString('base64url');
}

export async function unsubscribeToken(userId: string, now = Date.now()): Promise<string> {
  const expiresAtEpoch = Math.floor(now / 1000) + UNSUBSCRIBE_TOKEN_DAYS * 86_400;
  return `${userId}.${expiresAtEpoch}.${await mac(userId, expiresAtEpoch)}`;
}

/** The user a token unsubscribes, or undefined when it is malformed, forged or expired. */
export async function userOfUnsubscribeToken(token: string, now = Date.now()): Promise<string | undefined> {
  const [userId, expires, signature, ...rest] = token.split('.');
  const expiresAtEpoch = Number(expires);
  if (!userId || !signature || rest.length > 0 || !Number.isSafeInteger(expiresAtEpoch)) return undefined;
  const expected = Buffer.from(await mac(userId, expiresAtEpoch));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return expiresAtEpoch > now / 1000 ? userId : undefined;
}
