import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ShopBackend } from '../../../lib/demo/backend-hooks.ts';
import type { CfnTemplate } from '../../../lib/local/cloudformation/template.ts';
import { startTestBackend } from '../../support/local-api.ts';

const JWKS = 'GET /.well-known/jwks.json';

/**
 * Another synthesis of the run's app, as a changed route table would give: the templates copied
 * (bundles linked) and `change` applied to each stack's template.
 */
function resynthesized(change: (template: CfnTemplate) => void): string {
  const source = inject('assemblyDir');
  const dir = mkdtempSync(path.join(tmpdir(), 'shop-resynth-'));
  for (const name of readdirSync(source)) {
    if (name.startsWith('asset.')) symlinkSync(path.join(source, name), path.join(dir, name));
    else if (name.endsWith('.json')) {
      const json = JSON.parse(readFileSync(path.join(source, name), 'utf8'));
      if (name.endsWith('.template.json')) change(json as CfnTemplate);
      writeFileSync(path.join(dir, name), JSON.stringify(json));
    }
  }
  return dir;
}

/** Drops a route (and its integration) from a template, as deleting it from the route table would. */
const withoutRoute = (routeKey: string) => (template: CfnTemplate) => {
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::ApiGatewayV2::Route' && resource.Properties?.RouteKey === routeKey)
      delete (template.Resources as Record<string, unknown>)[id];
  }
};

describe('a running backend given a new synthesis (watch mode, route table or config edited)', () => {
  let backend: ShopBackend;
  const dirs: string[] = [];

  beforeAll(async () => {
    backend = await startTestBackend();
  }, 120_000);

  afterAll(async () => {
    await backend?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('stops serving a removed route, serves it again once back, and keeps every function warm', async () => {
    expect((await fetch(`${backend.url}/.well-known/jwks.json`)).status).toBe(200);
    expect((await fetch(`${backend.url}/.well-known/openid-configuration`)).status).toBe(200);
    const warm = [...backend.functions.values()].filter((fn) => fn.instanceCount > 0);
    expect(warm.length).toBeGreaterThanOrEqual(2);

    const without = resynthesized(withoutRoute(JWKS));
    dirs.push(without);
    const removed = backend.reload(without);
    expect(removed).toMatchObject({ routesRemoved: [JWKS], routesAdded: [], replaced: [], needsRestart: [] });
    expect((await fetch(`${backend.url}/.well-known/jwks.json`)).status).toBe(404);

    const back = backend.reload(inject('assemblyDir'));
    expect(back).toMatchObject({ routesAdded: [JWKS], routesRemoved: [], replaced: [] });
    const answer = await fetch(`${backend.url}/.well-known/openid-configuration`);
    expect(answer.status).toBe(200);
    expect((await fetch(`${backend.url}/.well-known/jwks.json`)).status).toBe(200);
    for (const fn of warm) expect(fn.instanceCount).toBeGreaterThan(0);
  });

  it('replaces only the function whose configuration changed', async () => {
    const [logicalId] = [...backend.functions].find(([, fn]) =>
      fn.spec.logicalId.startsWith('AccountsGetOpenidConfiguration'),
    ) ?? [''];
    const changed = resynthesized((template) => {
      const resource = template.Resources[logicalId];
      const variables = (
        resource?.Properties?.Environment as { Variables: Record<string, string> } | undefined
      )?.Variables;
      if (variables) variables.WATCH_TEST_SETTING = 'changed';
    });
    dirs.push(changed);
    expect(backend.reload(changed)).toMatchObject({ replaced: [logicalId], added: [], removed: [] });
    expect(backend.functions.get(logicalId)?.spec.environment.WATCH_TEST_SETTING).toBe('changed');
    expect((await fetch(`${backend.url}/.well-known/openid-configuration`)).status).toBe(200);
  });
});
