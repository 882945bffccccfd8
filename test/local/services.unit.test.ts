import { describe, expect, it } from 'vitest';
import { ServiceStack } from '../../lib/local/services.ts';

describe('the services a local backend started', () => {
  it('stops them in reverse order, each even when one before it fails, and only once', async () => {
    const stopped: string[] = [];
    const services = new ServiceStack();
    const service = (name: string, fails = false) => ({
      stop: async () => {
        stopped.push(name);
        if (fails) throw new Error(`${name} would not stop`);
      },
    });
    await services.add(service('first'));
    await services.add(Promise.resolve(service('second', true)));
    await services.add(service('third'));
    await services.stop();
    await services.stop();
    expect(stopped).toEqual(['third', 'second', 'first']);
  });

  it('collects the variables every function needs to find the services started so far', async () => {
    const services = new ServiceStack();
    const stop = async () => undefined;
    await services.add({
      endpoint: 'http://127.0.0.1:1',
      functionEnvironment: { AWS_ENDPOINT_URL_SQS: 'a' },
      stop,
    });
    const before = services.functionEnvironment;
    await services.add({ stop });
    await services.add({
      endpoint: 'http://127.0.0.1:2',
      functionEnvironment: { AWS_ENDPOINT_URL_SES: 'b' },
      stop,
    });
    expect(before).toEqual({ AWS_ENDPOINT_URL_SQS: 'a' });
    expect(services.functionEnvironment).toEqual({ AWS_ENDPOINT_URL_SQS: 'a', AWS_ENDPOINT_URL_SES: 'b' });
  });
});
