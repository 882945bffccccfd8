import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import { accountsApi, bearer, GOOD_PASSWORD, jsonInit, uniqueEmail } from '../support/accounts-api.ts';
import { call, startTestBackend } from '../support/local-api.ts';
import { codeIn, emailsTo, latestCode as latest, waitForEmails } from '../support/mailbox.ts';

let backend: ShopBackend;
let api: ReturnType<typeof accountsApi>;
/** Every line the backend logged, and every code and address the tests used: none may be in a line. */
const lines: string[] = [];
const codesSeen = new Set<string>();
const post = (path: string, body: unknown, headers?: Record<string, string>) =>
  call(`${backend.url}${path}`, jsonInit('POST', body, headers));
/** The latest code to an address, remembered for the log scan. */
async function latestCode(...args: Parameters<typeof latest>): Promise<string> {
  const code = await latest(...args);
  codesSeen.add(code);
  return code;
}
const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('email verification, password reset and email change (codes by email, read from the local SES)', () => {
  beforeAll(async () => {
    backend = await startTestBackend(undefined, { log: (line) => lines.push(line) });
    api = accountsApi(backend.url);
  });
  afterAll(async () => {
    // The shared scan (on stop) finds addresses and tokens by shape; the codes are checked here, as
    // whole numbers (a 6-digit run inside a timestamp is not a code).
    for (const code of codesSeen) {
      const leaked = lines.filter((line) => new RegExp(`(?<![0-9])${code}(?![0-9])`).test(line));
      expect(leaked, `code ${code} in a log line`).toEqual([]);
    }
    await backend?.stop();
  });

  it('register sends a code; verify-email marks the address verified, in GET /me and the next token', async () => {
    const session = await api.newCustomer('verify');
    const email = session.user.email;
    expect(session.user.emailVerified).toBe(false);
    expect(decodeJwt(session.accessToken).email_verified).toBe(false);
    const code = await latestCode(backend.ses, email, /verification code/);
    expect((await post('/auth/verify-email', { email, code: otherCode(code) })).status).toBe(422);
    expect((await post('/auth/verify-email', { email, code })).status).toBe(204);
    // Single use.
    expect((await post('/auth/verify-email', { email, code })).body.type).toBe('/problems/invalid-code');
    expect((await api.me(session.accessToken)).body.emailVerified).toBe(true);
    const refreshed = await api.refresh(session.refreshToken);
    expect(decodeJwt(String(refreshed.body.accessToken)).email_verified).toBe(true);
  });

  it('a requested code replaces the one sent at registration', async () => {
    const session = await api.newCustomer('again');
    const email = session.user.email;
    const first = await latestCode(backend.ses, email, /verification code/);
    expect((await post('/auth/verify-email/request', { email })).status).toBe(202);
    const second = await latestCode(backend.ses, email, /verification code/, 2);
    if (first !== second) expect((await post('/auth/verify-email', { email, code: first })).status).toBe(422);
    expect((await post('/auth/verify-email', { email, code: second })).status).toBe(204);
  });

  it('password reset answers 202 for unknown and known addresses alike, and mails only the known one', async () => {
    const unknown = uniqueEmail('nobody');
    const a = await post('/auth/password-reset', { email: unknown });
    const session = await api.newCustomer('reset');
    const b = await post('/auth/password-reset', { email: session.user.email });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body).toEqual(b.body);
    await waitForEmails(backend.ses, session.user.email, /password reset code/);
    expect(await emailsTo(backend.ses, unknown)).toEqual([]);
  });

  it('password reset with the emailed code sets the password and revokes every session', async () => {
    const session = await api.newCustomer('reset2');
    const email = session.user.email;
    expect((await post('/auth/password-reset', { email })).status).toBe(202);
    const code = await latestCode(backend.ses, email, /password reset code/);
    const newPassword = 'a brand new passphrase';
    expect(
      (await post('/auth/password-reset/confirm', { email, code: otherCode(code), newPassword })).status,
    ).toBe(422);
    expect((await post('/auth/password-reset/confirm', { email, code, newPassword })).status).toBe(204);
    expect((await post('/auth/password-reset/confirm', { email, code, newPassword })).status).toBe(422);
    expect((await api.refresh(session.refreshToken)).status).toBe(401);
    expect((await api.login(email, GOOD_PASSWORD)).status).toBe(401);
    expect((await api.login(email, newPassword)).status).toBe(200);
  });

  it('code requests are limited per address: 429 with Retry-After', async () => {
    const email = uniqueEmail('flood');
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i++) {
      const res = await post('/auth/password-reset', { email });
      statuses.push(res.status);
      retryAfter ??= res.headers.get('retry-after');
    }
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it('email change: a code to the new address, a notice to the old; confirmed, sign-in moves', async () => {
    const session = await api.newCustomer('mover');
    const oldEmail = session.user.email;
    const newEmail = uniqueEmail('moved');
    const auth = bearer(session.accessToken);
    expect((await post('/me/email', { newEmail, currentPassword: 'wrong password!' }, auth)).status).toBe(
      403,
    );
    expect((await post('/me/email', { newEmail, currentPassword: GOOD_PASSWORD }, auth)).status).toBe(202);
    const code = await latestCode(backend.ses, newEmail, /Confirm your new email/);
    const [notice] = await waitForEmails(backend.ses, oldEmail, /being changed/);
    expect(notice?.body.text).not.toMatch(/\b\d{6}\b/);
    const res = await post('/me/email/confirm', { code }, auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ email: newEmail, emailVerified: true });
    expect((await api.login(oldEmail, GOOD_PASSWORD)).status).toBe(401);
    expect((await api.login(newEmail, GOOD_PASSWORD)).status).toBe(200);
  });

  it('two accounts racing for one address: exactly one gets it', async () => {
    const target = uniqueEmail('contested');
    const racers = await Promise.all([api.newCustomer('racer-a'), api.newCustomer('racer-b')]);
    for (const racer of racers) {
      const res = await post(
        '/me/email',
        { newEmail: target, currentPassword: GOOD_PASSWORD },
        bearer(racer.accessToken),
      );
      expect(res.status).toBe(202);
    }
    const emails = await waitForEmails(backend.ses, target, /Confirm your new email/, 2);
    const codes = emails.map(codeIn);
    for (const code of codes) codesSeen.add(code);
    // Each code belongs to one racer: try both codes for both (a wrong pairing is a 422).
    const results = await Promise.all(
      racers.map(async (racer) => {
        for (const code of codes) {
          const res = await post('/me/email/confirm', { code }, bearer(racer.accessToken));
          if (res.status !== 422) return res.status;
        }
        return 422;
      }),
    );
    expect(results.sort()).toEqual([200, 409]);
  });

  it('order emails: placed (with its lines and total) and cancelled, each once', async () => {
    const session = await api.newCustomer('buyer');
    const products = await call(`${backend.url}/products?limit=1`);
    const [product] = products.body.items as { id: string; name: string }[];
    const auth = bearer(session.accessToken);
    const placed = await post(
      '/orders',
      { items: [{ productId: product?.id, quantity: 1 }] },
      {
        ...auth,
        'idempotency-key': `email-${Date.now()}`,
      },
    );
    expect(placed.status).toBe(201);
    const orderId = String(placed.body.id);
    const [receipt] = await waitForEmails(backend.ses, session.user.email, /received/);
    expect(receipt?.subject).toBe(`Order ${orderId} received`);
    expect(receipt?.body.text).toContain(`1 x ${product?.name}`);
    expect((await post(`/orders/${orderId}/cancel`, undefined, auth)).status).toBe(200);
    await waitForEmails(backend.ses, session.user.email, /cancelled/);
    expect((await emailsTo(backend.ses, session.user.email)).map((e) => e.subject).sort()).toEqual([
      `Order ${orderId} received`,
      `Order ${orderId} was cancelled`,
      'Your verification code',
    ]);
  });

  it('one-click unsubscribe refuses forged tokens and bodies that are not one-click', async () => {
    const token = '01KDVDNA00AA3S80T672BC3QYS.1798761600.forgedforgedforgedforg';
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const forged = await call(`${backend.url}/email/unsubscribe?token=${token}`, {
      method: 'POST',
      headers: form,
      body: 'List-Unsubscribe=One-Click',
    });
    expect(forged.status).toBe(400);
    const noBody = await call(`${backend.url}/email/unsubscribe?token=${token}`, {
      method: 'POST',
      headers: form,
    });
    expect(noBody.status).toBe(400);
  });
});
