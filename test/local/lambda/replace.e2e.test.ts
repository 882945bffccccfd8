import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFunction } from '../../../lib/local/lambda/function.ts';
import type { InvokeOutcome } from '../../../lib/local/lambda/outcome.ts';
import { type FunctionSpec, withCodeDir } from '../../../lib/local/lambda/spec.ts';

/** A bundle answering its version, after `ms` when the event asks to wait. */
const bundle = (version: string) => `
export const handler = async (event) => {
  if (event.wait) await new Promise((resolve) => setTimeout(resolve, event.wait));
  return { version: ${JSON.stringify(version)}, pid: globalThis.__instance ??= Math.random() };
};
`;

const result = (outcome: InvokeOutcome) => {
  if (!outcome.ok) throw new Error(`${outcome.error.errorType}: ${outcome.error.errorMessage}`);
  return outcome.result as { version: string; pid: number };
};

describe('a function given new code (watch mode)', () => {
  let dir: string;
  let spec: FunctionSpec;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shop-replace-'));
    for (const version of ['v1', 'v2']) {
      mkdirSync(path.join(dir, version));
      writeFileSync(path.join(dir, version, 'index.mjs'), bundle(version));
    }
    spec = {
      logicalId: 'Replaced',
      functionName: 'local-Replaced',
      codeDir: path.join(dir, 'v1'),
      handler: 'index.handler',
      environment: {},
      timeoutSeconds: 10,
      memoryMb: 128,
    };
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finishes requests in flight on the old code, serves new ones on the new, then lets the old go', async () => {
    const fn = new LocalFunction(spec, { onLog: () => undefined });
    try {
      // One warm idle environment and one busy with a slow request, both of v1.
      expect(result(await fn.invoke({})).version).toBe('v1');
      const inFlight = fn.invoke({ wait: 1_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(fn.instanceCount).toBe(1);
      let drained = false;
      const replaced = fn.replace(withCodeDir(spec, path.join(dir, 'v2'))).then(() => {
        drained = true;
      });
      const fresh = result(await fn.invoke({}));
      expect(fresh.version).toBe('v2');
      expect(drained).toBe(false);
      expect(result(await inFlight).version).toBe('v1');
      await replaced;
      // Only the new code's environment is left, and it stays warm.
      expect(fn.instanceCount).toBe(1);
      const again = await fn.invoke({});
      expect(again.coldStart).toBe(false);
      expect(result(again)).toEqual(fresh);
    } finally {
      await fn.stop();
    }
  });

  it('resolves at once when no environment of the old code is running', async () => {
    const fn = new LocalFunction(spec, { onLog: () => undefined });
    try {
      await fn.replace(withCodeDir(spec, path.join(dir, 'v2')));
      expect(result(await fn.invoke({})).version).toBe('v2');
    } finally {
      await fn.stop();
    }
  });
});
