import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type LocalBackend, startLocalBackend } from '../../lib/local/backend.ts';

/**
 * The whole local backend on the run's shared DynamoDB Local and synthesized app, with tables
 * of its own (a unique prefix) and the demo catalog seeded, so e2e files can run in parallel.
 */
export function startTestBackend(environment?: Record<string, string>): Promise<LocalBackend> {
  return startLocalBackend({
    assemblyDir: inject('assemblyDir'),
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tableNamePrefix: `e2e-${randomUUID().slice(0, 8)}-`,
    port: 0,
    seed: true,
    // Tests run schedules themselves (backend.runSchedules()), so timing never decides an outcome.
    runSchedules: false,
    ...(environment ? { environment } : {}),
    log: () => undefined,
  });
}

/** Asserts nothing; returns status, content type and parsed JSON body of a response. */
export async function call(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; contentType: string; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}
