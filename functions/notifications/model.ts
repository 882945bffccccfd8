import * as z from 'zod/mini';

/** `POST /email/unsubscribe`: the signed token of the link. */
export const unsubscribeQuery = z.strictObject({
  token: z
    .string()
    .check(
      z.maxLength(200),
      z.regex(/^[0-9A-Za-z]+\.[0-9]+\.[A-Za-z0-9_-]+$/, 'Must be the token of an unsubscribe link.'),
    ),
});

/** The body RFC 8058 clients send (form-encoded), as the OpenAPI document shows it. */
export const unsubscribeBody = z.string().check(z.maxLength(1024), z.describe('List-Unsubscribe=One-Click'));
