import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import { startTestBackend } from '../support/local-api.ts';

describe('the test backend’s log scan', () => {
  // A backend of its own (its stop() is what fails), started in a hook: on a loaded machine a
  // start takes longer than one test's timeout.
  let backend: ShopBackend;
  let stopped = false;
  beforeAll(async () => {
    backend = await startTestBackend();
  });
  // When an assertion fails before the test's own stop(), the backend must not outlive the file.
  afterAll(async () => {
    if (!stopped) await backend?.stop().catch(() => undefined);
  });

  it('fails stop() when a line the backend logged holds a token', async () => {
    // The emulator logs every request's path: a JWT pasted into one is a planted secret.
    const planted = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkLXRva2VuIn0.${'x'.repeat(20)}`;
    const res = await fetch(`${backend.url}/products/${planted}`);
    await res.text();
    expect(res.status).toBe(400);
    stopped = true;
    await expect(backend.stop()).rejects.toThrow(/hold a secret:\n {2}JWT: GET \/products\/eyJhbG…/);
  });
});
