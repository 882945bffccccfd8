// `npm run deploy:check -- --env prod`: the preflight before `cdk deploy`. Synthesizes the
// environment offline with the operator's settings, lists what is still a placeholder, runs
// cfn-lint over the templates and, when AWS credentials are found, checks the account's CDK
// bootstrap and the Stripe secrets. Exit 1 when anything must be fixed first (lib/deploy/).
import path from 'node:path';
import { exitWithUsage, readCommandLine } from '../lib/cli/command-line.ts';

const DEPLOY_CHECK_COMMAND = {
  command: 'npm run deploy:check',
  summary:
    "Checks that an environment is ready to deploy: no placeholder settings, cfn-lint's 0 errors, and (with " +
    'AWS credentials) a bootstrapped account, Stripe secrets that hold values, and no deployed function ' +
    'that this deploy moves to another stack. Exit 1 when not.',
  options: {
    env: {
      type: 'string',
      placeholder: 'dev|staging|prod',
      choices: ['dev', 'staging', 'prod'],
      describe: 'the environment to check (required)',
    },
    context: {
      type: 'string',
      short: 'c',
      multiple: true,
      placeholder: '<key>=<value>',
      describe: "context as `cdk deploy -c` takes it (alarmEmail=..., corsOrigins=...); over cdk.json's",
    },
    'toolkit-stack-name': {
      type: 'string',
      placeholder: '<name>',
      default: 'CDKToolkit',
      describe: 'the CDK bootstrap stack',
    },
  },
  sections: [
    {
      title: 'Needs',
      rows: [
        ['cfn-lint', 'on the PATH (pipx install cfn-lint); missing, the check fails'],
        ['AWS credentials', 'optional: the standard chain (AWS_PROFILE, AWS_* variables) and AWS_REGION'],
      ],
    },
  ],
} as const;

const { values } = readCommandLine(DEPLOY_CHECK_COMMAND);
if (!values.env) exitWithUsage(DEPLOY_CHECK_COMMAND, '--env is required: dev, staging or prod.');
const env = values.env;
const flags: Record<string, string> = {};
for (const pair of values.context) {
  const at = pair.indexOf('=');
  if (at < 1) exitWithUsage(DEPLOY_CHECK_COMMAND, `--context takes <key>=<value>, got "${pair}".`);
  flags[pair.slice(0, at)] = pair.slice(at + 1);
}

// Loaded after the command line is known to be fine: --help and a typo answer at once.
const { readFileSync } = await import('node:fs');
const { environmentConfigFromContext } = await import('../lib/config/environments.ts');
const { OperatorSettingError } = await import('../lib/config/operator-settings.ts');
const { PROJECT_ROOT } = await import('../lib/constructs/endpoint-function.ts');
const { stackNames } = await import('../lib/app.ts');
const { awsAccountProbe } = await import('../lib/deploy/aws-account.ts');
const { runCfnLint } = await import('../lib/deploy/cfn-lint.ts');
const { awsChecks, cfnLintCheck, readSynthesizedApp, settingsCheck, stackMovesCheck, verdict } = await import(
  '../lib/deploy/preflight.ts'
);
const { synthesize } = await import('../lib/synth.ts');
type CheckResult = import('../lib/deploy/preflight.ts').CheckResult;

const progress = (text: string) => process.stderr.write(`• ${text}\n`);
const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
  context?: Record<string, unknown>;
};
// As the CDK CLI merges them: cdk.json's context, then the -c flags.
const context: Record<string, unknown> = { ...cdkJson.context, ...flags, env };

let config: ReturnType<typeof environmentConfigFromContext>;
try {
  config = environmentConfigFromContext((key) => context[key]);
} catch (error) {
  if (!(error instanceof OperatorSettingError)) throw error;
  console.error(`NOT READY: ${error.message}`);
  process.exit(1);
}

const started = Date.now();
progress(`Synthesizing ${env} offline (no lookups, no AWS calls)...`);
const outdir = path.join(PROJECT_ROOT, '.local', 'deploy-check', env);
const synth = synthesize(env, outdir, { reuse: true, context: flags });
progress(
  synth.synthesized
    ? `Synthesized in ${((Date.now() - started) / 1000).toFixed(0)} s`
    : 'Sources and context unchanged: reusing the last synthesis',
);
const app = readSynthesizedApp(outdir);
progress('Running cfn-lint over the templates...');
const checks: CheckResult[] = [
  settingsCheck(config),
  cfnLintCheck(runCfnLint(app.templates, PROJECT_ROOT), app.templates.length),
];
progress('Checking the AWS account (when credentials are found)...');
const probe = awsAccountProbe();
try {
  checks.push(
    ...(await awsChecks(probe, {
      config,
      app,
      dataStack: stackNames(env).data,
      toolkitStackName: values['toolkit-stack-name'],
    })),
    await stackMovesCheck(probe, app),
  );
} catch (error) {
  checks.push({
    title: 'AWS account',
    status: 'failed',
    details: [
      `AWS answered with an error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    ],
  });
}

const MARK = { ok: 'ok  ', failed: 'FAIL', 'not run': 'skip' } as const;
console.log(`Preflight of ${env} (templates in ${path.relative(process.cwd(), outdir)}):`);
for (const check of checks) {
  console.log(`${MARK[check.status]} ${check.title}`);
  for (const detail of check.details) console.log(`       ${detail}`);
}
const result = verdict(env, checks);
console.log(result.line);
process.exit(result.exitCode);
