import { expect } from 'vitest';
import type { HttpResponse } from '../../functions/core/http.ts';

/** The RFC 9457 body every error response carries. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
}

/** The parsed JSON body of a handler's response. */
export function jsonBodyOf<T = Record<string, unknown>>(response: HttpResponse): T {
  expect(typeof response.body, 'response has a body').toBe('string');
  return JSON.parse(String(response.body)) as T;
}

/**
 * Asserts a response is an RFC 9457 problem with the given status: problem+json content type,
 * `type`/`title`/`status`/`detail` present, nothing that looks like a stack trace. Returns the body.
 */
export function expectProblem(response: HttpResponse, status: number): ProblemBody {
  expect(response.statusCode).toBe(status);
  expect(response.headers?.['content-type']).toBe('application/problem+json');
  const body = jsonBodyOf<ProblemBody>(response);
  expect(body).toEqual(
    expect.objectContaining({
      type: expect.stringMatching(/^\/problems\/[a-z-]+$/),
      title: expect.any(String),
      status,
      detail: expect.any(String),
    }),
  );
  expect(body).not.toHaveProperty('stack');
  expect(String(response.body)).not.toMatch(/\n\s+at |\.ts:\d+|node_modules|Error:/);
  return body;
}

/** The field paths a validation problem names, sorted. */
export const errorPaths = (problem: ProblemBody): string[] =>
  (problem.errors ?? []).map((error) => error.path).sort();
