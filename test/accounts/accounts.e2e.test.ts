import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  accountEmailKey,
  emailKey,
  loginAttemptsKey,
  preferencesKey,
  profileKey,
  SESSION_PREFIX,
  userPartition,
} from '../../functions/accounts/keys.ts';
import { DEFAULT_PREFERENCES, type Preferences } from '../../functions/accounts/model.ts';
import { CATEGORIES } from '../../functions/catalog/model.ts';
import {
  bearer,
  errorPaths,
  expectProblem,
  GOOD_PASSWORD,
  jsonInit,
  type Session,
} from '../support/accounts-api.ts';
import { call } from '../support/local-api.ts';
import { useShop } from '../support/shop.ts';
import { tableReader } from '../support/table-items.ts';

const SAVED: Preferences = {
  language: 'de-CH',
  currency: 'CHF',
  theme: 'dark',
  marketingEmails: true,
  favoriteCategories: ['books', 'music'],
};

describe('accounts, profiles and preferences through the local API', () => {
  const shop = useShop();
  let alice: Session & { password: string };

  beforeAll(async () => {
    alice = await shop.accounts.newCustomer('alice');
  });

  const patchMe = (token: string, body: unknown) =>
    call(`${shop.api}/me`, jsonInit('PATCH', body, bearer(token)));
  const getPreferences = (token: string) => call(`${shop.api}/me/preferences`, { headers: bearer(token) });
  const putPreferences = (token: string, body: unknown, ifMatch?: string) =>
    call(
      `${shop.api}/me/preferences`,
      jsonInit('PUT', body, bearer(token, ifMatch === undefined ? {} : { 'if-match': ifMatch })),
    );
  const changePassword = (token: string, currentPassword: string, newPassword: string) =>
    call(`${shop.api}/me/password`, jsonInit('PUT', { currentPassword, newPassword }, bearer(token)));

  describe('GET /me', () => {
    it("returns the caller's account {id, email, displayName, bio, role, emailVerified, createdAt} and nothing else", async () => {
      const res = await shop.accounts.me(alice.accessToken);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual(alice.user);
      expect(Object.keys(res.body).sort()).toEqual([
        'bio',
        'createdAt',
        'displayName',
        'email',
        'emailVerified',
        'id',
        'role',
      ]);
    });
  });

  describe('PATCH /me', () => {
    it('changes the display name and bio and answers 200 with the account', async () => {
      const res = await patchMe(alice.accessToken, { displayName: '  Alice A.  ', bio: 'Reads a lot.' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...alice.user, displayName: 'Alice A.', bio: 'Reads a lot.' });
      expect((await shop.accounts.me(alice.accessToken)).body).toEqual(res.body);
    });

    it.each([
      ['role', { role: 'admin' }],
      ['email', { email: 'someone-else@example.com' }],
      ['id', { id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }],
      ['createdAt', { createdAt: '2000-01-01T00:00:00.000Z' }],
      ['nickname', { nickname: 'Al' }],
    ])('rejects a body with %s with a 400 naming it, and changes nothing', async (field, body) => {
      const before = await shop.accounts.me(alice.accessToken);
      const res = await patchMe(alice.accessToken, { displayName: 'Should Not Stick', ...body });
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual([`body.${field}`]);
      const after = await shop.accounts.me(alice.accessToken);
      expect(after.body).toEqual(before.body);
      expect(after.body.role).toBe('customer');
    });

    it('cannot be talked into the admin role through a __proto__ key', async () => {
      const res = await call(`${shop.api}/me`, {
        method: 'PATCH',
        headers: bearer(alice.accessToken, { 'content-type': 'application/json' }),
        body: '{"__proto__":{"role":"admin"},"constructor":{"prototype":{"role":"admin"}}}',
      });
      expect(res.status).toBeLessThan(500);
      expect(res.contentType).toMatch(/json/);
      expect((await shop.accounts.me(alice.accessToken)).body.role).toBe('customer');
    });
  });

  describe('GET /users/{userId}', () => {
    it('shows only the public profile: id, displayName, bio, createdAt (no email, no role), without a token', async () => {
      const res = await call(`${shop.api}/users/${alice.user.id}`);
      expect(res.status).toBe(200);
      const me = (await shop.accounts.me(alice.accessToken)).body;
      expect(res.body).toEqual({
        id: alice.user.id,
        displayName: me.displayName,
        bio: me.bio,
        createdAt: alice.user.createdAt,
      });
      expect(JSON.stringify(res.body)).not.toContain(alice.user.email);
    });

    it('answers an unknown user id with a 404 problem', async () => {
      expectProblem(await call(`${shop.api}/users/01ARZ3NDEKTSV4RRFFQ69G5FAV`), 404);
    });

    it.each([['not-a-ulid'], ['01arz3ndektsv4rrffq69g5fav'], [`USER%23${'0'.repeat(26)}`]])(
      'answers the malformed id %s with a 400 problem naming path.userId',
      async (id) => {
        const res = await call(`${shop.api}/users/${id}`);
        expectProblem(res, 400);
        expect(errorPaths(res)).toEqual(['path.userId']);
      },
    );
  });

  describe('GET and PUT /me/preferences', () => {
    let bob: Session & { password: string };

    beforeAll(async () => {
      bob = await shop.accounts.newCustomer('bob');
    });

    it('returns the defaults with an ETag when nothing was ever saved', async () => {
      const res = await getPreferences(bob.accessToken);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(DEFAULT_PREFERENCES);
      expect(res.headers.get('etag')).toMatch(/^(W\/)?"\d+"$/);
    });

    it('saves valid preferences with the ETag it read: 200 with a new ETag, and GET returns them', async () => {
      const etag = String((await getPreferences(bob.accessToken)).headers.get('etag'));
      const res = await putPreferences(bob.accessToken, SAVED, etag);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(SAVED);
      const next = res.headers.get('etag');
      expect(next).toMatch(/^(W\/)?"\d+"$/);
      expect(next).not.toBe(etag);
      const read = await getPreferences(bob.accessToken);
      expect(read.body).toEqual(SAVED);
      expect(read.headers.get('etag')).toBe(next);
    });

    it('refuses a PUT with a stale If-Match with a 412 problem and keeps what was saved', async () => {
      const current = await getPreferences(bob.accessToken);
      const etag = String(current.headers.get('etag'));
      expect((await putPreferences(bob.accessToken, { ...SAVED, theme: 'light' }, etag)).status).toBe(200);
      const stale = await putPreferences(bob.accessToken, { ...SAVED, theme: 'system' }, etag);
      expectProblem(stale, 412);
      expect((await getPreferences(bob.accessToken)).body).toEqual({ ...SAVED, theme: 'light' });
    });

    it('refuses If-Match "0" (the never-saved ETag) once something was saved', async () => {
      expectProblem(await putPreferences(bob.accessToken, SAVED, '"0"'), 412);
    });

    it('answers a malformed If-Match with a 400 problem', async () => {
      const res = await putPreferences(bob.accessToken, SAVED, 'not-an-etag');
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual(['header.if-match']);
    });

    const ELEVEN = [...CATEGORIES, 'books'];
    it.each<[string, string, Record<string, unknown>]>([
      ['a language that is not a BCP 47 tag', 'body.language', { language: 'english_US' }],
      ['a one-letter language', 'body.language', { language: 'e' }],
      ['a lowercase currency', 'body.currency', { currency: 'eur' }],
      ['a four-letter currency', 'body.currency', { currency: 'EURO' }],
      ['an unknown theme', 'body.theme', { theme: 'neon' }],
      ['11 favorite categories', 'body.favoriteCategories', { favoriteCategories: ELEVEN }],
      [
        'a malformed category (any slug is kept: test/catalog/)',
        'body.favoriteCategories.1',
        { favoriteCategories: ['books', 'Weapons!'] },
      ],
      ['a non-boolean marketingEmails', 'body.marketingEmails', { marketingEmails: 'yes' }],
      ['an unknown field', 'body.fontSize', { fontSize: 14 }],
      ['a missing field (PUT replaces the whole document)', 'body.theme', { theme: undefined }],
    ])('rejects %s with a 400 problem naming %s', async (_label, path, change) => {
      const before = await getPreferences(bob.accessToken);
      const res = await putPreferences(bob.accessToken, { ...SAVED, ...change });
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual([path]);
      const after = await getPreferences(bob.accessToken);
      expect(after.body).toEqual(before.body);
      expect(after.headers.get('etag')).toBe(before.headers.get('etag'));
    });
  });

  describe('GET /me/export', () => {
    it('contains the account and the preferences, and no password hash or refresh token material', async () => {
      await putPreferences(alice.accessToken, SAVED);
      const res = await call(`${shop.api}/me/export`, { headers: bearer(alice.accessToken) });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment/);
      const me = (await shop.accounts.me(alice.accessToken)).body;
      expect(res.body).toMatchObject({
        userId: alice.user.id,
        exportedAt: expect.any(String),
        account: { account: me, preferences: SAVED, sessions: expect.any(Array) },
      });

      const text = JSON.stringify(res.body);
      const reader = tableReader(shop.backend);
      try {
        const [identity] = await reader.partition(emailKey(alice.user.email).pk);
        const stored = identity?.password as { hash: string; salt: string } | undefined;
        expect(stored?.hash).toEqual(expect.any(String));
        expect(text).not.toContain(String(stored?.hash));
        expect(text).not.toContain(String(stored?.salt));
        const sessions = (await reader.partition(userPartition(alice.user.id))).filter((i) =>
          String(i.sk).startsWith(SESSION_PREFIX),
        );
        expect(sessions.length).toBeGreaterThan(0);
        for (const session of sessions) {
          expect(text).not.toContain(String(session.currentHash));
          for (const previous of (session.previousHashes as string[] | undefined) ?? [])
            expect(text).not.toContain(previous);
        }
      } finally {
        reader.close();
      }
      expect(text).not.toContain(alice.refreshToken.split('.').at(-1));
      expect(text).not.toContain(createHash('sha256').update(alice.refreshToken).digest('base64url'));
      expect(text).not.toContain(alice.password);
      expect(text).not.toMatch(/"(password|salt|hash|currentHash|previousHashes|refreshToken)"/);
    });
  });

  describe('PUT /me/password', () => {
    let carol: Session & { password: string };
    let carolSecondSession: Session;
    const newPassword = 'a brand new passphrase';

    beforeAll(async () => {
      carol = await shop.accounts.newCustomer('carol');
      carolSecondSession = await shop.accounts.signIn(carol.user.email, carol.password);
    });

    it('answers a wrong current password with a 403 problem', async () => {
      expectProblem(await changePassword(carol.accessToken, 'not my password', newPassword), 403);
    });

    it('rejects a new password that breaks the policy with a 400 naming body.newPassword', async () => {
      const res = await changePassword(carol.accessToken, carol.password, 'short');
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual(['body.newPassword']);
    });

    it('answers 204; afterwards the old password fails, every old refresh token is dead and the new password works', async () => {
      const res = await changePassword(carol.accessToken, carol.password, newPassword);
      expect(res.status).toBe(204);

      expectProblem(await shop.accounts.login(carol.user.email, carol.password), 401);
      expectProblem(await shop.accounts.refresh(carol.refreshToken), 401);
      expectProblem(await shop.accounts.refresh(carolSecondSession.refreshToken), 401);
      const fresh = await shop.accounts.login(carol.user.email, newPassword);
      expect(fresh.status).toBe(200);
      expect((fresh.body.user as { id: string }).id).toBe(carol.user.id);
    });

    it('leaves access tokens issued before the change working until they expire', async () => {
      expect((await shop.accounts.me(carolSecondSession.accessToken)).status).toBe(200);
    });
  });

  describe('DELETE /me', () => {
    let dave: Session & { password: string };

    beforeAll(async () => {
      dave = await shop.accounts.newCustomer('dave');
      // Give the erasure something to find in every place the accounts domain writes.
      expect((await putPreferences(dave.accessToken, SAVED)).status).toBe(200);
      expect((await patchMe(dave.accessToken, { bio: 'Soon gone.' })).status).toBe(200);
      expectProblem(await shop.accounts.login(dave.user.email, 'a wrong password!'), 401);
      const reader = tableReader(shop.backend);
      try {
        const items = await reader.accountItems(dave.user.id, dave.user.email);
        expect(items.map((i) => String(i.sk).replace(/#.*/, '#')).sort()).toEqual(
          [
            // The verification email of the registration (an outbox item of the user's partition).
            accountEmailKey(dave.user.id, '').sk,
            loginAttemptsKey(dave.user.email).sk,
            emailKey(dave.user.email).sk,
            preferencesKey(dave.user.id).sk,
            profileKey(dave.user.id).sk,
            SESSION_PREFIX,
          ].sort(),
        );
      } finally {
        reader.close();
      }
    });

    it('answers 204 and leaves no item of the user in the table', async () => {
      const res = await call(`${shop.api}/me`, { method: 'DELETE', headers: bearer(dave.accessToken) });
      expect(res.status).toBe(204);
      const reader = tableReader(shop.backend);
      try {
        expect(await reader.accountItems(dave.user.id, dave.user.email)).toEqual([]);
        expect(await reader.itemsMentioning(dave.user.id, dave.user.email)).toEqual([]);
      } finally {
        reader.close();
      }
    });

    it('answers GET /me with the old access token with a 404 problem', async () => {
      expectProblem(await shop.accounts.me(dave.accessToken), 404);
    });

    it('kills the refresh token of the account (401)', async () => {
      expectProblem(await shop.accounts.refresh(dave.refreshToken), 401);
    });

    it('removes the public profile (404)', async () => {
      expectProblem(await call(`${shop.api}/users/${dave.user.id}`), 404);
    });

    it('makes signing in fail with the same 401 as an unknown email', async () => {
      const res = await shop.accounts.login(dave.user.email, dave.password);
      expectProblem(res, 401);
      expect(res.body.detail).toBe('Email or password is wrong.');
    });

    it('refuses to change an erased account with a still-valid access token (PATCH /me and PUT /me/password are 404)', async () => {
      expectProblem(await patchMe(dave.accessToken, { bio: 'back from the dead' }), 404);
      expectProblem(await changePassword(dave.accessToken, dave.password, 'another new password'), 404);
    });

    it('does not let a still-valid access token write preferences back for an erased account (404, no item)', async () => {
      const res = await putPreferences(dave.accessToken, SAVED);
      expectProblem(res, 404);
      const reader = tableReader(shop.backend);
      try {
        expect(await reader.partition(userPartition(dave.user.id))).toEqual([]);
      } finally {
        reader.close();
      }
    });

    it('frees the email: it can be registered again as a new account', async () => {
      const res = await shop.accounts.register({
        email: dave.user.email,
        password: GOOD_PASSWORD,
        displayName: 'New Dave',
      });
      expect(res.status).toBe(201);
      expect((res.body.user as { id: string }).id).not.toBe(dave.user.id);
    });
  });
});
