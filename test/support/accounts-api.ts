import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Account } from '../../functions/accounts/model.ts';
import { call } from './local-api.ts';

/** What `call()` resolves to. */
export type ApiResponse = Awaited<ReturnType<typeof call>>;

/** The body of register, login and refresh. */
export interface Session {
  readonly user: Account;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
}

/** A password that satisfies the policy (10..256 characters). */
export const GOOD_PASSWORD = 'correct horse battery staple';

/** A fresh, valid, lower-case email; `label` makes failures readable. */
export const uniqueEmail = (label = 'user'): string => `${label}-${randomUUID().slice(0, 8)}@example.com`;

/** `Authorization: Bearer <token>` (plus any other headers). */
export const bearer = (token: string, headers: Record<string, string> = {}): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  ...headers,
});

/** Request options for a JSON body (`undefined` body sends none). */
export function jsonInit(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
}

/** Request options for a raw body with whatever content type the test wants. */
export function rawInit(
  method: string,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
): RequestInit {
  return { method, headers: { 'content-type': contentType, ...headers }, body };
}

/** A small client bound to one backend URL. */
export function accountsApi(api: string) {
  const post = (path: string, body: unknown, headers?: Record<string, string>) =>
    call(`${api}${path}`, jsonInit('POST', body, headers));
  return {
    register: (body: { email: string; password: string; displayName: string }) =>
      post('/auth/register', body),
    login: (email: string, password: string) => post('/auth/login', { email, password }),
    refresh: (refreshToken: string) => post('/auth/refresh', { refreshToken }),
    logout: (refreshToken: string) => post('/auth/logout', { refreshToken }),
    me: (accessToken: string) => call(`${api}/me`, { headers: bearer(accessToken) }),
    /** Registers a new customer and returns its session; fails the test unless 201. */
    async newCustomer(label = 'user', password = GOOD_PASSWORD): Promise<Session & { password: string }> {
      const email = uniqueEmail(label);
      const res = await post('/auth/register', { email, password, displayName: `${label} display` });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return { ...(res.body as unknown as Session), password };
    },
    /** Signs in and returns the session; fails the test unless 200. */
    async signIn(email: string, password: string): Promise<Session> {
      const res = await post('/auth/login', { email, password });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as unknown as Session;
    },
  };
}

/**
 * Asserts an RFC 9457 problem answered by a function: status, problem+json, the standard
 * members, and nothing that looks like a stack trace or internals.
 */
export function expectProblem(res: ApiResponse, status: number): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.contentType).toBe('application/problem+json');
  expect(res.body).toMatchObject({
    status,
    type: expect.stringMatching(/^\/problems\/[a-z-]+$/),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.(m?js|ts):\d+|node_modules|Exception/);
}

/** The field paths a validation problem names. */
export const errorPaths = (res: ApiResponse): string[] =>
  ((res.body.errors as { path: string }[] | undefined) ?? []).map((error) => error.path).sort();

/** The error message a validation problem gives for one field path. */
export const errorMessage = (res: ApiResponse, path: string): string | undefined =>
  (res.body.errors as { path: string; message: string }[] | undefined)?.find((e) => e.path === path)?.message;

/**
 * Asserts API Gateway's own refusal (the function never ran): `{"message":"Unauthorized"}` with
 * 401 or `{"message":"Forbidden"}` with 403, as application/json rather than problem+json.
 */
export function expectGatewayRefusal(res: ApiResponse, status: 401 | 403): void {
  expect(res.status).toBe(status);
  expect(res.contentType).toBe('application/json');
  expect(res.body).toEqual({ message: status === 401 ? 'Unauthorized' : 'Forbidden' });
}

/** A problem body without the per-request `instance`, for comparing two responses. */
export function problemWithoutInstance(res: ApiResponse): Record<string, unknown> {
  const { instance: _instance, ...rest } = res.body;
  return rest;
}
