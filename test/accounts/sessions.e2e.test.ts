import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { userPartition } from '../../functions/accounts/keys.ts';
import { hashPassword } from '../../functions/accounts/passwords.ts';
import { environmentConfig } from '../../lib/config/environments.ts';
import {
  bearer,
  errorMessage,
  errorPaths,
  expectProblem,
  GOOD_PASSWORD,
  problemWithoutInstance,
  type Session,
  uniqueEmail,
} from '../support/accounts-api.ts';
import { payloadOf, tokenSettings } from '../support/forged-tokens.ts';
import { call } from '../support/local-api.ts';
import { useShop } from '../support/shop.ts';
import { tableReader } from '../support/table-items.ts';

describe('sign-up, sign-in and sessions through the local API', () => {
  const shop = useShop();

  // The steps of one story share state and run in order, as a user would go through them.
  describe('a session, from registration to logout', () => {
    const email = uniqueEmail('story');
    let registered: Session;
    let loggedIn: Session;
    let rotated: Session;
    let registeredRotated: Session;

    it('POST /auth/register answers 201 with the account, an RS256 access token and an opaque refresh token', async () => {
      const res = await shop.accounts.register({
        email,
        password: GOOD_PASSWORD,
        displayName: 'Story Teller',
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('cache-control')).toBe('no-store');
      registered = res.body as unknown as Session;
      expect(registered.user).toEqual({
        id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
        email,
        displayName: 'Story Teller',
        bio: '',
        role: 'customer',
        emailVerified: false,
        createdAt: expect.any(String),
      });
      expect(registered.expiresIn).toBe(900);
      expect(registered.refreshToken.length).toBeGreaterThanOrEqual(20);
      expect(JSON.stringify(res.body)).not.toContain(GOOD_PASSWORD);

      const { issuer, audience } = tokenSettings(shop.backend);
      const [headerPart] = registered.accessToken.split('.');
      expect(JSON.parse(Buffer.from(headerPart ?? '', 'base64url').toString())).toMatchObject({
        alg: 'RS256',
        kid: expect.any(String),
      });
      const claims = payloadOf(registered.accessToken);
      expect(claims).toMatchObject({ sub: registered.user.id, iss: issuer, aud: audience });
      expect(claims.scope).toBeUndefined();
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900);
      expect(claims.nbf).toBe(claims.iat);
    });

    it('POST /auth/login with the same credentials answers 200 with a second, independent session', async () => {
      const res = await shop.accounts.login(email, GOOD_PASSWORD);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      loggedIn = res.body as unknown as Session;
      expect(loggedIn.user).toEqual(registered.user);
      expect(loggedIn.refreshToken).not.toBe(registered.refreshToken);
      const me = await shop.accounts.me(loggedIn.accessToken);
      expect(me.status).toBe(200);
      expect(me.body).toEqual(registered.user);
    });

    it('POST /auth/refresh exchanges the refresh token for a new pair that works', async () => {
      const res = await shop.accounts.refresh(loggedIn.refreshToken);
      expect(res.status).toBe(200);
      rotated = res.body as unknown as Session;
      expect(rotated.user).toEqual(registered.user);
      expect(rotated.refreshToken).not.toBe(loggedIn.refreshToken);
      expect(rotated.accessToken).toEqual(expect.any(String));
      expect(rotated.expiresIn).toBe(900);
      expect((await shop.accounts.me(rotated.accessToken)).status).toBe(200);
    });

    it('revokes the whole family when a rotated-out token is presented again: the old token is 401 and the latest stops working too', async () => {
      const reuse = await shop.accounts.refresh(loggedIn.refreshToken);
      expectProblem(reuse, 401);
      const latest = await shop.accounts.refresh(rotated.refreshToken);
      expectProblem(latest, 401);
    });

    it('keeps the other session of the same user (from registration) alive after one family is revoked', async () => {
      const res = await shop.accounts.refresh(registered.refreshToken);
      expect(res.status).toBe(200);
      registeredRotated = res.body as unknown as Session;
    });

    it('POST /auth/logout answers 204, and refreshing with that token afterwards is 401', async () => {
      const out = await shop.accounts.logout(registeredRotated.refreshToken);
      expect(out.status).toBe(204);
      expectProblem(await shop.accounts.refresh(registeredRotated.refreshToken), 401);
    });

    it('leaves an access token issued before logout working until it expires (logout revokes refresh tokens, not access tokens)', async () => {
      const me = await shop.accounts.me(registeredRotated.accessToken);
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(registered.user.id);
      const { exp = 0 } = payloadOf(registeredRotated.accessToken);
      expect(exp - Date.now() / 1000).toBeLessThanOrEqual(900);
      expect(exp - Date.now() / 1000).toBeGreaterThan(0);
    });

    it('stores refresh tokens only hashed: neither the token nor its secret part is in the table', async () => {
      const reader = tableReader(shop.backend);
      try {
        const items = await reader.partition(userPartition(registered.user.id));
        const text = JSON.stringify(items);
        for (const token of [registered.refreshToken, registeredRotated.refreshToken, rotated.refreshToken]) {
          expect(text).not.toContain(token);
          expect(text).not.toContain(token.split('.').at(-1));
        }
        const hash = createHash('sha256').update(registeredRotated.refreshToken).digest('base64url');
        expect(text).toContain(hash);
        expect(text).not.toContain(GOOD_PASSWORD);
      } finally {
        reader.close();
      }
    });
  });

  describe('POST /auth/register', () => {
    it('normalizes the email: " Jo@Example.COM " registers as jo@example.com', async () => {
      const res = await shop.accounts.register({
        email: ' Jo@Example.COM ',
        password: GOOD_PASSWORD,
        displayName: 'Jo',
      });
      expect(res.status).toBe(201);
      expect((res.body.user as { email: string }).email).toBe('jo@example.com');
    });

    it.each([['jo@example.com'], ['  JO@EXAMPLE.COM']])(
      'refuses a second registration of the same email (%j) with a 409 problem',
      async (email) => {
        const res = await shop.accounts.register({ email, password: GOOD_PASSWORD, displayName: 'Jo again' });
        expectProblem(res, 409);
      },
    );

    it.each([
      ['a Cyrillic о', 'j\u043e@example.com'],
      ['a fullwidth ｊ', '\uff4ao@example.com'],
      ['a zero-width space', 'j\u200bo@example.com'],
      ['a combining accent', 'jo\u0301@example.com'],
      ['a Cyrillic а in the domain', 'jo@ex\u0430mple.com'],
      ['a NUL at the end', 'jo@example.com\u0000'],
    ])(
      'refuses a look-alike of an existing email (%s) with a 400 naming body.email: no second account passes for it',
      async (_label, email) => {
        const registered = await shop.accounts.register({
          email,
          password: GOOD_PASSWORD,
          displayName: 'Jo twin',
        });
        expectProblem(registered, 400);
        expect(errorPaths(registered)).toEqual(['body.email']);
        const login = await shop.accounts.login(email, GOOD_PASSWORD);
        expectProblem(login, 400);
      },
    );

    it('signs in with the normalized email whatever its case and surrounding space', async () => {
      const res = await shop.accounts.login('  jO@eXample.com ', GOOD_PASSWORD);
      expect(res.status).toBe(200);
      expect((res.body.user as { email: string }).email).toBe('jo@example.com');
    });

    it('lets exactly one of two simultaneous registrations of one email win; the other gets 409', async () => {
      const email = uniqueEmail('race');
      const results = await Promise.all(
        ['Racer One', 'Racer Two'].map((displayName) =>
          shop.accounts.register({ email, password: GOOD_PASSWORD, displayName }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    });

    it('rejects a 9-character password with a 400 that names body.password and says why', async () => {
      const res = await shop.accounts.register({
        email: uniqueEmail('short'),
        password: 'a'.repeat(9),
        displayName: 'Short',
      });
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual(['body.password']);
      expect(errorMessage(res, 'body.password')).toMatch(/at least 10 characters/);
    });

    it('rejects a 257-character password with a 400 that names body.password and says why', async () => {
      const res = await shop.accounts.register({
        email: uniqueEmail('long'),
        password: 'a'.repeat(257),
        displayName: 'Long',
      });
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual(['body.password']);
      expect(errorMessage(res, 'body.password')).toMatch(/at most 256 characters/);
    });

    it('never creates an admin: the role is not part of the body (400) and new accounts are customers', async () => {
      const res = await call(`${shop.api}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: uniqueEmail('sneaky'),
          password: GOOD_PASSWORD,
          displayName: 'X',
          role: 'admin',
        }),
      });
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual(['body.role']);
    });
  });

  describe('POST /auth/login', () => {
    let user: Session & { password: string };

    beforeAll(async () => {
      user = await shop.accounts.newCustomer('login');
    });

    it('gives an unknown email and a wrong password the same 401 body, and both pay for a password hash', async () => {
      // The floor: one hash at the local environment's cost, in this process, on this machine now.
      let hashMs = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i++) {
        const at = performance.now();
        await hashPassword('a password to time', environmentConfig('local').passwordHashing);
        hashMs = Math.min(hashMs, performance.now() - at);
      }
      let started = performance.now();
      const wrongPassword = await shop.accounts.login(user.user.email, 'not the right password');
      const wrongPasswordMs = performance.now() - started;
      started = performance.now();
      const unknownEmail = await shop.accounts.login(uniqueEmail('nobody'), 'not the right password');
      const unknownEmailMs = performance.now() - started;

      expectProblem(wrongPassword, 401);
      expectProblem(unknownEmail, 401);
      expect(problemWithoutInstance(unknownEmail)).toEqual(problemWithoutInstance(wrongPassword));
      expect(unknownEmail.headers.get('www-authenticate')).toBe(
        wrongPassword.headers.get('www-authenticate'),
      );
      // A scrypt hash takes tens of milliseconds even at the local cost; a lookup alone takes a
      // few. Both answers taking at least half a hash shows the unknown email is not answered early.
      expect(wrongPasswordMs).toBeGreaterThan(hashMs / 2);
      expect(unknownEmailMs).toBeGreaterThan(hashMs / 2);
    });

    it('counts simultaneous failed attempts too: of 8 parallel wrong guesses at most 5 are checked, the rest get 429', async () => {
      const target = await shop.accounts.newCustomer('burst');
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          shop.accounts.login(target.user.email, `wrong guess number ${i}`),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(
        statuses.every((s) => s === 401 || s === 429),
        String(statuses),
      ).toBe(true);
      expect(statuses.filter((s) => s === 401).length, `statuses: ${statuses}`).toBeLessThanOrEqual(5);
      expectProblem(await shop.accounts.login(target.user.email, target.password), 429);
    });

    it('answers the 6th attempt after 5 failures with 429 and Retry-After (seconds, <= 900), even with the right password', async () => {
      const victim = await shop.accounts.newCustomer('throttled');
      for (let attempt = 1; attempt <= 5; attempt++) {
        expectProblem(await shop.accounts.login(victim.user.email, `wrong password ${attempt}`), 401);
      }
      const blocked = await shop.accounts.login(victim.user.email, victim.password);
      expectProblem(blocked, 429);
      const retryAfter = blocked.headers.get('retry-after');
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      expect(Number(retryAfter)).toBeLessThanOrEqual(900);
      expect(blocked.body).not.toHaveProperty('accessToken');
      // Throttling sign-ins leaves sessions that are already open alone.
      expect((await shop.accounts.me(victim.accessToken)).status).toBe(200);
    });
  });

  describe('POST /auth/refresh', () => {
    it('lets only one of two simultaneous refreshes with one token succeed (a replay), and then the family is dead', async () => {
      const owner = await shop.accounts.newCustomer('racer');
      const [first, second] = await Promise.all([
        shop.accounts.refresh(owner.refreshToken),
        shop.accounts.refresh(owner.refreshToken),
      ]);
      expect([first?.status, second?.status].sort()).toEqual([200, 401]);
      const winner = (first?.status === 200 ? first : second)?.body as unknown as Session;
      expectProblem(await shop.accounts.refresh(winner.refreshToken), 401);
    });

    it.each([
      [
        'a well-formed token nobody issued',
        '01ARZ3NDEKTSV4RRFFQ69G5FAV.01ARZ3NDEKTSV4RRFFQ69G5FAW.c2VjcmV0c2VjcmV0c2VjcmV0',
      ],
      ['a token without the dotted structure', 'x'.repeat(64)],
      ['a token with too many parts', 'a.b.c.d.eeeeeeeeeeeeeeeeeeeeeeeeee'],
    ])('answers %s with a 401 problem', async (_label, refreshToken) => {
      expectProblem(await shop.accounts.refresh(refreshToken), 401);
    });

    it('answers a token whose secret part was changed with 401', async () => {
      const session = (
        await shop.accounts.register({
          email: uniqueEmail('forger'),
          password: GOOD_PASSWORD,
          displayName: 'Forger',
        })
      ).body as unknown as Session;
      const [userId, familyId] = session.refreshToken.split('.');
      expectProblem(await shop.accounts.refresh(`${userId}.${familyId}.${'A'.repeat(43)}`), 401);
      // And guessing did not burn the real session.
      expect((await shop.accounts.refresh(session.refreshToken)).status).toBe(200);
    });
  });

  describe('POST /auth/logout', () => {
    it('answers 204 for a well-formed token it does not know, revealing nothing', async () => {
      const res = await shop.accounts.logout(
        '01ARZ3NDEKTSV4RRFFQ69G5FAV.01ARZ3NDEKTSV4RRFFQ69G5FAW.c2VjcmV0c2VjcmV0c2VjcmV0',
      );
      expect(res.status).toBe(204);
    });

    it('answers a malformed refresh token with a 4xx problem, never a 500', async () => {
      const res = await shop.accounts.logout('x'.repeat(64));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.contentType).toBe('application/problem+json');
    });

    it('needs no access token (it is public) and does not accept one in place of the refresh token', async () => {
      const res = await call(`${shop.api}/auth/logout`, {
        method: 'POST',
        headers: bearer('whatever', { 'content-type': 'application/json' }),
        body: '{}',
      });
      expectProblem(res, 400);
      expect(errorPaths(res)).toEqual(['body.refreshToken']);
    });
  });
});
