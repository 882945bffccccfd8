import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../functions/core/errors.ts';
import {
  parseStripeEvent,
  signStripePayload,
  stripeEventBody,
  verifyStripeSignature,
} from '../../functions/payments/webhook.ts';

const SECRET = 'whsec_test_0123456789abcdef';
const NOW = 1_760_000_000;
const body = Buffer.from('{"id":"evt_1","type":"payment_intent.succeeded"}', 'utf8');
const hmacHex = (secret: string, timestamp: number, payload: Buffer) =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(payload).digest('hex');

describe('verifyStripeSignature', () => {
  it('accepts a body signed with the endpoint secret just now', () => {
    expect(verifyStripeSignature(body, signStripePayload(body, SECRET, NOW), SECRET, NOW)).toBe(true);
  });

  it('signs exactly as Stripe documents: t=<unix>,v1=hex(HMAC-SHA256(secret, "<t>.<body>"))', () => {
    expect(signStripePayload(body, SECRET, NOW)).toBe(`t=${NOW},v1=${hmacHex(SECRET, NOW, body)}`);
    expect(signStripePayload(body.toString('utf8'), SECRET, NOW)).toBe(signStripePayload(body, SECRET, NOW));
  });

  it('rejects a signature made with another secret', () => {
    expect(verifyStripeSignature(body, signStripePayload(body, 'whsec_other', NOW), SECRET, NOW)).toBe(false);
  });

  it('rejects a tampered body', () => {
    const header = signStripePayload(body, SECRET, NOW);
    const tampered = Buffer.from(body.toString('utf8').replace('succeeded', 'failed!!!'), 'utf8');
    expect(verifyStripeSignature(tampered, header, SECRET, NOW)).toBe(false);
  });

  it('checks the base64-decoded bytes API Gateway delivers: one different byte fails', () => {
    // API Gateway base64-encodes bodies it considers binary; the signature covers the decoded bytes.
    const raw = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x22, 0x7d]);
    const header = signStripePayload(raw, SECRET, NOW);
    const delivered = raw.toString('base64');
    const decoded = Buffer.from(delivered, 'base64');
    expect(verifyStripeSignature(decoded, header, SECRET, NOW)).toBe(true);
    const oneByteOff = Buffer.from(decoded);
    oneByteOff[3] = 0x01;
    expect(verifyStripeSignature(oneByteOff, header, SECRET, NOW)).toBe(false);
    // Neither the still-encoded text nor a UTF-8 round trip of the bytes is the signed payload.
    expect(verifyStripeSignature(Buffer.from(delivered, 'utf8'), header, SECRET, NOW)).toBe(false);
    expect(verifyStripeSignature(Buffer.from(decoded.toString('utf8'), 'utf8'), header, SECRET, NOW)).toBe(
      false,
    );
  });

  it('rejects a timestamp older than the tolerance (300 s by default), and honours a custom tolerance', () => {
    const header = signStripePayload(body, SECRET, NOW - 300);
    expect(verifyStripeSignature(body, header, SECRET, NOW)).toBe(true);
    expect(verifyStripeSignature(body, header, SECRET, NOW + 1)).toBe(false);
    expect(verifyStripeSignature(body, header, SECRET, NOW + 1, 600)).toBe(true);
    expect(verifyStripeSignature(body, header, SECRET, NOW, 60)).toBe(false);
  });

  it('rejects a timestamp more than 300 s in the future', () => {
    expect(verifyStripeSignature(body, signStripePayload(body, SECRET, NOW + 300), SECRET, NOW)).toBe(true);
    expect(verifyStripeSignature(body, signStripePayload(body, SECRET, NOW + 301), SECRET, NOW)).toBe(false);
  });

  it('uses the current clock by default', () => {
    expect(verifyStripeSignature(body, signStripePayload(body, SECRET), SECRET)).toBe(true);
    expect(verifyStripeSignature(body, signStripePayload(body, SECRET, NOW), SECRET)).toBe(false);
  });

  it('returns false, never throws, for a missing or garbled header', () => {
    const valid = signStripePayload(body, SECRET, NOW);
    const signature = valid.split(',v1=')[1] ?? '';
    const garbled = [
      undefined,
      '',
      'garbage',
      ',,,',
      '=',
      `t=${NOW}`,
      `v1=${signature}`,
      `t=,v1=${signature}`,
      `t=abc,v1=${signature}`,
      `t=${NOW}.5,v1=${signature}`,
      `t=-${NOW},v1=${signature}`,
      `t=${NOW},v1=`,
      `t=${NOW},v1=${signature.slice(0, 63)}`,
      `t=${NOW},v1=${signature}00`,
      `t=${NOW},v1=${'z'.repeat(64)}`,
      `t=${NOW},v0=${signature}`,
      `t=${NOW},t=${NOW},v1=${signature}`,
      `t=${NOW - 1},${valid}`,
      `${valid},${'x'.repeat(5000)}`,
      '\u0000\uffff',
    ];
    for (const header of garbled) {
      expect(verifyStripeSignature(body, header, SECRET, NOW), String(header)).toBe(false);
    }
    expect(verifyStripeSignature(body, valid, '', NOW)).toBe(false);
    expect(verifyStripeSignature('not a buffer' as unknown as Buffer, valid, SECRET, NOW)).toBe(false);
  });

  it('accepts a header with several v1 signatures when any one matches (secret rotation)', () => {
    const old = hmacHex('whsec_old', NOW, body);
    const current = hmacHex(SECRET, NOW, body);
    expect(verifyStripeSignature(body, `t=${NOW},v1=${old},v1=${current}`, SECRET, NOW)).toBe(true);
    expect(verifyStripeSignature(body, `t=${NOW},v1=${current},v1=${old}`, SECRET, NOW)).toBe(true);
    expect(verifyStripeSignature(body, `t=${NOW},v1=${old},v1=${old}`, SECRET, NOW)).toBe(false);
    // Unknown schemes and stray items are skipped, as Stripe's libraries do.
    expect(verifyStripeSignature(body, `t=${NOW},v0=abc,junk,v1=${current.toUpperCase()}`, SECRET, NOW)).toBe(
      true,
    );
  });

  it('verifies what it signs, for any body, secret and time (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        (bytes, secret, at) => {
          const raw = Buffer.from(bytes);
          expect(verifyStripeSignature(raw, signStripePayload(raw, secret, at), secret, at)).toBe(true);
        },
      ),
    );
  });

  it('rejects the signature after any single-byte change to the body (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 1024 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (bytes, position, flip) => {
          const raw = Buffer.from(bytes);
          const header = signStripePayload(raw, SECRET, NOW);
          const changed = Buffer.from(raw);
          const index = position % changed.length;
          changed[index] = (changed[index] ?? 0) ^ flip;
          expect(verifyStripeSignature(changed, header, SECRET, NOW)).toBe(false);
        },
      ),
    );
  });
});

/** A Stripe event body as bytes, from a plain object. */
const eventBytes = (event: unknown) => Buffer.from(JSON.stringify(event), 'utf8');
const intentEvent = (type: string, object: Record<string, unknown>) => ({
  id: 'evt_1Abc',
  object: 'event',
  type,
  created: NOW,
  livemode: false,
  data: { object: { object: 'payment_intent', amount: 1999, currency: 'eur', ...object } },
});

/** The 400 a malformed event must throw. */
function badRequestOf(run: () => unknown): HttpError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).statusCode).toBe(400);
    return error as HttpError;
  }
  throw new Error('Expected a 400 HttpError, but nothing was thrown.');
}

describe('parseStripeEvent', () => {
  it('maps payment_intent.succeeded to payment.succeeded with the order id, attempt and amount', () => {
    const event = parseStripeEvent(
      eventBytes(
        intentEvent('payment_intent.succeeded', {
          id: 'pi_123',
          metadata: { orderId: 'ORDER1', attempt: '2' },
        }),
      ),
    );
    expect(event).toEqual({
      id: 'evt_1Abc',
      type: 'payment.succeeded',
      providerType: 'payment_intent.succeeded',
      orderId: 'ORDER1',
      attempt: 2,
      providerPaymentId: 'pi_123',
      amount: 1999,
      currency: 'EUR',
      created: NOW,
    });
  });

  it('keeps an amount without a currency, and a currency without an amount, so the service sees what is missing', () => {
    const parsed = (object: Record<string, unknown>) =>
      parseStripeEvent(eventBytes(intentEvent('payment_intent.succeeded', { id: 'pi_1', ...object })));
    const noCurrency = parsed({ amount: 1, currency: undefined });
    expect(noCurrency.amount).toBe(1);
    expect(noCurrency).not.toHaveProperty('currency');
    const noAmount = parsed({ amount: undefined });
    expect(noAmount.currency).toBe('EUR');
    expect(noAmount).not.toHaveProperty('amount');
  });

  it('leaves the attempt out when the metadata names none or no sane one', () => {
    for (const attempt of [undefined, '', '0', '-1', '1.5', 'x', '10000000']) {
      const metadata = attempt === undefined ? { orderId: 'O' } : { orderId: 'O', attempt };
      const event = parseStripeEvent(
        eventBytes(intentEvent('payment_intent.succeeded', { id: 'pi_1', metadata })),
      );
      expect(event, String(attempt)).not.toHaveProperty('attempt');
    }
  });

  it('maps payment_intent.payment_failed to payment.failed, preferring the decline code as the reason', () => {
    const failed = (lastPaymentError: unknown) =>
      parseStripeEvent(
        eventBytes(
          intentEvent('payment_intent.payment_failed', {
            id: 'pi_9',
            metadata: { orderId: 'ORDER9' },
            last_payment_error: lastPaymentError,
          }),
        ),
      );
    expect(failed({ code: 'card_declined', decline_code: 'insufficient_funds' })).toEqual({
      id: 'evt_1Abc',
      type: 'payment.failed',
      providerType: 'payment_intent.payment_failed',
      orderId: 'ORDER9',
      providerPaymentId: 'pi_9',
      amount: 1999,
      currency: 'EUR',
      failureReason: 'insufficient_funds',
      created: NOW,
    });
    expect(failed({ code: 'expired_card', decline_code: null }).failureReason).toBe('expired_card');
    expect(failed(null).failureReason).toBe('payment_failed');
  });

  it('maps charge.refunded to payment.refunded with the charge’s payment intent and order id', () => {
    const event = parseStripeEvent(
      eventBytes({
        id: 'evt_refund',
        type: 'charge.refunded',
        created: NOW,
        data: {
          object: {
            id: 'ch_1',
            object: 'charge',
            payment_intent: 'pi_123',
            amount_refunded: 500,
            currency: 'usd',
            metadata: { orderId: 'ORDER1' },
          },
        },
      }),
    );
    expect(event).toEqual({
      id: 'evt_refund',
      type: 'payment.refunded',
      providerType: 'charge.refunded',
      orderId: 'ORDER1',
      providerPaymentId: 'pi_123',
      amount: 500,
      currency: 'USD',
      created: NOW,
    });
  });

  it('leaves orderId and providerPaymentId absent (not undefined-valued) when the payment is not ours', () => {
    const refunded = parseStripeEvent(
      eventBytes({
        id: 'evt_2',
        type: 'charge.refunded',
        created: NOW,
        data: { object: { id: 'ch_2', payment_intent: null, metadata: {} } },
      }),
    );
    expect(Object.keys(refunded).sort()).toEqual(['created', 'id', 'providerType', 'type']);
    const succeeded = parseStripeEvent(eventBytes(intentEvent('payment_intent.succeeded', { id: 'pi_1' })));
    expect(succeeded).not.toHaveProperty('orderId');
  });

  it('marks every other event type as ignored, whatever its object looks like', () => {
    for (const type of [
      'customer.created',
      'payment_intent.created',
      'charge.succeeded',
      'toString',
      '__proto__',
    ]) {
      const event = parseStripeEvent(
        eventBytes({ id: 'evt_x', type, created: NOW, data: { object: { anything: [1, 2] } } }),
      );
      expect(event).toEqual({ id: 'evt_x', type: 'ignored', providerType: type, created: NOW });
    }
  });

  it('rejects bodies that are not JSON with a 400', () => {
    for (const raw of ['', 'not json', '{"id":', '\u00ff\u00fe']) {
      expect(badRequestOf(() => parseStripeEvent(Buffer.from(raw, 'utf8'))).message).toMatch(
        /not valid JSON/,
      );
    }
  });

  it('rejects events of the wrong shape with a 400 naming the bad fields', () => {
    const malformed: [unknown, string][] = [
      [null, 'body'],
      [[], 'body'],
      ['evt', 'body'],
      [{ type: 'payment_intent.succeeded', created: NOW, data: { object: { id: 'pi_1' } } }, 'body.id'],
      [{ id: 'evt_1', created: NOW, data: { object: {} } }, 'body.type'],
      [{ id: 'evt_1', type: 'x', created: 'yesterday', data: { object: {} } }, 'body.created'],
      [{ id: 'evt_1', type: 'x', created: 1.5, data: { object: {} } }, 'body.created'],
      [{ id: 'evt_1', type: 'x', created: NOW }, 'body.data'],
      [{ id: 'evt_1', type: 'x', created: NOW, data: { object: 'pi_1' } }, 'body.data.object'],
      [{ id: '', type: 'x', created: NOW, data: { object: {} } }, 'body.id'],
      [{ id: 'e'.repeat(256), type: 'x', created: NOW, data: { object: {} } }, 'body.id'],
      [intentEvent('payment_intent.succeeded', {}), 'body.data.object.id'],
      [
        intentEvent('payment_intent.succeeded', { id: 'pi_1', metadata: { orderId: 42 } }),
        'body.data.object.metadata.orderId',
      ],
      [
        intentEvent('payment_intent.payment_failed', { id: 'pi_1', last_payment_error: 'declined' }),
        'body.data.object.last_payment_error',
      ],
      [
        {
          id: 'evt_1',
          type: 'charge.refunded',
          created: NOW,
          data: { object: { id: 'ch_1', payment_intent: 7 } },
        },
        'body.data.object.payment_intent',
      ],
    ];
    for (const [event, path] of malformed) {
      const error = badRequestOf(() => parseStripeEvent(eventBytes(event)));
      const paths = (error.errors ?? []).map((fieldError) => fieldError.path);
      expect(
        paths.some((p) => p === path || p.startsWith(`${path}.`)),
        `${JSON.stringify(event)} -> ${paths}`,
      ).toBe(true);
    }
  });
});

describe('stripeEventBody', () => {
  const input = {
    id: 'evt_sim_1',
    orderId: 'ORDER1',
    providerPaymentId: 'pi_sim_1',
    amount: 2500,
    currency: 'EUR',
    created: NOW,
  };

  it('builds payment intent events that parse back into the same payment event', () => {
    const body = stripeEventBody({ ...input, type: 'payment_intent.succeeded' });
    expect(JSON.parse(body)).toMatchObject({
      id: 'evt_sim_1',
      object: 'event',
      type: 'payment_intent.succeeded',
      created: NOW,
      data: {
        object: {
          id: 'pi_sim_1',
          object: 'payment_intent',
          amount: 2500,
          currency: 'eur',
          status: 'succeeded',
          metadata: { orderId: 'ORDER1' },
        },
      },
    });
    expect(parseStripeEvent(Buffer.from(body))).toEqual({
      id: 'evt_sim_1',
      type: 'payment.succeeded',
      providerType: 'payment_intent.succeeded',
      orderId: 'ORDER1',
      providerPaymentId: 'pi_sim_1',
      amount: 2500,
      currency: 'EUR',
      created: NOW,
    });
  });

  it('carries a failure code into a failed event', () => {
    const body = stripeEventBody({
      ...input,
      type: 'payment_intent.payment_failed',
      failureCode: 'card_declined',
    });
    expect(parseStripeEvent(Buffer.from(body))).toMatchObject({
      type: 'payment.failed',
      failureReason: 'card_declined',
    });
  });

  it('builds charge.refunded as a charge pointing at the payment intent', () => {
    const body = stripeEventBody({ ...input, type: 'charge.refunded' });
    expect(JSON.parse(body).data.object).toMatchObject({
      object: 'charge',
      payment_intent: 'pi_sim_1',
      refunded: true,
    });
    expect(parseStripeEvent(Buffer.from(body))).toMatchObject({
      type: 'payment.refunded',
      orderId: 'ORDER1',
      providerPaymentId: 'pi_sim_1',
    });
  });

  it('stamps the current time when no creation time is given', () => {
    const before = Math.floor(Date.now() / 1000);
    const { created } = parseStripeEvent(
      Buffer.from(stripeEventBody({ ...input, created: undefined, type: 'x' })),
    );
    expect(created).toBeGreaterThanOrEqual(before);
    expect(created).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });
});
