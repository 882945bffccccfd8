import { describe, expect, it } from 'vitest';
import { environmentConfig } from '../../lib/config/environments.ts';
import { withOperatorSettings } from '../../lib/config/operator-settings.ts';
import {
  type AwsAccountProbe,
  awsChecks,
  cfnLintCheck,
  type SynthesizedApp,
  settingsCheck,
  stackMovesCheck,
  verdict,
} from '../../lib/deploy/preflight.ts';

/**
 * A stand-in for the AWS account: no account exists where the tests run, so the preflight's AWS
 * calls sit behind `AwsAccountProbe` and this fake answers them. Everything else is real.
 */
function fakeAccount(account: {
  credentials?: boolean;
  bootstrapVersion?: number;
  deployed?: Record<string, Record<string, string>>;
  secrets?: Record<string, string>;
}): AwsAccountProbe {
  return {
    whereami: async () =>
      account.credentials === false
        ? { found: false, reason: 'Could not load credentials from any providers' }
        : { found: true, region: 'eu-west-1' },
    bootstrap: async () =>
      account.bootstrapVersion === undefined
        ? undefined
        : { version: account.bootstrapVersion, account: '123456789012' },
    stackResources: async (name) => {
      const resources = account.deployed?.[name];
      return resources ? new Map(Object.entries(resources)) : undefined;
    },
    secretValue: async (id) => account.secrets?.[id],
  };
}

/** The parts of prod's synthesized app the checks read. */
const app: SynthesizedApp = {
  dir: '/nowhere',
  stackNames: ['shop-prod-data'],
  templates: ['a.template.json'],
  requiredBootstrapVersion: 6,
  resourcesOf: () => ({
    StripeApiKey1A2B3C4D: { Type: 'AWS::SecretsManager::Secret' },
    PaymentWebhookSecret5E6F7A8B: { Type: 'AWS::SecretsManager::Secret' },
    Table: { Type: 'AWS::DynamoDB::Table' },
  }),
};
const prod = withOperatorSettings(environmentConfig('prod'), {
  alarmEmail: 'oncall@corp.test',
  corsOrigins: ['https://shop.corp.test'],
  emailDomain: 'mail.corp.test',
  paymentReturnUrl: 'https://shop.corp.test/checkout/complete',
});
const deployed = {
  'shop-prod-data': { StripeApiKey1A2B3C4D: 'arn:stripe-key', PaymentWebhookSecret5E6F7A8B: 'arn:webhook' },
};
const check = (probe: AwsAccountProbe, config = prod) =>
  awsChecks(probe, { config, app, dataStack: 'shop-prod-data' });

describe('npm run deploy:check: the checks', () => {
  it('lists every placeholder setting of prod as it is in code, and passes once they are set', () => {
    const defaults = settingsCheck(environmentConfig('prod'));
    expect(defaults.status).toBe('failed');
    expect(defaults.details).toEqual([
      expect.stringMatching(/^alarmEmail: shop-oncall@example\.com is a placeholder; set -c alarmEmail=/),
      expect.stringMatching(/^corsOrigins: https:\/\/shop\.example\.com is a placeholder/),
      expect.stringMatching(/^corsOrigins: https:\/\/www\.shop\.example\.com is a placeholder/),
      expect.stringMatching(/^emailDomain: mail\.shop\.example\.com is a placeholder/),
      expect.stringMatching(/^emailFrom: shop@mail\.shop\.example\.com is a placeholder/),
      expect.stringMatching(
        /^paymentReturnUrl: https:\/\/shop\.example\.com\/checkout\/complete is a placeholder/,
      ),
    ]);
    expect(settingsCheck(prod).status).toBe('ok');
  });

  it('says the AWS checks did not run without credentials: not a failure', async () => {
    const results = await check(fakeAccount({ credentials: false }));
    expect(results).toEqual([
      {
        title: 'AWS account (bootstrap, Stripe secrets)',
        status: 'not run',
        details: [expect.stringContaining('Could not load credentials from any providers')],
      },
    ]);
    const ok = cfnLintCheck({ ran: true, version: 'cfn-lint 1.0', errors: [], warnings: [] }, 4);
    expect(verdict('prod', [settingsCheck(prod), ok, ...results])).toEqual({
      line: 'Ready to deploy prod: npx cdk deploy -c env=prod --all (1 check did not run).',
      exitCode: 0,
    });
  });

  it('fails an account that is not bootstrapped, or bootstrapped too long ago, saying how to bootstrap it', async () => {
    const [none] = await check(fakeAccount({ deployed }));
    expect(none).toMatchObject({
      status: 'failed',
      details: ['not bootstrapped: run npx cdk bootstrap aws://<account>/eu-west-1'],
    });
    const [old] = await check(fakeAccount({ bootstrapVersion: 5, deployed }));
    expect(old?.details[0]).toBe(
      'bootstrap version 5, the stacks need 6: run npx cdk bootstrap aws://123456789012/eu-west-1 again',
    );
    const [current] = await check(fakeAccount({ bootstrapVersion: 28, deployed }));
    expect(current?.status).toBe('ok');
  });

  it('checks the Stripe secrets hold a live key and a webhook signing secret, without printing them', async () => {
    const before = await check(fakeAccount({ bootstrapVersion: 28 }));
    expect(before[1]).toMatchObject({
      status: 'not run',
      details: [expect.stringContaining('not deployed yet')],
    });
    // As deployed: Secrets Manager generated random strings.
    const generated = await check(
      fakeAccount({
        bootstrapVersion: 28,
        deployed,
        secrets: { 'arn:stripe-key': 'x7Fq9', 'arn:webhook': 'k2Lm0' },
      }),
    );
    expect(generated[1]?.status).toBe('failed');
    expect(generated[1]?.details).toEqual([
      "Stripe API key: not a live Stripe key (sk_live_... or rk_live_...) yet; aws secretsmanager put-secret-value --secret-id arn:stripe-key --secret-string '<value>'",
      expect.stringMatching(/^Stripe webhook signing secret: not .*whsec_/),
    ]);
    const test = await check(
      fakeAccount({
        bootstrapVersion: 28,
        deployed,
        secrets: { 'arn:stripe-key': 'sk_test_abc', 'arn:webhook': 'whsec_abc' },
      }),
    );
    expect(test[1]?.details[0]).toContain('not a live Stripe key');
    const live = await check(
      fakeAccount({
        bootstrapVersion: 28,
        deployed,
        secrets: { 'arn:stripe-key': 'sk_live_abc', 'arn:webhook': 'whsec_abc' },
      }),
    );
    expect(live[1]).toMatchObject({
      status: 'ok',
      details: ['Stripe API key: set', 'Stripe webhook signing secret: set'],
    });
    expect(JSON.stringify([generated, test, live])).not.toMatch(/sk_live_abc|whsec_abc|x7Fq9/);
    // Where payments are simulated there are no Stripe secrets to check.
    const dev = await check(fakeAccount({ bootstrapVersion: 28 }), environmentConfig('dev'));
    expect(dev.map((r) => r.title)).toEqual(['CDK bootstrap of 123456789012 in eu-west-1 (CDKToolkit)']);
  });

  it('fails when cfn-lint finds an error or is not installed', () => {
    const error = {
      Filename: 'cdk.out/shop-prod-api.template.json',
      Level: 'Error',
      Message: 'bad',
      Rule: { Id: 'E3001' },
      Location: { Path: ['Resources', 'Fn'] },
    };
    expect(
      cfnLintCheck({ ran: true, version: 'cfn-lint 1.0', errors: [error], warnings: [] }, 4),
    ).toMatchObject({
      status: 'failed',
      details: ['1 errors, 0 warnings', 'E3001 shop-prod-api.template.json Resources/Fn: bad'],
    });
    expect(cfnLintCheck({ ran: false, reason: 'cfn-lint is not installed' }, 4).status).toBe('failed');
    expect(verdict('prod', [cfnLintCheck({ ran: false, reason: 'x' }, 4)]).exitCode).toBe(1);
  });
});

describe('npm run deploy:check: functions that change stack', () => {
  // The split of the HTTP API by domain: CatalogListProducts moves from the base API stack to
  // the catalog route stack, under the same logical id; the health check stays.
  const split: SynthesizedApp = {
    dir: '/nowhere',
    stackNames: ['shop-prod-api', 'shop-prod-api-catalog'],
    templates: ['shop-prod-api.template.json', 'shop-prod-api-catalog.template.json'],
    requiredBootstrapVersion: 6,
    resourcesOf: (name): Record<string, { Type: string }> =>
      name === 'shop-prod-api'
        ? { SystemGetHealthFunction1234: { Type: 'AWS::Lambda::Function' } }
        : {
            CatalogListProductsFunction5678: { Type: 'AWS::Lambda::Function' },
            CatalogListProductsErrorsAlarm9ABC: { Type: 'AWS::CloudWatch::Alarm' },
          },
  };

  it('fails when a deployed function would move to another stack, naming the move and the runbook', async () => {
    const result = await stackMovesCheck(
      fakeAccount({
        deployed: {
          'shop-prod-api': {
            SystemGetHealthFunction1234: 'shop-prod-api-SystemGetHealth-abc',
            CatalogListProductsFunction5678: 'shop-prod-api-CatalogListProducts-def',
          },
        },
      }),
      split,
    );
    expect(result.status).toBe('failed');
    expect(result.details[0]).toBe(
      'shop-prod-api -> shop-prod-api-catalog: 1 (CatalogListProductsFunction5678)',
    );
    expect(result.details[1]).toContain('Moving routes between stacks');
  });

  it('passes once every function is where the app puts it, and on a first deploy', async () => {
    const settled = fakeAccount({
      deployed: {
        'shop-prod-api': { SystemGetHealthFunction1234: 'a' },
        'shop-prod-api-catalog': { CatalogListProductsFunction5678: 'b' },
      },
    });
    expect((await stackMovesCheck(settled, split)).status).toBe('ok');
    expect((await stackMovesCheck(fakeAccount({}), split)).status).toBe('ok');
  });

  it('does not run without credentials', async () => {
    expect((await stackMovesCheck(fakeAccount({ credentials: false }), split)).status).toBe('not run');
  });
});
