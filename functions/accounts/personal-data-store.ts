import { deleteKeys } from '../core/db.ts';
import { codeKey, emailKey, loginAttemptsKey, preferencesKey, profileKey, SESSION_PREFIX } from './keys.ts';
import { getPreferences } from './preferences-store.ts';
import { toAccount } from './profile-store.ts';
import { type SessionItem, userItems } from './sessions-store.ts';

/* The accounts domain's part of a user's personal data: its export and its erasure. */

/** All data this domain stores for a user, secrets left out (no hashes, no tokens). */
export async function exportAccountData(userId: string): Promise<Record<string, unknown>> {
  const items = await userItems(userId);
  const profile = items.find((i) => i.sk === profileKey(userId).sk);
  const prefs = items.find((i) => i.sk === preferencesKey(userId).sk);
  const sessions = items
    .filter((i) => String(i.sk).startsWith(SESSION_PREFIX))
    .map((i) => {
      const s = i as unknown as SessionItem;
      return {
        id: s.familyId,
        createdAt: s.createdAt,
        revoked: s.revoked,
        expiresAt: new Date(s.expiresAtEpoch * 1000).toISOString(),
      };
    });
  return {
    account: profile ? toAccount(profile) : null,
    preferences: prefs ? (await getPreferences(userId)).preferences : null,
    sessions,
  };
}

/**
 * Erases every item this domain stores for a user: the USER# partition, identity, login counter
 * and pending codes. Rate-limit windows and account-email outbox items naming the address go by
 * TTL (an hour or a day; the outbox item's code is sealed and dies with its code item).
 */
export async function eraseAccountData(userId: string): Promise<void> {
  const items = await userItems(userId);
  const email = items.find((i) => i.sk === profileKey(userId).sk)?.email;
  const keys = items.map((i) => ({ pk: String(i.pk), sk: String(i.sk) }));
  if (typeof email === 'string') {
    keys.push(
      emailKey(email),
      loginAttemptsKey(email),
      codeKey('verify-email', email),
      codeKey('password-reset', email),
    );
  }
  keys.push(codeKey('email-change', userId));
  await deleteKeys(keys);
}
