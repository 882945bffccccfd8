import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { beginErasure } from '../../functions/accounts/erasure-fence.ts';
import { userPartition } from '../../functions/accounts/keys.ts';
import { MAX_FAILED_LOGINS, reserveLoginAttempt } from '../../functions/accounts/login-attempts-store.ts';
import { DEFAULT_PREFERENCES } from '../../functions/accounts/model.ts';
import { hashPassword, type PasswordHash } from '../../functions/accounts/passwords.ts';
import { eraseAccountData, exportAccountData } from '../../functions/accounts/personal-data-store.ts';
import { getPreferences, putPreferences } from '../../functions/accounts/preferences-store.ts';
import { createAccount, findIdentity, updateProfile } from '../../functions/accounts/profile-store.ts';
import {
  createSession,
  revokeAllSessions,
  revokeSession,
  rotateSession,
} from '../../functions/accounts/sessions-store.ts';
import { DomainError } from '../../functions/core/domain-errors.ts';
import { asHttpError } from '../../functions/core/http.ts';
import { useFreshTable } from '../support/table.ts';

let passwordHash: PasswordHash;
let db: Awaited<ReturnType<typeof useFreshTable>>;
let counter = 0;
const uniqueEmail = () => `user${++counter}-${Date.now()}@example.com`;

/** A customer account with the shared test password, under a fresh email unless one is given. */
function newCustomer(displayName: string, email = uniqueEmail()) {
  return createAccount({ email, displayName, role: 'customer', password: passwordHash });
}

/** A new session of an open account: its refresh token (fails the test when none was made). */
async function openSession(userId: string): Promise<string> {
  const token = await createSession(userId);
  expect(token).toEqual(expect.any(String));
  return String(token);
}

async function expectStatus(promise: Promise<unknown>, status: number): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  // The store says what went wrong in its own words; the HTTP stack's table gives the status.
  expect(error).toBeInstanceOf(DomainError);
  expect(asHttpError(error).statusCode).toBe(status);
}

describe('accounts store', () => {
  beforeAll(async () => {
    db = await useFreshTable();
    // One real scrypt hash shared by the file: each costs ~0.35 s at OWASP parameters.
    passwordHash = await hashPassword('correct horse battery staple');
  });

  describe('createAccount', () => {
    it('keeps emails unique even when two registrations race', async () => {
      const email = uniqueEmail();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () =>
          createAccount({ email, displayName: 'Racer', role: 'customer', password: passwordHash }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r) => r.status === 'rejected')) {
        expect(asHttpError((r as PromiseRejectedResult).reason).statusCode).toBe(409);
      }
      expect((await findIdentity(email))?.userId).toEqual(expect.any(String));
    });
  });

  describe('rotateSession', () => {
    it('exchanges the current token for a new one and kills the old one', async () => {
      const { refreshToken } = await newCustomer('A');
      const next = await rotateSession(refreshToken);
      expect(next.refreshToken).not.toBe(refreshToken);
      await expectStatus(rotateSession(refreshToken), 401);
    });

    it('revokes the whole family when a rotated-out token is presented again', async () => {
      const { refreshToken } = await newCustomer('B');
      const latest = await rotateSession(refreshToken);
      await expectStatus(rotateSession(refreshToken), 401);
      await expectStatus(rotateSession(latest.refreshToken), 401);
    });

    it('lets exactly one of two racing refreshes with the same token win', async () => {
      const { refreshToken } = await newCustomer('C');
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => rotateSession(refreshToken)));
      expect(results.filter((r) => r.status === 'fulfilled').length).toBeLessThanOrEqual(1);
    });

    it('rejects forged and malformed tokens with 401 and no effect on the real session', async () => {
      const { account, refreshToken } = await newCustomer('D');
      const [userId, familyId] = refreshToken.split('.');
      await expectStatus(rotateSession(`${userId}.${familyId}.forgedsecretforgedsecretforged`), 401);
      await expectStatus(rotateSession('garbage'), 401);
      expect((await rotateSession(refreshToken)).userId).toBe(account.id);
    });
  });

  describe('revocation', () => {
    it('logout revokes that session only', async () => {
      const { account, refreshToken } = await newCustomer('E');
      const other = await openSession(account.id);
      await revokeSession(refreshToken);
      await expectStatus(rotateSession(refreshToken), 401);
      expect((await rotateSession(other)).userId).toBe(account.id);
    });

    it('revokeAllSessions kills every session of the user', async () => {
      const { account, refreshToken } = await newCustomer('F');
      const other = await openSession(account.id);
      await revokeAllSessions(account.id);
      await expectStatus(rotateSession(refreshToken), 401);
      await expectStatus(rotateSession(other), 401);
    });
  });

  describe('login attempts', () => {
    it(`allows ${MAX_FAILED_LOGINS} attempts per window, then answers with the seconds left`, async () => {
      const email = uniqueEmail();
      for (let i = 0; i < MAX_FAILED_LOGINS; i++) expect(await reserveLoginAttempt(email)).toBe(0);
      const retryAfter = await reserveLoginAttempt(email);
      expect(retryAfter).toBeGreaterThan(14 * 60);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    });

    it('lets exactly the allowed number of parallel attempts through', async () => {
      const email = uniqueEmail();
      const results = await Promise.all(Array.from({ length: 12 }, () => reserveLoginAttempt(email)));
      expect(results.filter((r) => r === 0)).toHaveLength(MAX_FAILED_LOGINS);
    });
  });

  describe('preferences', () => {
    it('returns defaults with version 0, then guards writes by version', async () => {
      const { account } = await newCustomer('G');
      const initial = await getPreferences(account.id);
      expect(initial.version).toBe(0);
      const saved = await putPreferences(account.id, { ...initial.preferences, theme: 'dark' }, 0);
      expect(saved.version).toBe(1);
      await expectStatus(putPreferences(account.id, { ...initial.preferences, theme: 'light' }, 0), 412);
      expect((await getPreferences(account.id)).preferences.theme).toBe('dark');
    });
  });

  describe('export and erasure', () => {
    it('exports the account without secrets, and erasure leaves no item of the user', async () => {
      const email = uniqueEmail();
      const { account } = await newCustomer('H', email);
      await putPreferences(account.id, {
        language: 'de',
        currency: 'EUR',
        theme: 'dark',
        marketingEmails: true,
        favoriteCategories: ['books'],
      });
      await reserveLoginAttempt(email);
      const exported = await exportAccountData(account.id);
      expect(exported.account).toMatchObject({ id: account.id, email });
      expect(JSON.stringify(exported)).not.toMatch(/hash|salt|password/i);

      await eraseAccountData(account.id);
      const left = await db.client.send(
        new QueryCommand({
          TableName: db.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': userPartition(account.id) },
        }),
      );
      expect(left.Items).toEqual([]);
      expect(await findIdentity(email)).toBeUndefined();
      expect(await reserveLoginAttempt(email)).toBe(0);
    });

    it('once the erasure began, opens no session and changes no profile (404), so nothing new is left behind', async () => {
      const { account, refreshToken } = await newCustomer('I');
      await beginErasure(account.id);
      await beginErasure(account.id);
      expect(await createSession(account.id)).toBeUndefined();
      await expectStatus(updateProfile(account.id, { bio: 'still here?' }), 404);
      await expectStatus(putPreferences(account.id, { ...DEFAULT_PREFERENCES, theme: 'dark' }), 404);
      // Sessions made before the mark still work until the erasure deletes them.
      expect((await rotateSession(refreshToken)).userId).toBe(account.id);
      await eraseAccountData(account.id);
      await beginErasure(account.id);
      expect(await createSession(account.id)).toBeUndefined();
    });
  });
});
