import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountEmailPut } from '../../functions/accounts/account-emails.ts';
import { DEFAULT_PREFERENCES } from '../../functions/accounts/model.ts';
import { hashPassword } from '../../functions/accounts/passwords.ts';
import { getPreferences, putPreferences } from '../../functions/accounts/preferences-store.ts';
import { createAccount } from '../../functions/accounts/profile-store.ts';
import { deliver, handler } from '../../functions/notifications/send-emails.ts';
import { handler as unsubscribe } from '../../functions/notifications/unsubscribe.ts';
import {
  unsubscribeToken,
  userOfUnsubscribeToken,
} from '../../functions/notifications/unsubscribe-tokens.ts';
import { handler as createOrder } from '../../functions/orders/create-order.ts';
import { orderKey } from '../../functions/orders/keys.ts';
import { ORDER_ENTITY, type Order } from '../../functions/orders/model.ts';
import { type LocalSes, startLocalSes } from '../../lib/local/ses/index.ts';
import { httpEvent, lambdaContext } from '../support/events.ts';
import { emailsTo, waitForEmails } from '../support/mailbox.ts';
import { sampleOrder } from '../support/order-fixtures.ts';
import { streamRecord } from '../support/stream-events.ts';
import { useFreshTable } from '../support/table.ts';

let ses: LocalSes;
let counter = 0;
let passwordHash: Awaited<ReturnType<typeof hashPassword>>;

async function customer(language = 'en') {
  const email = `notify${++counter}-${Date.now()}@example.com`;
  const { account } = await createAccount({
    email,
    displayName: 'Reader',
    role: 'customer',
    password: passwordHash,
  });
  if (language !== 'en') await putPreferences(account.id, { ...DEFAULT_PREFERENCES, language });
  return account;
}

const orderImage = (userId: string, id: string, status: string, extra: Record<string, unknown> = {}) => ({
  ...orderKey(id),
  entity: ORDER_ENTITY,
  ...sampleOrder({ id, userId, status: status as Order['status'] }),
  ...extra,
});

describe('notifications consumer (through the local SES)', () => {
  beforeAll(async () => {
    await useFreshTable();
    passwordHash = await hashPassword('correct horse battery staple');
    ses = await startLocalSes();
    process.env.AWS_ENDPOINT_URL_SESV2 = ses.endpoint;
    process.env.EMAIL_FROM = 'shop@shop.local';
    process.env.EMAIL_CONFIGURATION_SET = 'shop-test';
    process.env.UNSUBSCRIBE_URL = 'https://api.test.local/email/unsubscribe';
  });
  afterAll(async () => {
    await ses?.stop();
  });

  it('sends an order email once, however often the record is delivered', async () => {
    const account = await customer();
    const id = `01KDVDNA00AA3S80T672B${String(counter).padStart(5, '0')}`;
    const record = streamRecord({
      eventName: 'INSERT',
      newImage: orderImage(account.id, id, 'pending_payment'),
    });
    for (let i = 0; i < 3; i++) {
      expect((await handler({ Records: [record] })).batchItemFailures).toEqual([]);
    }
    // The same change delivered as a new record (a replay from another shard iterator) too.
    await handler({ Records: [{ ...record, eventID: 'other' }] });
    const [email] = await waitForEmails(ses, account.email, /received/);
    expect(email?.body.text).toContain('2 x Espresso cup: €25.00');
    expect(await emailsTo(ses, account.email)).toHaveLength(1);
  });

  it('sends an order email once when the same record is delivered ten times at once', async () => {
    const account = await customer();
    const id = `01KDVDNA00AA3S80T672D${String(counter).padStart(5, '0')}`;
    const record = streamRecord({
      eventName: 'INSERT',
      newImage: orderImage(account.id, id, 'pending_payment'),
    });
    // Parallel consumers (a retried batch racing the original): one claims the marker and sends;
    // the others find it claimed and send nothing, whatever they answer for the retry.
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => handler({ Records: [{ ...record, eventID: `parallel-${i}` }] })),
    );
    await waitForEmails(ses, account.email, /received/);
    // A later redelivery (after the claims settled) still sends nothing more.
    await handler({ Records: [record] });
    expect(await emailsTo(ses, account.email)).toHaveLength(1);
  });

  it('sends each status change (paid, shipped, delivered, cancelled, refunded) once, in the reader’s language', async () => {
    const account = await customer('de-DE');
    const id = `01KDVDNA00AA3S80T672C${String(counter).padStart(5, '0')}`;
    const steps: [string, string, Record<string, unknown>][] = [
      ['pending_payment', 'paid', {}],
      ['paid', 'shipped', {}],
      ['shipped', 'delivered', {}],
    ];
    for (const [from, to, extra] of steps) {
      const record = streamRecord({
        eventName: 'MODIFY',
        oldImage: orderImage(account.id, id, from),
        newImage: orderImage(account.id, id, to, extra),
      });
      await handler({ Records: [record, record] });
    }
    const refund = {
      attempt: 1,
      status: 'succeeded',
      paymentMethod: 'pm_card_visa',
      refund: { status: 'succeeded', amount: 2500 },
    };
    await handler({
      Records: [
        streamRecord({
          eventName: 'MODIFY',
          oldImage: orderImage(account.id, id, 'paid'),
          newImage: orderImage(account.id, id, 'cancelled', { payment: refund }),
        }),
        streamRecord({
          eventName: 'MODIFY',
          oldImage: orderImage(account.id, id, 'cancelled', {
            payment: { ...refund, refund: { status: 'pending' } },
          }),
          newImage: orderImage(account.id, id, 'cancelled', { payment: refund }),
        }),
      ],
    });
    const emails = await waitForEmails(ses, account.email, /Bestellung|Zahlung|Erstattung/, 5);
    expect(emails.map((e) => e.subject.replace(id, 'ID')).sort()).toEqual([
      'Bestellung ID ist unterwegs',
      'Bestellung ID wurde storniert',
      'Bestellung ID wurde zugestellt',
      'Erstattung für Bestellung ID',
      'Zahlung für Bestellung ID erhalten',
    ]);
    expect(emails.find((e) => e.subject.startsWith('Erstattung'))?.body.text).toContain('25,00');
  });

  it('sends an account email with its unsealed code once; kind none sends nothing', async () => {
    const account = await customer();
    const put = await accountEmailPut({
      kind: 'password-reset',
      to: account.email,
      userId: account.id,
      code: '246810',
    });
    expect(JSON.stringify(put.Put.Item)).not.toContain('246810');
    const record = streamRecord({ eventName: 'INSERT', newImage: put.Put.Item });
    await handler({ Records: [record, record] });
    const [email] = await waitForEmails(ses, account.email, /password reset code/);
    expect(email?.body.text).toContain('246810');
    const none = await accountEmailPut({
      kind: 'none',
      to: account.email,
      userId: account.id,
      code: '135791',
    });
    await handler({ Records: [streamRecord({ eventName: 'INSERT', newImage: none.Put.Item })] });
    expect(await emailsTo(ses, account.email)).toHaveLength(1);
  });

  it('non-essential mail: one-click unsubscribe headers with a signed token, and nothing once turned off', async () => {
    const account = await customer();
    await putPreferences(account.id, { ...DEFAULT_PREFERENCES, marketingEmails: true });
    const outgoing = {
      eventKey: `news#${account.id}`,
      to: account.email,
      userId: account.id,
      essential: false,
      kind: 'order-delivered' as const,
    };
    expect(await deliver(outgoing)).toBe('sent');
    expect(await deliver(outgoing)).toBe('duplicate');
    const [email] = await waitForEmails(ses, account.email, /.*/);
    const headers = Object.fromEntries((email?.headers ?? []).map((h) => [h.name, h.value]));
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const token = /token=([^>]+)>/.exec(headers['List-Unsubscribe'] ?? '')?.[1] ?? '';
    expect(await userOfUnsubscribeToken(token)).toBe(account.id);
    expect(await userOfUnsubscribeToken(`${token.slice(0, -2)}xx`)).toBeUndefined();
    expect(await userOfUnsubscribeToken(token, Date.now() + 61 * 86_400_000)).toBeUndefined();
    await putPreferences(account.id, { ...DEFAULT_PREFERENCES, marketingEmails: false });
    expect(await deliver({ ...outgoing, eventKey: `news2#${account.id}` })).toBe('opted-out');
    // Essential mail still goes.
    expect(await deliver({ ...outgoing, eventKey: `receipt#${account.id}`, essential: true })).toBe('sent');
  });
});

describe('POST /email/unsubscribe (handler)', () => {
  it('turns non-essential mail off with a valid one-click request, and refuses forged tokens and other bodies', async () => {
    const account = await customer();
    await putPreferences(account.id, { ...DEFAULT_PREFERENCES, marketingEmails: true });
    const token = await unsubscribeToken(account.id);
    const oneClick = (t: string, body = 'List-Unsubscribe=One-Click') =>
      unsubscribe(
        httpEvent('POST /email/unsubscribe', {
          query: { token: t },
          rawBody: body,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
        lambdaContext(),
      );
    expect((await oneClick(token, 'hello')).statusCode).toBe(400);
    expect((await oneClick(`${token.slice(0, -2)}xx`)).statusCode).toBe(400);
    expect((await getPreferences(account.id)).preferences.marketingEmails).toBe(true);
    expect((await oneClick(token)).statusCode).toBe(204);
    expect((await getPreferences(account.id)).preferences.marketingEmails).toBe(false);
    // Idempotent: a second click (or a retried POST) changes nothing and still succeeds.
    expect((await oneClick(token)).statusCode).toBe(204);
  });
});

describe('order placement and verified addresses (per environment)', () => {
  it('refuses unverified callers with 403 where the environment requires it, and lets them order where not', async () => {
    const event = (verified: string) =>
      httpEvent('POST /orders', {
        body: { items: [{ productId: '01KDVDNA00AA3S80T672BC3QYS', quantity: 1 }] },
        headers: { 'idempotency-key': `k-${verified}-${Date.now()}` },
        claims: { sub: '01KDVDNA00AA3S80T672BC3QYZ', email_verified: verified },
      });
    process.env.ORDERS_REQUIRE_VERIFIED_EMAIL = 'true';
    try {
      const refused = await createOrder(event('false'), lambdaContext());
      expect(refused.statusCode).toBe(403);
      expect(JSON.parse(String(refused.body)).detail).toMatch(/Verify your email address/);
      // Verified: past the gate (then the unknown product is the order's own business: 4xx, not 403).
      expect((await createOrder(event('true'), lambdaContext())).statusCode).not.toBe(403);
      process.env.ORDERS_REQUIRE_VERIFIED_EMAIL = 'false';
      expect((await createOrder(event('false'), lambdaContext())).statusCode).not.toBe(403);
    } finally {
      delete process.env.ORDERS_REQUIRE_VERIFIED_EMAIL;
    }
  });
});
