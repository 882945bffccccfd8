import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  checkEnvironment,
  declareEnv,
  environmentProblems,
  oneOf,
  positiveNumber,
  secretArn,
  url,
  whenSet,
} from '../../functions/core/config.ts';

// Declarations are per process, as in a function: these names are this file's own.
declareEnv('TEST_CONFIG_TABLE');
declareEnv('TEST_CONFIG_ARN', secretArn);
declareEnv('TEST_CONFIG_URL', url);
declareEnv('TEST_CONFIG_MINUTES', positiveNumber);
declareEnv('TEST_CONFIG_PROVIDER', oneOf(['simulated', 'stripe']));
declareEnv('TEST_CONFIG_STRIPE_KEY', secretArn, () => process.env.TEST_CONFIG_PROVIDER === 'stripe');
declareEnv('TEST_CONFIG_OPTIONAL', url, whenSet('TEST_CONFIG_OPTIONAL'));

const good = {
  TEST_CONFIG_TABLE: 'shop-table',
  TEST_CONFIG_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-prod-data-abc',
  TEST_CONFIG_URL: 'https://api.shop.example.com',
  TEST_CONFIG_MINUTES: '30',
  TEST_CONFIG_PROVIDER: 'simulated',
};
/** Problems about this file's variables only (other modules loaded in the process declare theirs). */
const ours = (env: NodeJS.ProcessEnv) =>
  environmentProblems(env).filter((problem) => problem.startsWith('TEST_CONFIG_'));

describe('environment checks at cold start', () => {
  it('accepts a complete, well-formed environment', () => {
    expect(ours(good)).toEqual([]);
  });

  it('names a missing or empty variable', () => {
    expect(ours({ ...good, TEST_CONFIG_TABLE: undefined })).toEqual(['TEST_CONFIG_TABLE is not set']);
    expect(ours({ ...good, TEST_CONFIG_TABLE: '' })).toEqual(['TEST_CONFIG_TABLE is not set']);
  });

  it.each([
    ['TEST_CONFIG_ARN', 'shop-prod-data', 'expected the ARN of a Secrets Manager secret'],
    ['TEST_CONFIG_URL', 'api.shop.example.com', 'expected a URL'],
    ['TEST_CONFIG_MINUTES', 'soon', 'expected a number above 0'],
    ['TEST_CONFIG_MINUTES', '0', 'expected a number above 0'],
    ['TEST_CONFIG_PROVIDER', 'paypal', 'expected one of simulated, stripe'],
  ])('names %s=%s as malformed, with what was expected', (name, value, expected) => {
    expect(ours({ ...good, [name]: value })).toEqual([`${name} is '${value}', ${expected}`]);
  });

  /** What `ours` finds with `name` set to `value`, in the process too (conditions read it there). */
  const problemsWith = (name: string, value: string): string[] => {
    process.env[name] = value;
    try {
      return ours({ ...good, [name]: value });
    } finally {
      delete process.env[name];
    }
  };

  it('requires a conditional variable only under its condition', () => {
    expect(problemsWith('TEST_CONFIG_PROVIDER', 'stripe')).toEqual(['TEST_CONFIG_STRIPE_KEY is not set']);
    expect(ours(good)).toEqual([]);
  });

  it('checks a variable declared whenSet only when it is set', () => {
    expect(problemsWith('TEST_CONFIG_OPTIONAL', 'not a url')).toEqual([
      "TEST_CONFIG_OPTIONAL is 'not a url', expected a URL",
    ]);
  });

  it('throws one ConfigurationError naming every bad variable', () => {
    const env = { ...process.env, ...good, TEST_CONFIG_TABLE: '', TEST_CONFIG_MINUTES: 'soon' };
    const error = (() => {
      try {
        checkEnvironment(env);
        return undefined;
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).name).toBe('ConfigurationError');
    expect((error as Error).message).toContain("TEST_CONFIG_MINUTES is 'soon', expected a number above 0; ");
    expect((error as Error).message).toContain('TEST_CONFIG_TABLE is not set');
    expect((error as Error).message).toMatch(/^Configuration error: /);
  });
});
