import { beforeAll, describe, expect, it } from 'vitest';
import { accountEmailKey, emailKey, profileKey, SESSION_PREFIX } from '../../functions/accounts/keys.ts';
import { DEFAULT_PREFERENCES, type Preferences } from '../../functions/accounts/model.ts';
import { bearer, errorPaths, expectProblem, jsonInit, type Session } from '../support/accounts-api.ts';
import { call } from '../support/local-api.ts';
import { useShop } from '../support/shop.ts';
import { tableReader } from '../support/table-items.ts';

const A_PREFERENCES: Preferences = {
  language: 'fr',
  currency: 'EUR',
  theme: 'light',
  marketingEmails: false,
  favoriteCategories: ['toys'],
};

describe('user A against user B through the local API', () => {
  const shop = useShop();
  let a: Session & { password: string };
  let b: Session & { password: string };
  /** B's current refresh token (it rotates whenever a test proves B's session still works). */
  let bRefresh: string;
  /** A's current refresh token. */
  let aRefresh: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([
      shop.accounts.newCustomer('user-a'),
      shop.accounts.newCustomer('user-b', 'b has a password of its own'),
    ]);
    bRefresh = b.refreshToken;
    aRefresh = a.refreshToken;
  });

  /** Asserts B's account and session are exactly as they were. */
  async function expectBUntouched(): Promise<void> {
    const me = await shop.accounts.me(b.accessToken);
    expect(me.status).toBe(200);
    expect(me.body).toEqual(b.user);
    const refreshed = await shop.accounts.refresh(bRefresh);
    expect(refreshed.status, 'B can still refresh').toBe(200);
    bRefresh = String(refreshed.body.refreshToken);
  }

  it("GET /me with A's token returns A, whatever the query string or headers say about B", async () => {
    const res = await call(`${shop.api}/me?userId=${b.user.id}&sub=${b.user.id}`, {
      headers: bearer(a.accessToken, { 'x-user-id': b.user.id, 'x-amzn-oidc-identity': b.user.id }),
    });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(a.user.id);
    expect(res.body.email).toBe(a.user.email);
  });

  it("GET /users/{B} with A's token shows only B's public profile (no email, no role)", async () => {
    const res = await call(`${shop.api}/users/${b.user.id}`, { headers: bearer(a.accessToken) });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['bio', 'createdAt', 'displayName', 'id']);
    expect(res.body.id).toBe(b.user.id);
    expect(JSON.stringify(res.body)).not.toContain(b.user.email);
  });

  it("PATCH /me with A's token and B's id in the body is a 400, and neither account changes", async () => {
    const res = await call(
      `${shop.api}/me`,
      jsonInit('PATCH', { id: b.user.id, displayName: 'Hijacked' }, bearer(a.accessToken)),
    );
    expectProblem(res, 400);
    expect(errorPaths(res)).toEqual(['body.id']);
    expect((await shop.accounts.me(a.accessToken)).body.displayName).toBe(a.user.displayName);
    await expectBUntouched();
  });

  it("PATCH /me with A's token changes A only", async () => {
    const res = await call(`${shop.api}/me`, jsonInit('PATCH', { bio: 'I am A.' }, bearer(a.accessToken)));
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(a.user.id);
    await expectBUntouched();
  });

  it.each([['PATCH'], ['PUT'], ['DELETE'], ['POST']])(
    "%s /users/{B} with A's token does not exist (405 problem) and leaves B alone",
    async (method) => {
      const res = await call(
        `${shop.api}/users/${b.user.id}`,
        jsonInit(
          method,
          method === 'DELETE' ? undefined : { displayName: 'Hijacked' },
          bearer(a.accessToken),
        ),
      );
      expectProblem(res, 405);
      expect(res.headers.get('allow')).toBe('GET');
      await expectBUntouched();
    },
  );

  it("PUT /me/preferences with A's token saves A's preferences only; B still has the defaults", async () => {
    const res = await call(
      `${shop.api}/me/preferences`,
      jsonInit('PUT', A_PREFERENCES, bearer(a.accessToken)),
    );
    expect(res.status).toBe(200);
    const bPrefs = await call(`${shop.api}/me/preferences`, { headers: bearer(b.accessToken) });
    expect(bPrefs.body).toEqual(DEFAULT_PREFERENCES);
    const aPrefs = await call(`${shop.api}/me/preferences`, { headers: bearer(a.accessToken) });
    expect(aPrefs.body).toEqual(A_PREFERENCES);
  });

  it("B's ETag is no key to A's preferences: A's If-Match is checked against A's own version", async () => {
    const bEtag = String(
      (await call(`${shop.api}/me/preferences`, { headers: bearer(b.accessToken) })).headers.get('etag'),
    );
    const res = await call(
      `${shop.api}/me/preferences`,
      jsonInit('PUT', { ...A_PREFERENCES, theme: 'dark' }, bearer(a.accessToken, { 'if-match': bEtag })),
    );
    expectProblem(res, 412);
  });

  it("GET /me/export with A's token contains A's data and nothing of B", async () => {
    const res = await call(`${shop.api}/me/export`, { headers: bearer(a.accessToken) });
    expect(res.status).toBe(200);
    expect(res.body.userId).toBe(a.user.id);
    const text = JSON.stringify(res.body);
    expect(text).toContain(a.user.email);
    expect(text).not.toContain(b.user.id);
    expect(text).not.toContain(b.user.email);
  });

  it("PUT /me/password with A's token and B's password is a 403, and B's sessions survive", async () => {
    const res = await call(
      `${shop.api}/me/password`,
      jsonInit(
        'PUT',
        { currentPassword: b.password, newPassword: 'taken over by A!' },
        bearer(a.accessToken),
      ),
    );
    expectProblem(res, 403);
    await expectBUntouched();
  });

  it("POST /auth/refresh with A's refresh token returns A's account, never B's", async () => {
    const res = await shop.accounts.refresh(aRefresh);
    expect(res.status).toBe(200);
    expect((res.body.user as { id: string }).id).toBe(a.user.id);
    aRefresh = String(res.body.refreshToken);
  });

  it("A's refresh token cannot log out B's session, even grafted onto B's user id", async () => {
    const [, aFamily, aSecret] = aRefresh.split('.');
    const [, bFamily] = bRefresh.split('.');
    for (const grafted of [
      `${b.user.id}.${aFamily}.${aSecret}`,
      `${b.user.id}.${bFamily}.${aSecret}`,
      `${a.user.id}.${bFamily}.${aSecret}`,
    ]) {
      const res = await shop.accounts.logout(grafted);
      expect(res.status, grafted).toBeLessThan(500);
      expectProblem(await shop.accounts.refresh(grafted), 401);
    }
    expect((await shop.accounts.logout(aRefresh)).status).toBe(204);
    expectProblem(await shop.accounts.refresh(aRefresh), 401);
    await expectBUntouched();
  });

  it("DELETE /me with A's token erases A only: B's account, profile and items remain", async () => {
    const res = await call(`${shop.api}/me`, { method: 'DELETE', headers: bearer(a.accessToken) });
    expect(res.status).toBe(204);
    expectProblem(await shop.accounts.me(a.accessToken), 404);
    await expectBUntouched();
    expect((await call(`${shop.api}/users/${b.user.id}`)).status).toBe(200);
    const reader = tableReader(shop.backend);
    try {
      expect(await reader.accountItems(a.user.id, a.user.email)).toEqual([]);
      const bItems = await reader.accountItems(b.user.id, b.user.email);
      expect(bItems.map((i) => String(i.sk).replace(/#.*/, '#')).sort()).toEqual(
        [
          // The verification email of B's registration (an outbox item of B's partition).
          accountEmailKey(b.user.id, '').sk,
          emailKey(b.user.email).sk,
          profileKey(b.user.id).sk,
          SESSION_PREFIX,
        ].sort(),
      );
    } finally {
      reader.close();
    }
  });
});
