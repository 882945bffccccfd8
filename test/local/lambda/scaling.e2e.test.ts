import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiRoute } from '../../../lib/local/apigateway/http/definition.ts';
import { type ApiServer, startApiServer } from '../../../lib/local/apigateway/http/server.ts';
import { TemplateResolver } from '../../../lib/local/cloudformation/template.ts';
import { LocalFunction } from '../../../lib/local/lambda/function.ts';
import { type RuntimeLimits, runtimeLimitsFromEnv } from '../../../lib/local/lambda/limits.ts';
import { LocalRuntime } from '../../../lib/local/lambda/runtime.ts';
import { type FunctionSpec, functionSpecOf } from '../../../lib/local/lambda/spec.ts';
import { accountsApi } from '../../support/accounts-api.ts';
import { functionOf } from '../../support/forged-tokens.ts';
import { startTestBackend } from '../../support/local-api.ts';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');

/** A fixture function as the template would declare it. */
function spec(logicalId: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    logicalId,
    functionName: `local-${logicalId}`,
    codeDir: FIXTURES,
    handler: 'echo.handler',
    environment: { AWS_LAMBDA_FUNCTION_NAME: `local-${logicalId}` },
    timeoutSeconds: 5,
    memoryMb: 256,
    ...overrides,
  };
}

const route = (logicalId: string): ApiRoute => ({
  routeKey: `GET /${logicalId}/{op}`,
  method: 'GET',
  path: `/${logicalId}/{op}`,
  functionLogicalId: logicalId,
  authorizationType: 'NONE',
  authorizationScopes: [],
});

/** An API over fixture functions that share one local Lambda service. */
async function serve(
  specs: readonly FunctionSpec[],
  limits: Partial<RuntimeLimits> = {},
): Promise<{ server: ApiServer; functions: Map<string, LocalFunction> }> {
  const runtime = new LocalRuntime(limits);
  const functions = new Map(
    specs.map((s) => [s.logicalId, new LocalFunction(s, { onLog: () => undefined, runtime })]),
  );
  const server = await startApiServer({
    api: { apiId: 'HttpApi', routes: specs.map((s) => route(s.logicalId)) },
    functions,
    log: () => undefined,
  });
  running.push({ server, functions });
  return { server, functions };
}

const running: { server: ApiServer; functions: Map<string, LocalFunction> }[] = [];
afterEach(async () => {
  for (const { server, functions } of running.splice(0)) {
    await server.stop();
    await Promise.all([...functions.values()].map((fn) => fn.stop()));
  }
});

async function statuses(urls: readonly string[]): Promise<{ status: number; body: string }[]> {
  return Promise.all(
    urls.map(async (url) => {
      const res = await fetch(url);
      return { status: res.status, body: await res.text() };
    }),
  );
}

describe('the local Lambda service', () => {
  it('answers 100 parallel requests to a function with reserved concurrency 2 only with 200 or 429', async () => {
    const { server, functions } = await serve([spec('Reserved', { reservedConcurrency: 2 })]);
    const answers = await statuses(Array.from({ length: 100 }, () => `${server.url}/Reserved/slow`));
    const ok = answers.filter((a) => a.status === 200);
    const throttled = answers.filter((a) => a.status === 429);
    expect(ok.length + throttled.length).toBe(100);
    expect(ok.length).toBeGreaterThanOrEqual(2);
    expect(throttled.length).toBeGreaterThan(0);
    expect(new Set(throttled.map((a) => a.body))).toEqual(new Set(['{"message":"Too Many Requests"}']));
    expect(functions.get('Reserved')?.instanceCount).toBeLessThanOrEqual(2);
  });

  it('throttles with 429 and the API Gateway headers a throttled Lambda gets', async () => {
    const { server } = await serve([spec('One', { reservedConcurrency: 1 })]);
    const [, second] = await Promise.all([fetch(`${server.url}/One/slow`), fetch(`${server.url}/One/slow`)]);
    expect(second?.status).toBe(429);
    expect(second?.headers.get('content-type')).toBe('application/json');
    expect(second?.headers.get('apigw-requestid')).toBeTruthy();
  });

  it('serves 50 parallel first requests spread over 10 cold functions, every one with 200', async () => {
    const specs = Array.from({ length: 10 }, (_, i) => spec(`Cold${i}`));
    // Five at once per function: within what one function may run here (LOCAL_FUNCTION_CONCURRENCY).
    const { server, functions } = await serve(specs, { functionConcurrency: 5 });
    const answers = await statuses(Array.from({ length: 50 }, (_, i) => `${server.url}/Cold${i % 10}/hello`));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    // Each concurrent request had an environment of its own.
    expect([...functions.values()].reduce((sum, fn) => sum + fn.instanceCount, 0)).toBe(50);
  });

  it('lets functions without reserved concurrency share the account limit', async () => {
    const { server, functions } = await serve([spec('A'), spec('B')], { accountConcurrency: 3 });
    const answers = await statuses(
      Array.from({ length: 10 }, (_, i) => `${server.url}/${i % 2 ? 'A' : 'B'}/slow`),
    );
    expect(answers.filter((a) => a.status === 200).length).toBe(3);
    expect(answers.filter((a) => a.status === 429).length).toBe(7);
    expect((functions.get('A')?.instanceCount ?? 0) + (functions.get('B')?.instanceCount ?? 0)).toBe(3);
  });

  it('keeps reserved concurrency out of what the other functions share', async () => {
    const { server } = await serve([spec('Reserving', { reservedConcurrency: 2 }), spec('Other')], {
      accountConcurrency: 3,
    });
    const answers = await statuses(Array.from({ length: 4 }, () => `${server.url}/Other/slow`));
    expect(answers.filter((a) => a.status === 200).length).toBe(1);
  });

  it('shuts idle environments down after the idle time, so the next request is cold again', async () => {
    const { server, functions } = await serve([spec('Idle')], { idleInstanceMs: 300 });
    const first = (await (await fetch(`${server.url}/Idle/hello`)).json()) as { instanceId: string };
    expect(functions.get('Idle')?.instanceCount).toBe(1);
    await expect.poll(() => functions.get('Idle')?.instanceCount, { timeout: 5_000 }).toBe(0);
    const next = (await (await fetch(`${server.url}/Idle/hello`)).json()) as {
      instanceId: string;
      invocations: number;
    };
    expect(next.instanceId).not.toBe(first.instanceId);
    expect(next.invocations).toBe(1);
  });

  it('gives init its own limit and retries an init that runs over within the function timeout, as Lambda does', async () => {
    const slowInit = (logicalId: string, timeoutSeconds: number) =>
      spec(logicalId, {
        handler: 'slow-init.handler',
        timeoutSeconds,
        environment: { INIT_SLEEP_MS: '600' },
      });
    const { server } = await serve([slowInit('Retried', 3), slowInit('TooSlow', 0.4)], {
      initTimeoutMs: 300,
    });
    const retried = await fetch(`${server.url}/Retried/x`);
    expect(retried.status).toBe(200);
    // The retried init itself outlasts a 0.4 s function timeout: the request times out, a
    // Lambda function error (API Gateway's bare 500).
    const tooSlow = await fetch(`${server.url}/TooSlow/x`);
    expect(tooSlow.status).toBe(500);
  });

  it('does not count init against the function timeout', async () => {
    const { server } = await serve(
      [
        spec('LongInit', {
          handler: 'slow-init.handler',
          timeoutSeconds: 0.3,
          environment: { INIT_SLEEP_MS: '600' },
        }),
      ],
      { initTimeoutMs: 5_000 },
    );
    const res = await fetch(`${server.url}/LongInit/x`);
    expect(res.status).toBe(200);
  });
});

describe('the JWT authorizer under a burst of first requests', () => {
  it('verifies 30 parallel first requests of a fresh backend with one discovery, none refused', async () => {
    const backend = await startTestBackend();
    try {
      const api = accountsApi(backend.url);
      const { accessToken } = await api.newCustomer('burst');
      const answers = await Promise.all(Array.from({ length: 30 }, () => api.me(accessToken)));
      expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
      // The issuer's discovery document was fetched once, not once per waiting request.
      expect(functionOf(backend, 'AccountsGetOpenidConfiguration').instanceCount).toBe(1);
    } finally {
      await backend.stop();
    }
  });
});

describe('the local runtime settings', () => {
  it('reads the limits from LOCAL_* variables', () => {
    expect(
      runtimeLimitsFromEnv({
        LOCAL_ACCOUNT_CONCURRENCY: '50',
        LOCAL_IDLE_INSTANCE_SECONDS: '30',
        LOCAL_INIT_TIMEOUT_SECONDS: '2.5',
        LOCAL_CONCURRENT_INITS: '4',
      }),
    ).toEqual({ accountConcurrency: 50, idleInstanceMs: 30_000, initTimeoutMs: 2_500, concurrentInits: 4 });
    expect(runtimeLimitsFromEnv({})).toEqual({});
  });

  it('refuses a limit that is not a positive number', () => {
    expect(() => runtimeLimitsFromEnv({ LOCAL_ACCOUNT_CONCURRENCY: 'lots' })).toThrow(
      'LOCAL_ACCOUNT_CONCURRENCY must be a positive number',
    );
    expect(() => runtimeLimitsFromEnv({ LOCAL_IDLE_INSTANCE_SECONDS: '0' })).toThrow(/positive/);
  });

  it('takes a function’s reserved concurrency from the template', () => {
    const resource = {
      Type: 'AWS::Lambda::Function',
      Properties: { Handler: 'index.handler', Timeout: 7, MemorySize: 512, ReservedConcurrentExecutions: 2 },
      Metadata: { 'aws:asset:path': 'asset.abc' },
    };
    const resolver = new TemplateResolver({
      dir: '/assembly',
      stacks: [{ stackName: 'stack', template: { Resources: { Fn: resource } } }],
    });
    const found = functionSpecOf({ stackName: 'stack', logicalId: 'Fn', resource }, resolver, {
      accessKeyId: 'a',
      secretAccessKey: 'b',
      sessionToken: 'c',
    });
    expect(found).toMatchObject({
      codeDir: '/assembly/asset.abc',
      timeoutSeconds: 7,
      memoryMb: 512,
      reservedConcurrency: 2,
    });
    // Lambda's credential variables: the functions' SDK clients read nothing else.
    expect(found.environment).toMatchObject({
      AWS_ACCESS_KEY_ID: 'a',
      AWS_SECRET_ACCESS_KEY: 'b',
      AWS_SESSION_TOKEN: 'c',
    });
  });
});
