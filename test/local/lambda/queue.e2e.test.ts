import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalFunction } from '../../../lib/local/lambda/function.ts';
import type { RuntimeLimits } from '../../../lib/local/lambda/limits.ts';
import type { InvokeOutcome } from '../../../lib/local/lambda/outcome.ts';
import { LocalRuntime } from '../../../lib/local/lambda/runtime.ts';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');

const started: LocalFunction[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((fn) => fn.stop()));
});

/** The echo fixture as one function of a local Lambda service with these limits. */
function echo(limits: Partial<RuntimeLimits>, timeoutSeconds = 5): LocalFunction {
  const fn = new LocalFunction(
    {
      logicalId: 'Echo',
      functionName: 'local-Echo',
      codeDir: FIXTURES,
      handler: 'echo.handler',
      environment: { AWS_LAMBDA_FUNCTION_NAME: 'local-Echo' },
      timeoutSeconds,
      memoryMb: 256,
    },
    { onLog: () => undefined, runtime: new LocalRuntime(limits) },
  );
  started.push(fn);
  return fn;
}

/** `count` parallel invocations of the fixture's 300 ms operation. */
const burst = (fn: LocalFunction, count: number): Promise<InvokeOutcome[]> =>
  Promise.all(Array.from({ length: count }, () => fn.invoke({ rawPath: '/x/slow' })));

const throttled = (outcomes: InvokeOutcome[]) => outcomes.filter((o) => !o.ok && o.throttled);

describe('the local queue in front of a function’s environments', () => {
  it('serves a burst through LOCAL_FUNCTION_CONCURRENCY environments, the rest waiting their turn', async () => {
    const fn = echo({ functionConcurrency: 2 });
    const outcomes = await burst(fn, 10);
    expect(outcomes.map((o) => o.ok)).toEqual(Array(10).fill(true));
    expect(fn.instanceCount).toBe(2);
  });

  it('does not count the wait against the function timeout', async () => {
    // Three runs of 300 ms one after the other: the last waits 600 ms, past a 0.5 s timeout.
    const outcomes = await burst(echo({ functionConcurrency: 1 }, 0.5), 3);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
  });

  it('throttles past the queue’s depth, naming the limit and its setting', async () => {
    const outcomes = await burst(echo({ functionConcurrency: 1, functionQueueDepth: 2 }), 5);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
    const refused = throttled(outcomes);
    expect(refused).toHaveLength(2);
    for (const outcome of refused) {
      expect(outcome.ok ? undefined : outcome.error.errorType).toBe('TooManyRequestsException');
      expect(outcome.ok ? undefined : outcome.throttleDetail).toMatch(/LOCAL_FUNCTION_QUEUE_DEPTH/);
    }
  });

  it('throttles a request that waited past LOCAL_FUNCTION_QUEUE_WAIT_SECONDS', async () => {
    const outcomes = await burst(echo({ functionConcurrency: 1, functionQueueWaitMs: 100 }), 2);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(throttled(outcomes)).toHaveLength(1);
  });

  it('names reserved concurrency as the limit when the template reserves it', async () => {
    const fn = new LocalFunction(
      {
        logicalId: 'Reserved',
        functionName: 'local-Reserved',
        codeDir: FIXTURES,
        handler: 'echo.handler',
        environment: {},
        timeoutSeconds: 5,
        memoryMb: 256,
        reservedConcurrency: 1,
      },
      { onLog: () => undefined, runtime: new LocalRuntime({ functionConcurrency: 4 }) },
    );
    started.push(fn);
    const refused = throttled(await burst(fn, 3));
    expect(refused).toHaveLength(2);
    expect(refused[0]?.ok ? undefined : refused[0]?.throttleDetail).toMatch(/ReservedConcurrentExecutions/);
  });
});
