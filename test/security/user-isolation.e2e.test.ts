import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailKey, profileKey, SESSION_PREFIX } from '../../functions/accounts/keys.ts';
import { DEFAULT_PREFERENCES, type Preferences } from '../../functions/accounts/model.ts';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import {
  accountsApi,
  bearer,
  errorPaths,
  expectProblem,
  jsonInit,
  type Session,
} from '../support/accounts-api.ts';
import { call, startTestBackend } from '../support/local-api.ts';
import { tableReader } from '../support/table-items.ts';

const A_PREFERENCES: Preferences = {
  language: 'fr',
  currency: 'EUR',
  theme: 'light',
  marketingEmails: false,
  favoriteCategories: ['toys'],
};

describe('user A against user B through the local API', () => {
  let backend: ShopBackend;
  let api: string;
  let client: ReturnType<typeof accountsApi>;
  let a: Session & { password: string };
  let b: Session & { password: string };
  /** B's current refresh token (it rotates whenever a test proves B's session still works). */
  let bRefresh: string;
  /** A's current refresh token. */
  let aRefresh: string;

  beforeAll(async () => {
    backend = await startTestBackend();
    api = backend.url;
    client = accountsApi(api);
    [a, b] = await Promise.all([
      client.newCustomer('user-a'),
      client.newCustomer('user-b', 'b has a password of its own'),
    ]);
    bRefresh = b.refreshToken;
    aRefresh = a.refreshToken;
  });

  afterAll(async () => {
    await backend.stop();
  });

  /** Asserts B's account and session are exactly as they were. */
  async function expectBUntouched(): Promise<void> {
    const me = await client.me(b.accessToken);
    expect(me.status).toBe(200);
    expect(me.body).toEqual(b.user);
    const refreshed = await client.refresh(bRefresh);
    expect(refreshed.status, 'B can still refresh').toBe(200);
    bRefresh = String(refreshed.body.refreshToken);
  }

  it("GET /me with A's token returns A, whatever the query string or headers say about B", async () => {
    const res = await call(`${api}/me?userId=${b.user.id}&sub=${b.user.id}`, {
      headers: bearer(a.accessToken, { 'x-user-id': b.user.id, 'x-amzn-oidc-identity': b.user.id }),
    });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(a.user.id);
    expect(res.body.email).toBe(a.user.email);
  });

  it("GET /users/{B} with A's token shows only B's public profile (no email, no role)", async () => {
    const res = await call(`${api}/users/${b.user.id}`, { headers: bearer(a.accessToken) });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['bio', 'createdAt', 'displayName', 'id']);
    expect(res.body.id).toBe(b.user.id);
    expect(JSON.stringify(res.body)).not.toContain(b.user.email);
  });

  it("PATCH /me with A's token and B's id in the body is a 400, and neither account changes", async () => {
    const res = await call(
      `${api}/me`,
      jsonInit('PATCH', { id: b.user.id, displayName: 'Hijacked' }, bearer(a.accessToken)),
    );
    expectProblem(res, 400);
    expect(errorPaths(res)).toEqual(['body.id']);
    expect((await client.me(a.accessToken)).body.displayName).toBe(a.user.displayName);
    await expectBUntouched();
  });

  it("PATCH /me with A's token changes A only", async () => {
    const res = await call(`${api}/me`, jsonInit('PATCH', { bio: 'I am A.' }, bearer(a.accessToken)));
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(a.user.id);
    await expectBUntouched();
  });

  it.each([['PATCH'], ['PUT'], ['DELETE'], ['POST']])(
    "%s /users/{B} with A's token does not exist (405 problem) and leaves B alone",
    async (method) => {
      const res = await call(
        `${api}/users/${b.user.id}`,
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
    const res = await call(`${api}/me/preferences`, jsonInit('PUT', A_PREFERENCES, bearer(a.accessToken)));
    expect(res.status).toBe(200);
    const bPrefs = await call(`${api}/me/preferences`, { headers: bearer(b.accessToken) });
    expect(bPrefs.body).toEqual(DEFAULT_PREFERENCES);
    const aPrefs = await call(`${api}/me/preferences`, { headers: bearer(a.accessToken) });
    expect(aPrefs.body).toEqual(A_PREFERENCES);
  });

  it("B's ETag is no key to A's preferences: A's If-Match is checked against A's own version", async () => {
    const bEtag = String(
      (await call(`${api}/me/preferences`, { headers: bearer(b.accessToken) })).headers.get('etag'),
    );
    const res = await call(
      `${api}/me/preferences`,
      jsonInit('PUT', { ...A_PREFERENCES, theme: 'dark' }, bearer(a.accessToken, { 'if-match': bEtag })),
    );
    expectProblem(res, 412);
  });

  it("GET /me/export with A's token contains A's data and nothing of B", async () => {
    const res = await call(`${api}/me/export`, { headers: bearer(a.accessToken) });
    expect(res.status).toBe(200);
    expect(res.body.userId).toBe(a.user.id);
    const text = JSON.stringify(res.body);
    expect(text).toContain(a.user.email);
    expect(text).not.toContain(b.user.id);
    expect(text).not.toContain(b.user.email);
  });

  it("PUT /me/password with A's token and B's password is a 403, and B's sessions survive", async () => {
    const res = await call(
      `${api}/me/password`,
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
    const res = await client.refresh(aRefresh);
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
      const res = await client.logout(grafted);
      expect(res.status, grafted).toBeLessThan(500);
      expectProblem(await client.refresh(grafted), 401);
    }
    expect((await client.logout(aRefresh)).status).toBe(204);
    expectProblem(await client.refresh(aRefresh), 401);
    await expectBUntouched();
  });

  it("DELETE /me with A's token erases A only: B's account, profile and items remain", async () => {
    const res = await call(`${api}/me`, { method: 'DELETE', headers: bearer(a.accessToken) });
    expect(res.status).toBe(204);
    expectProblem(await client.me(a.accessToken), 404);
    await expectBUntouched();
    expect((await call(`${api}/users/${b.user.id}`)).status).toBe(200);
    const reader = tableReader(backend);
    try {
      expect(await reader.accountItems(a.user.id, a.user.email)).toEqual([]);
      const bItems = await reader.accountItems(b.user.id, b.user.email);
      expect(bItems.map((i) => String(i.sk).replace(/#.*/, '#')).sort()).toEqual([
        emailKey(b.user.email).sk,
        profileKey(b.user.id).sk,
        SESSION_PREFIX,
      ]);
    } finally {
      reader.close();
    }
  });
});
