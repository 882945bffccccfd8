import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';

const VARIABLES = ['SHOP_TRACED_CALLS', 'AWS_EXECUTION_ENV', 'AWS_XRAY_CONTEXT_MISSING'] as const;

/** functions/core/tracing.ts freshly loaded under the given environment (its choice is made on load). */
async function loadTracing(environment: Partial<Record<(typeof VARIABLES)[number], string>>) {
  vi.resetModules();
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, environment);
  return import('../../functions/core/tracing.ts');
}

const xrayMiddlewares = (client: DynamoDBClient) =>
  client.middlewareStack.identify().filter((name) => /xray/i.test(name));

describe('traced calls', () => {
  afterEach(() => {
    for (const name of VARIABLES) delete process.env[name];
    vi.resetModules();
  });

  it('record an AWS SDK client’s calls as X-Ray subsegments, and open the handler’s, where the function traces calls', async () => {
    const tracing = await loadTracing({
      SHOP_TRACED_CALLS: 'true',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    });
    expect(xrayMiddlewares(tracing.traced(new DynamoDBClient({ region: 'us-east-1' })))).toEqual([
      'XRaySDKInstrumentation - build',
    ]);
    expect(tracing.tracingMiddlewares()).toHaveLength(1);
  });

  it('leave clients and the handler alone where the function does not', async () => {
    const tracing = await loadTracing({
      SHOP_TRACED_CALLS: 'false',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    });
    expect(xrayMiddlewares(tracing.traced(new DynamoDBClient({ region: 'us-east-1' })))).toEqual([]);
    expect(tracing.tracingMiddlewares()).toEqual([]);
  });
});
