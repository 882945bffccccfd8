import { describe, expect, it } from 'vitest';
import { allStackNames, stackNames } from '../../lib/app.ts';
import { awsAccountProbe } from '../../lib/deploy/aws-account.ts';
import { runCfnLint } from '../../lib/deploy/cfn-lint.ts';
import {
  awsChecks,
  cfnLintCheck,
  readSynthesizedApp,
  settingsCheck,
  verdict,
} from '../../lib/deploy/preflight.ts';
import { synthesizeShop } from '../infra/shop-app.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Runs `body` with no AWS credentials or region reachable through the standard chain. */
async function withoutAws<T>(body: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
  Object.assign(process.env, {
    AWS_CONFIG_FILE: '/nonexistent/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  try {
    return await body();
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}

describe('the preflight on prod as synthesized, offline (cfn-lint on the PATH, no AWS account)', () => {
  const shop = () => synthesizeShop('prod');

  it('finds 0 cfn-lint errors in the templates (the rules .cfnlintrc.yaml ignores aside)', () => {
    const app = readSynthesizedApp(shop().assembly.directory);
    // data, media, api, events, alarms
    expect(app.templates).toHaveLength(allStackNames('prod').length);
    expect(app.requiredBootstrapVersion).toBeGreaterThanOrEqual(6);
    const lint = runCfnLint(app.templates, ROOT);
    expect(lint.ran, lint.ran ? '' : lint.reason).toBe(true);
    const check = cfnLintCheck(lint, app.templates.length);
    expect(check.details).toEqual(['0 errors, 0 warnings']);
    expect(check.status).toBe('ok');
  });

  it('lists the placeholders and says, with the real SDK chain finding no credentials, that the AWS checks did not run', async () => {
    const app = readSynthesizedApp(shop().assembly.directory);
    const aws = await withoutAws(() =>
      awsChecks(awsAccountProbe(), { config: shop().config, app, dataStack: stackNames('prod').data }),
    );
    expect(aws).toHaveLength(1);
    expect(aws[0]).toMatchObject({
      status: 'not run',
      details: [expect.stringContaining('these checks did not run')],
    });
    const checks = [settingsCheck(shop().config), ...aws];
    expect(checks[0]?.details.map((d) => d.split(':')[0])).toEqual([
      'alarmEmail',
      'corsOrigins',
      'corsOrigins',
      'emailDomain',
      'emailFrom',
      'paymentReturnUrl',
    ]);
    expect(verdict('prod', checks)).toEqual({
      line: 'NOT READY: 1 check failed; fix it before deploying prod (1 check did not run).',
      exitCode: 1,
    });
  });
});
