import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CODE_TTL_SECONDS,
  codePut,
  MAX_CODE_TRIES,
  newCode,
  takeCodeTry,
} from '../../functions/accounts/codes-store.ts';
import { codeKey } from '../../functions/accounts/keys.ts';
import { takeRequest } from '../../functions/accounts/rate-limits-store.ts';
import { transactWrite } from '../../functions/core/db.ts';
import { DomainError, TooManyRequests } from '../../functions/core/domain-errors.ts';
import { asHttpError } from '../../functions/core/http.ts';
import { useFreshTable } from '../support/table.ts';

let db: Awaited<ReturnType<typeof useFreshTable>>;
let counter = 0;
const subject = () => `codes${++counter}-${Date.now()}@example.com`;

/** Stores a code for a subject as the flows do (a Put in a transaction). */
async function storeCode(who: string, code: string, payload = { userId: 'u1' }) {
  await transactWrite({ TransactItems: [await codePut('password-reset', who, code, payload)] });
}

/** The problem a rejected promise is answered with, or undefined when it resolved. */
async function problemOf(promise: Promise<unknown>): Promise<{ status: number; type: string } | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) return undefined;
  expect(error).toBeInstanceOf(DomainError);
  const http = asHttpError(error);
  return { status: http.statusCode, type: http.slug };
}

const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('one-time codes', () => {
  beforeAll(async () => {
    db = await useFreshTable();
  });

  it('draws 6 digits, spread over the whole range', () => {
    const codes = Array.from({ length: 2000 }, newCode);
    for (const code of codes) expect(code).toMatch(/^[0-9]{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(1990);
    expect(codes.some((code) => code.startsWith('0'))).toBe(true);
  });

  it('stores only a keyed hash of the code, with a 15-minute expiry', async () => {
    const who = subject();
    const code = newCode();
    await storeCode(who, code);
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: codeKey('password-reset', who) }),
    );
    expect(JSON.stringify(Item)).not.toContain(code);
    expect(Item?.codeHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ttl = Number(Item?.expiresAtEpoch) - Math.floor(Date.now() / 1000);
    expect(ttl).toBeGreaterThan(CODE_TTL_SECONDS - 10);
    expect(ttl).toBeLessThanOrEqual(CODE_TTL_SECONDS);
  });

  it('is single use: consumed with its effect, it never works again', async () => {
    const who = subject();
    const code = newCode();
    await storeCode(who, code, { userId: 'u42' });
    const { payload, consume } = await takeCodeTry('password-reset', who, code);
    expect(payload).toEqual({ userId: 'u42' });
    await transactWrite({ TransactItems: [consume] });
    expect(await problemOf(takeCodeTry('password-reset', who, code))).toEqual({
      status: 422,
      type: 'invalid-code',
    });
  });

  it('dies after 5 wrong tries, even for the right code', async () => {
    const who = subject();
    const code = newCode();
    await storeCode(who, code);
    for (let i = 0; i < MAX_CODE_TRIES; i++) {
      expect((await problemOf(takeCodeTry('password-reset', who, wrongCode(code))))?.type).toBe(
        'invalid-code',
      );
    }
    expect((await problemOf(takeCodeTry('password-reset', who, code)))?.type).toBe('invalid-code');
  });

  it('allows no more than 5 comparisons when guesses arrive in parallel', async () => {
    const who = subject();
    const code = newCode();
    await storeCode(who, code);
    // 20 parallel guesses, the right one among them last: only 5 tries exist, all taken first.
    const guesses = Array.from({ length: 19 }, (_, i) => wrongCode(String(Number(code) + i)));
    const results = await Promise.allSettled(guesses.map((g) => takeCodeTry('password-reset', who, g)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const { Item } = await db.client.send(
      new GetCommand({ TableName: db.tableName, Key: codeKey('password-reset', who), ConsistentRead: true }),
    );
    expect(Item?.tries).toBe(MAX_CODE_TRIES);
    expect((await problemOf(takeCodeTry('password-reset', who, code)))?.type).toBe('invalid-code');
  });

  it('a new code kills the old one', async () => {
    const who = subject();
    const first = newCode();
    await storeCode(who, first);
    let second = newCode();
    while (second === first) second = newCode();
    await storeCode(who, second);
    expect((await problemOf(takeCodeTry('password-reset', who, first)))?.type).toBe('invalid-code');
    expect(await problemOf(takeCodeTry('password-reset', who, second))).toBeUndefined();
  });

  it('an expired code is refused', async () => {
    const who = subject();
    const code = newCode();
    const put = await codePut('password-reset', who, code, { userId: 'u1' });
    put.Put.Item.expiresAtEpoch = Math.floor(Date.now() / 1000) - 1;
    await transactWrite({ TransactItems: [put] });
    expect((await problemOf(takeCodeTry('password-reset', who, code)))?.type).toBe('invalid-code');
  });

  it('of two confirmations racing with the right code, exactly one consumes it', async () => {
    const who = subject();
    const code = newCode();
    await storeCode(who, code);
    const confirm = async () => {
      const { consume } = await takeCodeTry('password-reset', who, code);
      await transactWrite({ TransactItems: [consume] });
    };
    const results = await Promise.allSettled([confirm(), confirm(), confirm(), confirm()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('does not accept a code of another subject or purpose', async () => {
    const who = subject();
    const code = newCode();
    await storeCode(who, code);
    expect((await problemOf(takeCodeTry('password-reset', subject(), code)))?.type).toBe('invalid-code');
    expect((await problemOf(takeCodeTry('verify-email', who, code)))?.type).toBe('invalid-code');
  });
});

describe('rate limits', () => {
  beforeAll(async () => {
    db ??= await useFreshTable();
  });

  it('lets exactly `max` requests through a window, in parallel too, then answers 429 with Retry-After', async () => {
    const limit = { scope: 'test', subject: subject(), windowSeconds: 3600, max: 5 };
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => takeRequest([limit], 'tests')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(TooManyRequests);
    const http = asHttpError(refused.reason);
    expect(http.statusCode).toBe(429);
    const retryAfter = Number(http.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
  });

  it('refuses when any one of several limits is used up', async () => {
    const shared = { scope: 'test-ip', subject: subject(), windowSeconds: 3600, max: 2 };
    await takeRequest([shared, { scope: 'test', subject: subject(), windowSeconds: 3600, max: 5 }], 'tests');
    await takeRequest([shared, { scope: 'test', subject: subject(), windowSeconds: 3600, max: 5 }], 'tests');
    expect(
      (
        await problemOf(
          takeRequest([shared, { scope: 'test', subject: subject(), windowSeconds: 3600, max: 5 }], 'tests'),
        )
      )?.status,
    ).toBe(429);
  });
});
