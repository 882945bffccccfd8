import { hkdfSync } from 'node:crypto';
import { declareEnv, requireEnv, secretArn, whenSet } from './config.ts';
import { secretString } from './secrets.ts';

/**
 * Keys for the server's own symmetric cryptography, derived (HKDF-SHA256) from the one random
 * server secret the cursor MACs already use (`CURSOR_SECRET_ARN`), one per purpose: a key
 * derived for one purpose is useless for any other, and no new secret has to be deployed,
 * bound and rotated. Rotating the secret invalidates what was made with the old one: pending
 * one-time codes (15 minutes), sealed emails not yet sent, unsubscribe links (documented in
 * docs/security.md).
 */
export type KeyPurpose = 'one-time-codes' | 'email-outbox' | 'unsubscribe';

declareEnv('CURSOR_SECRET_ARN', secretArn, whenSet('CURSOR_SECRET_ARN'));

let cached: { readonly secret: string; readonly keys: Map<KeyPurpose, Buffer> } | undefined;

/** The 32-byte key of a purpose (re-derived only when the secret changed). */
export async function derivedKey(purpose: KeyPurpose): Promise<Buffer> {
  const secret = await secretString(requireEnv('CURSOR_SECRET_ARN'));
  if (cached?.secret !== secret) cached = { secret, keys: new Map() };
  let key = cached.keys.get(purpose);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, 'shop-derived-keys', purpose, 32));
    cached.keys.set(purpose, key);
  }
  return key;
}
