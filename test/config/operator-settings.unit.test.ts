import { describe, expect, it } from 'vitest';
import { environmentConfig, environmentConfigFromContext } from '../../lib/config/environments.ts';
import {
  OperatorSettingError,
  placeholderSettings,
  readOperatorSettings,
  withOperatorSettings,
} from '../../lib/config/operator-settings.ts';

/** A context as the CDK CLI assembles it: cdk.json's entries, then `-c` flags over them. */
const context =
  (values: Record<string, unknown>) =>
  (key: string): unknown =>
    values[key];

const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

const refused = (env: 'dev' | 'prod', values: Record<string, unknown>): string => {
  try {
    readOperatorSettings(env, context(values));
  } catch (error) {
    if (error instanceof OperatorSettingError) return error.message;
    throw error;
  }
  throw new Error(`${JSON.stringify(values)} was accepted`);
};

describe('operator settings from the CDK context', () => {
  it('reads "shop:<env>" of cdk.json, with -c values winning, lists as arrays or comma-separated', () => {
    const settings = readOperatorSettings(
      'prod',
      context({
        'shop:prod': { alarmEmail: 'file@corp.test', corsOrigins: ['https://a.corp.test'] },
        alarmEmail: 'flag@corp.test',
        domainName: 'api.corp.test',
        certificateArn: CERTIFICATE,
      }),
    );
    expect(settings).toEqual({
      alarmEmail: 'flag@corp.test',
      corsOrigins: ['https://a.corp.test'],
      domainName: 'api.corp.test',
      certificateArn: CERTIFICATE,
    });
    expect(
      readOperatorSettings('prod', context({ corsOrigins: 'https://a.corp.test, https://b.corp.test' }))
        .corsOrigins,
    ).toEqual(['https://a.corp.test', 'https://b.corp.test']);
    expect(
      readOperatorSettings('prod', context({ corsOrigins: '["https://a.corp.test"]' })).corsOrigins,
    ).toEqual(['https://a.corp.test']);
    expect(readOperatorSettings('prod', context({}))).toEqual({});
  });

  it('refuses a malformed value with a message naming the key and where it was set', () => {
    expect(refused('prod', { alarmEmail: 'oncall' })).toBe(
      'Operator setting alarmEmail (-c alarmEmail) "oncall" is not an email address.',
    );
    expect(refused('prod', { 'shop:prod': { corsOrigins: ['http://shop.corp.test'] } })).toBe(
      'Operator setting corsOrigins ("shop:prod".corsOrigins in cdk.json) "http://shop.corp.test" must be https in prod.',
    );
    expect(refused('prod', { corsOrigins: 'https://shop.corp.test/app' })).toContain('is not an origin');
    expect(refused('prod', { corsOrigins: '*' })).toContain('is not an origin');
    expect(refused('prod', { domainName: 'api.corp.test', certificateArn: 'arn:aws:acm:nope' })).toContain(
      'certificateArn (-c certificateArn) "arn:aws:acm:nope" is not an ACM certificate ARN',
    );
    expect(refused('prod', { domainName: 'api.corp.test' })).toContain(
      'domainName and certificateArn go together',
    );
    expect(refused('prod', { 'shop:prod': { alarmEmails: 'x@corp.test' } })).toContain(
      'Unknown setting "alarmEmails" in "shop:prod"',
    );
    expect(refused('prod', { issuerUrl: 'https://api.corp.test/v1' })).toContain('is not an origin');
    expect(refused('prod', { paymentReturnUrl: 'http://shop.corp.test/done' })).toContain(
      'must be https in prod',
    );
    expect(refused('prod', { paymentReturnUrl: 'shop.corp.test/done' })).toContain('is not a URL');
  });

  it('allows http://localhost origins in dev, never in staging or prod', () => {
    expect(
      readOperatorSettings('dev', context({ corsOrigins: 'http://localhost:5173' })).corsOrigins,
    ).toEqual(['http://localhost:5173']);
    expect(refused('prod', { corsOrigins: 'http://localhost:5173' })).toContain('must be https in prod');
  });

  it('puts the settings in the environment’s config, and synthesis reads them from the context', () => {
    const config = environmentConfigFromContext(
      context({
        env: 'prod',
        alarmEmail: 'oncall@corp.test',
        domainName: 'api.corp.test',
        certificateArn: CERTIFICATE,
      }),
    );
    expect(config.alarms.email).toBe('oncall@corp.test');
    expect(config.customDomain).toEqual({ domainName: 'api.corp.test', certificateArn: CERTIFICATE });
    expect(config.alarms.serverErrorRatePercent).toBe(
      environmentConfig('prod').alarms.serverErrorRatePercent,
    );
    expect(() => environmentConfigFromContext(context({ env: 'prod', alarmEmail: 'x' }))).toThrow(
      OperatorSettingError,
    );
  });

  it('lists what is still a placeholder or missing, per environment, and nothing once set', () => {
    expect(placeholderSettings(environmentConfig('local'))).toEqual([]);
    const prod = placeholderSettings(environmentConfig('prod'));
    expect(prod.map((f) => f.setting)).toEqual([
      'alarmEmail',
      'corsOrigins',
      'corsOrigins',
      'emailDomain',
      'emailFrom',
      'paymentReturnUrl',
    ]);
    expect(prod[0]?.problem).toBe('shop-oncall@example.com is a placeholder');
    expect(placeholderSettings(environmentConfig('dev')).map((f) => f.setting)).toEqual([
      'corsOrigins',
      'emailDomain',
      'emailFrom',
      'paymentReturnUrl',
    ]);
    const settled = withOperatorSettings(environmentConfig('prod'), {
      alarmEmail: 'oncall@corp.test',
      corsOrigins: ['https://shop.corp.test'],
      // The From address follows the domain (shop@<domain>) unless given.
      emailDomain: 'mail.corp.test',
      paymentReturnUrl: 'https://shop.corp.test/checkout/complete',
    });
    expect(settled.email).toEqual({ domain: 'mail.corp.test', fromAddress: 'shop@mail.corp.test' });
    expect(() =>
      withOperatorSettings(environmentConfig('prod'), {
        emailDomain: 'mail.corp.test',
        emailFrom: 'x@other.test',
      }),
    ).toThrow(/must be an address on emailDomain/);
    expect(placeholderSettings(settled)).toEqual([]);
    const withoutEmail = { ...settled, alarms: { ...settled.alarms, email: undefined } };
    expect(placeholderSettings(withoutEmail)).toEqual([
      { setting: 'alarmEmail', problem: 'missing: prod alarms would notify nobody' },
    ]);
  });
});
