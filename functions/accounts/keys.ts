/*
 * Key templates of the accounts domain, the only place they are spelled. Everything a user owns
 * lives in the USER#<id> partition, so one Query finds it all (export, erasure); the email and
 * login-attempt items are addressed by email and deleted alongside. See docs/access-patterns.md.
 */

export const userPartition = (userId: string) => `USER#${userId}`;
export const profileKey = (userId: string) => ({ pk: userPartition(userId), sk: 'PROFILE' });
export const preferencesKey = (userId: string) => ({ pk: userPartition(userId), sk: 'PREFERENCES' });
/** Sessions sort after every other item of the user's partition. */
export const SESSION_PREFIX = 'SESSION#';
export const sessionKey = (userId: string, familyId: string) => ({
  pk: userPartition(userId),
  sk: `${SESSION_PREFIX}${familyId}`,
});
export const emailKey = (email: string) => ({ pk: `EMAIL#${email}`, sk: 'IDENTITY' });
export const loginAttemptsKey = (email: string) => ({ pk: `LOGIN#${email}`, sk: 'ATTEMPTS' });

/**
 * The key of an item another domain keeps in the user's partition (recommendations' purchase
 * aggregate), so it is read together with the preferences and goes with the account's
 * erasure. `sk` is that domain's; it must not collide with this domain's sort keys.
 */
export const userScopedKey = (userId: string, sk: string): { pk: string; sk: string } => ({
  pk: userPartition(userId),
  sk,
});

/** What a one-time code proves: the mailbox of a new account, of a reset, or of a new address. */
export type CodePurpose = 'verify-email' | 'password-reset' | 'email-change';

/**
 * The one live code of a purpose for a subject (an email address; the user id for an email
 * change, confirmed by the signed-in user): one item, so a new code replaces the old one.
 */
export const codeKey = (purpose: CodePurpose, subject: string) => ({
  pk: `CODE#${purpose}#${subject}`,
  sk: 'CODE',
});

/** A fixed window of a rate limit (`scope` names what is counted, `subject` for whom). */
export const rateWindowKey = (scope: string, subject: string, windowStartEpoch: number) => ({
  pk: `RATE#${scope}#${subject}`,
  sk: `WINDOW#${windowStartEpoch}`,
});

/**
 * An email the accounts domain asks the notifications consumer to send (an outbox item), in the
 * user's partition so the account's erasure finds it with everything else. It sorts before
 * `PREFERENCES`, outside the range `getPreferencesWith` reads.
 */
export const accountEmailKey = (userId: string, id: string) => ({
  pk: userPartition(userId),
  sk: `ACCOUNT-EMAIL#${id}`,
});
