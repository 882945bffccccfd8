import { createHmac, timingSafeEqual } from 'node:crypto';
import { declareEnv, requireEnv, secretArn, whenSet } from './config.ts';
import { InvalidInput } from './domain-errors.ts';
import { secretString } from './secrets.ts';

/** Where a page ended, as the store's own key fields (never raw table keys in client hands). */
export type CursorPosition = Record<string, string | number>;

// Stores that page (and so import this) also serve routes that never page, without the key.
declareEnv('CURSOR_SECRET_ARN', secretArn, whenSet('CURSOR_SECRET_ARN'));

const MAC_BYTES = 16;
const MAX_CURSOR_LENGTH = 1024;

async function signingKey(): Promise<string> {
  return secretString(requireEnv('CURSOR_SECRET_ARN'));
}

function mac(key: string, scope: string, payload: string): Buffer {
  return createHmac('sha256', key).update(`${scope}\n${payload}`).digest().subarray(0, MAC_BYTES);
}

/**
 * Pagination cursors are opaque and tamper-evident: base64url JSON of the position plus an
 * HMAC that also covers the query's scope (e.g. the category), so a cursor cannot be edited
 * or replayed against another listing. The key lives in Secrets Manager.
 */
export async function encodeCursor(scope: string, position: CursorPosition): Promise<string> {
  const payload = Buffer.from(JSON.stringify(position)).toString('base64url');
  return `${payload}.${mac(await signingKey(), scope, payload).toString('base64url')}`;
}

/** Returns the position a cursor encodes; `InvalidInput` (a 400) when it is malformed, forged or from another listing. */
export async function decodeCursor(scope: string, cursor: string): Promise<CursorPosition> {
  const invalid = () =>
    new InvalidInput('The cursor is not valid for this listing. Start again without a cursor.', [
      { path: 'query.cursor', message: 'Invalid cursor.' },
    ]);
  const [payload, signature, ...rest] = cursor.split('.');
  if (!payload || !signature || rest.length > 0 || cursor.length > MAX_CURSOR_LENGTH) throw invalid();
  // Compare the text, not decoded bytes: base64url decoding ignores trailing bits and '='
  // padding, so several strings decode to the same MAC and an edited cursor would pass.
  const given = Buffer.from(signature);
  const expected = Buffer.from(mac(await signingKey(), scope, payload).toString('base64url'));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
    for (const value of Object.values(parsed)) {
      if (typeof value !== 'string' && typeof value !== 'number') throw invalid();
    }
    return parsed as CursorPosition;
  } catch {
    throw invalid();
  }
}
