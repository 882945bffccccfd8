import { describe, expect, it } from 'vitest';
import { GOOD_PASSWORD } from '../support/accounts-api.ts';
import { assertNoSecrets, findSecrets } from '../support/secret-scan.ts';

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJzdWIiOiIwMUFSWjNOREVLVFNWNFJSRkZRNjlHNUZBViJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
const REFRESH =
  '01ARZ3NDEKTSV4RRFFQ69G5FAV.01ARZ3NDEKTSV4RRFFQ69G5FAW.q8dDkVnX4x3wJ0mLr2bE5kYzTnA9pQhC7sFvG1uWiOe';

describe('the log secret scanner', () => {
  it.each([
    ['a JWT in a function log line', `  [GetAccountFunction] {"level":"INFO","token":"${JWT}"}`, 'JWT'],
    ['a refresh token', `{"message":"refresh","refreshToken":"${REFRESH}"}`, 'refresh token'],
    [
      'an Authorization header value',
      'headers: { authorization: Bearer abcdefgh12345678 }',
      'authorization header',
    ],
    [
      'an Authorization header as JSON',
      '{"headers":{"authorization":"Basic dXNlcjpwYXNz"}}',
      'authorization header',
    ],
    ['a factory password', `{"body":{"password":"${GOOD_PASSWORD}"}}`, 'known secret'],
    ['a Stripe secret key', 'calling Stripe with sk_live_51Habcdef', 'Stripe secret'],
    ['a Stripe webhook secret', 'secret whsec_abcdefgh12345678', 'Stripe webhook secret'],
  ])('finds %s', (_label, line, kind) => {
    expect(findSecrets([line]).map((finding) => finding.kind)).toContain(kind);
  });

  it('finds a secret it was given verbatim (the seeded admin password)', () => {
    expect(findSecrets(['login for admin with s3cret-admin!'], ['s3cret-admin!'])).toHaveLength(1);
  });

  it('passes the lines a backend logs normally', () => {
    const lines = [
      'GET /orders/01ARZ3NDEKTSV4RRFFQ69G5FAV -> 200 12.3 ms OrdersGetOrderFunction (5f0c…)',
      '  [AccountsCreateSessionFunction] {"level":"INFO","message":"request rejected","status":401,"detail":"Email or password is wrong."}',
      'WS $connect 3c1d…-> 401',
      '{"www-authenticate":"Bearer"}',
    ];
    expect(findSecrets(lines)).toEqual([]);
  });

  it('fails with the findings, the secret itself cut short', () => {
    expect(() => assertNoSecrets('a planted backend', ['fine', `token=${JWT}`])).toThrow(
      /1 log line\(s\) of a planted backend hold a secret:\n {2}JWT: token=eyJhbG…\[\d+ chars\]/,
    );
    try {
      assertNoSecrets('a planted backend', [`token=${JWT}`]);
    } catch (error) {
      expect(String(error)).not.toContain(JWT);
    }
  });
});
