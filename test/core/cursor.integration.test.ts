import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../functions/core/cursor.ts';
import { DomainError } from '../../functions/core/domain-errors.ts';
import type { HttpError } from '../../functions/core/errors.ts';
import { asHttpError } from '../../functions/core/http.ts';
import { secretString } from '../../functions/core/secrets.ts';
import { useFreshTable } from '../support/table.ts';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The error decodeCursor throws, as the HTTP stack answers it; a failure when it accepts the cursor. */
async function rejection(scope: string, cursor: string): Promise<HttpError> {
  try {
    await decodeCursor(scope, cursor);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return asHttpError(error);
  }
  throw new Error(`decodeCursor accepted ${JSON.stringify(cursor.slice(0, 80))}`);
}

/** Asserts decodeCursor rejects the cursor with a 400 naming query.cursor. */
async function expectInvalid(scope: string, cursor: string): Promise<void> {
  const error = await rejection(scope, cursor);
  expect(error.statusCode).toBe(400);
  expect(error.errors).toEqual([{ path: 'query.cursor', message: 'Invalid cursor.' }]);
}

describe('pagination cursors (HMAC key from Secrets Manager)', () => {
  const scope = 'test:scope-a';
  let cursor = '';

  beforeAll(async () => {
    // Sets CURSOR_SECRET_ARN and the local Secrets Manager endpoint the cursor code reads.
    await useFreshTable();
    cursor = await encodeCursor(scope, { id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', n: 3 });
  });

  it('round-trips a position in its own scope', async () => {
    expect(await decodeCursor(scope, cursor)).toEqual({ id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', n: 3 });
  });

  it('is opaque and URL-safe: base64url payload and signature joined by one dot', () => {
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('01ARZ3NDEKTSV4RRFFQ69G5FAV');
  });

  it('is rejected in another scope', async () => {
    await expectInvalid('test:scope-b', cursor);
    await expectInvalid('', cursor);
  });

  it('is rejected when its payload is swapped for another position', async () => {
    const [, signature] = cursor.split('.');
    const forged = Buffer.from(JSON.stringify({ id: '01ARZ3NDEKTSV4RRFFQ69G5FAW', n: 3 })).toString(
      'base64url',
    );
    await expectInvalid(scope, `${forged}.${signature}`);
  });

  it('is rejected with a signature made by another key', async () => {
    const [payload] = cursor.split('.');
    await expectInvalid(scope, `${payload}.${'A'.repeat(22)}`);
  });

  it('rejects malformed cursors: no dot, empty parts, extra parts, garbage, huge', async () => {
    const [payload, signature] = cursor.split('.');
    for (const bad of [
      'garbage',
      '',
      '.',
      `${payload}.`,
      `.${signature}`,
      `${cursor}.${signature}`,
      '!!!!.????',
      `${payload}${signature}`,
      `${cursor}${'A'.repeat(2000)}`,
      'x'.repeat(100_000),
    ]) {
      await expectInvalid(scope, bad);
    }
  });

  it('rejects a correctly signed payload that is not a JSON object of strings and numbers', async () => {
    // Sign by hand with the real key, the way encodeCursor does; checked against encodeCursor first
    // so this test fails loudly (instead of passing for the wrong reason) if the format changes.
    const key = await secretString(String(process.env.CURSOR_SECRET_ARN));
    const sign = (payload: string) =>
      `${payload}.${createHmac('sha256', key).update(`${scope}\n${payload}`).digest().subarray(0, 16).toString('base64url')}`;
    const reference = Buffer.from(JSON.stringify({ id: 'x' })).toString('base64url');
    expect(sign(reference)).toBe(await encodeCursor(scope, { id: 'x' }));

    for (const position of [
      '[1,2]',
      'null',
      '"id"',
      '42',
      '{"id":{"S":"x"}}',
      '{"id":true}',
      '{"id":null}',
      '{not json',
    ]) {
      await expectInvalid(scope, sign(Buffer.from(position).toString('base64url')));
    }
  });

  it('rejects every single-character change to a cursor, signature included', async () => {
    const accepted: string[] = [];
    for (let i = 0; i < cursor.length; i++) {
      for (const replacement of `${BASE64URL}.=`) {
        if (replacement === cursor[i]) continue;
        const changed = `${cursor.slice(0, i)}${replacement}${cursor.slice(i + 1)}`;
        try {
          await decodeCursor(scope, changed);
          accepted.push(changed);
        } catch (error) {
          expect(asHttpError(error).statusCode).toBe(400);
        }
      }
    }
    expect(
      accepted,
      `${accepted.length} altered cursors were accepted, e.g. ${accepted[0]} for ${cursor}`,
    ).toEqual([]);
  });

  it('rejects a cursor with padding or junk appended to the signature', async () => {
    for (const suffix of ['=', '==', '%3D', ' ', '\n']) {
      await expectInvalid(scope, `${cursor}${suffix}`);
    }
  });
});
