import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EnvironmentConfig } from '../config/environments.ts';
import { OPERATOR_SETTINGS, placeholderSettings, settingsContextKey } from '../config/operator-settings.ts';
import { type CfnLintResult, describeMatch } from './cfn-lint.ts';

/** What one check of `npm run deploy:check` found. */
export interface CheckResult {
  readonly title: string;
  /** `not run`: the check needs something absent here (AWS credentials, a deployed stack); not a failure. */
  readonly status: 'ok' | 'failed' | 'not run';
  readonly details: readonly string[];
}

/**
 * The AWS calls of the preflight, behind an interface: the real one uses the SDK's standard
 * credential chain (lib/deploy/aws-account.ts); tests hand in a fake, since no AWS account
 * exists where they run.
 */
export interface AwsAccountProbe {
  /** The region and credentials the standard chain finds, or why there are none. */
  whereami(): Promise<
    { readonly found: true; readonly region: string } | { readonly found: false; readonly reason: string }
  >;
  /** The CDK bootstrap stack's version and account, undefined when the stack does not exist. */
  bootstrap(
    toolkitStackName: string,
  ): Promise<{ readonly version: number; readonly account?: string } | undefined>;
  /** A deployed stack's physical resource ids by logical id; undefined when it is not deployed. */
  stackResources(stackName: string): Promise<ReadonlyMap<string, string> | undefined>;
  /** A secret's current value; undefined when it has none. */
  secretValue(secretId: string): Promise<string | undefined>;
}

/** The synthesized app the checks read: its templates and what its stacks need of the bootstrap. */
export interface SynthesizedApp {
  readonly dir: string;
  /** The stacks' names, in the manifest's order. */
  readonly stackNames: readonly string[];
  readonly templates: readonly string[];
  /** The highest `requiresBootstrapStackVersion` of its stacks. */
  readonly requiredBootstrapVersion: number;
  readonly resourcesOf: (stackName: string) => Readonly<Record<string, { Type: string }>>;
}

/** Reads a cloud assembly's manifest and templates. */
export function readSynthesizedApp(dir: string): SynthesizedApp {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<
      string,
      { type: string; properties?: { templateFile?: string; requiresBootstrapStackVersion?: number } }
    >;
  };
  const stacks = Object.entries(manifest.artifacts ?? {}).filter(
    ([, artifact]) => artifact.type === 'aws:cloudformation:stack',
  );
  const templateOf = (name: string) =>
    path.join(
      dir,
      stacks.find(([id]) => id === name)?.[1].properties?.templateFile ?? `${name}.template.json`,
    );
  return {
    dir,
    stackNames: stacks.map(([name]) => name),
    templates: stacks.map(([name]) => templateOf(name)),
    requiredBootstrapVersion: Math.max(
      0,
      ...stacks.map(([, a]) => a.properties?.requiresBootstrapStackVersion ?? 0),
    ),
    resourcesOf: (stackName) =>
      (
        JSON.parse(readFileSync(templateOf(stackName), 'utf8')) as {
          Resources?: Record<string, { Type: string }>;
        }
      ).Resources ?? {},
  };
}

/** Settings still placeholders or missing: each with how to set it. */
export function settingsCheck(config: EnvironmentConfig): CheckResult {
  const findings = placeholderSettings(config);
  const key = settingsContextKey(config.name);
  return {
    title: `Operator settings of ${config.name} (-c <key>=<value>, or "${key}" in cdk.json)`,
    status: findings.length ? 'failed' : 'ok',
    details: findings.length
      ? findings.map(
          ({ setting, problem }) =>
            `${setting}: ${problem}; set -c ${setting}=... or "${key}": { "${setting}": ... } in cdk.json (${OPERATOR_SETTINGS[setting].describe})`,
        )
      : ['no placeholders left'],
  };
}

/** cfn-lint over every template: 0 errors to pass; missing cfn-lint fails too (it cannot vouch). */
export function cfnLintCheck(result: CfnLintResult, templates: number): CheckResult {
  const title = `cfn-lint over the ${templates} templates`;
  if (!result.ran) return { title, status: 'failed', details: [result.reason] };
  return {
    title: `${title} (${result.version}; .cfnlintrc.yaml says what it ignores and why)`,
    status: result.errors.length ? 'failed' : 'ok',
    details: [
      `${result.errors.length} errors, ${result.warnings.length} warnings`,
      ...[...result.errors, ...result.warnings].slice(0, 30).map(describeMatch),
    ],
  };
}

/** A secret the Stripe provider needs: what a real value looks like in an environment. */
interface ProviderSecret {
  readonly name: string;
  readonly logicalId: string;
  readonly expected: (env: string) => string;
  readonly accepts: (value: string, env: string) => boolean;
}

/** The secrets the provider needs, by the logical ids of the data stack's template. */
function providerSecrets(app: SynthesizedApp, dataStack: string): ProviderSecret[] {
  const ids = Object.entries(app.resourcesOf(dataStack))
    .filter(([, resource]) => resource.Type === 'AWS::SecretsManager::Secret')
    .map(([id]) => id);
  const found: ProviderSecret[] = [];
  const apiKey = ids.find((id) => id.startsWith('StripeApiKey'));
  if (apiKey) {
    // prod charges real cards: a test key there is as broken as none.
    found.push({
      name: 'Stripe API key',
      logicalId: apiKey,
      expected: (env) =>
        env === 'prod' ? 'a live Stripe key (sk_live_... or rk_live_...)' : 'a Stripe key (sk_... or rk_...)',
      accepts: (value, env) =>
        (env === 'prod' ? /^(sk|rk)_live_\w+$/ : /^(sk|rk)_(live|test)_\w+$/).test(value),
    });
  }
  const webhook = ids.find((id) => id.startsWith('PaymentWebhookSecret'));
  if (webhook) {
    found.push({
      name: 'Stripe webhook signing secret',
      logicalId: webhook,
      expected: () => "the webhook endpoint's signing secret from Stripe (whsec_...)",
      accepts: (value) => /^whsec_\w+$/.test(value),
    });
  }
  return found;
}

/** Whether the Stripe secrets hold real values (never printed): the provider's key and webhook secret. */
async function stripeSecretsCheck(
  probe: AwsAccountProbe,
  config: EnvironmentConfig,
  app: SynthesizedApp,
  dataStack: string,
): Promise<CheckResult> {
  const title = `Stripe secrets in Secrets Manager (${dataStack})`;
  const deployed = await probe.stackResources(dataStack);
  if (!deployed) {
    return {
      title,
      status: 'not run',
      details: [
        `${dataStack} is not deployed yet: after the first deploy, put the Stripe API key and the webhook signing secret (README, "Deploy") and run this again.`,
      ],
    };
  }
  const details: string[] = [];
  let failed = false;
  for (const secret of providerSecrets(app, dataStack)) {
    const arn = deployed.get(secret.logicalId);
    const value = arn ? await probe.secretValue(arn) : undefined;
    const set = value !== undefined && secret.accepts(value, config.name);
    failed ||= !set;
    details.push(
      set
        ? `${secret.name}: set`
        : `${secret.name}: not ${secret.expected(config.name)} yet; ` +
            `aws secretsmanager put-secret-value --secret-id ${arn ?? secret.logicalId} --secret-string '<value>'`,
    );
  }
  return { title, status: failed ? 'failed' : 'ok', details };
}

/** The checks that need AWS: the bootstrap, and (where Stripe charges) its secrets. Without credentials: not run. */
export async function awsChecks(
  probe: AwsAccountProbe,
  options: { config: EnvironmentConfig; app: SynthesizedApp; dataStack: string; toolkitStackName?: string },
): Promise<CheckResult[]> {
  const where = await probe.whereami();
  if (!where.found) {
    return [
      {
        title: 'AWS account (bootstrap, Stripe secrets)',
        status: 'not run',
        details: [
          `No AWS credentials or region (${where.reason}): these checks did not run. Set AWS_PROFILE (or the standard AWS_* variables) and AWS_REGION to run them.`,
        ],
      },
    ];
  }
  const toolkit = options.toolkitStackName ?? 'CDKToolkit';
  const bootstrap = await probe.bootstrap(toolkit);
  const required = options.app.requiredBootstrapVersion;
  const account = bootstrap?.account ?? '<account>';
  const bootstrapCommand = `npx cdk bootstrap aws://${account}/${where.region}`;
  const results: CheckResult[] = [
    {
      title: `CDK bootstrap of ${account} in ${where.region} (${toolkit})`,
      status: bootstrap && bootstrap.version >= required ? 'ok' : 'failed',
      details: [
        !bootstrap
          ? `not bootstrapped: run ${bootstrapCommand}`
          : bootstrap.version < required
            ? `bootstrap version ${bootstrap.version}, the stacks need ${required}: run ${bootstrapCommand} again`
            : `bootstrap version ${bootstrap.version} (the stacks need ${required} or later)`,
      ],
    },
  ];
  if (options.config.paymentProvider === 'stripe') {
    results.push(await stripeSecretsCheck(probe, options.config, options.app, options.dataStack));
  }
  return results;
}

/** The summary line and exit code: 1 when any check failed. */
export function verdict(env: string, checks: readonly CheckResult[]): { line: string; exitCode: 0 | 1 } {
  const failed = checks.filter((check) => check.status === 'failed').length;
  const notRun = checks.filter((check) => check.status === 'not run').length;
  const skipped = notRun ? ` (${notRun} check${notRun === 1 ? '' : 's'} did not run)` : '';
  return failed
    ? {
        line: `NOT READY: ${failed} check${failed === 1 ? '' : 's'} failed; fix ${failed === 1 ? 'it' : 'them'} before deploying ${env}${skipped}.`,
        exitCode: 1,
      }
    : { line: `Ready to deploy ${env}: npx cdk deploy -c env=${env} --all${skipped}.`, exitCode: 0 };
}

/**
 * Functions that the synthesized app puts in another stack than the deployed environment holds
 * them in (same logical id: construct ids are stable across stacks), by old and new stack. Such a
 * move cannot go through `cdk deploy --all` as is: the new stack's routes clash with the old
 * stack's route keys until the old stack has let them go (docs/operations.md, "Moving routes
 * between stacks").
 */
export async function stackMovesCheck(probe: AwsAccountProbe, app: SynthesizedApp): Promise<CheckResult> {
  const title = 'Functions that change stack on this deploy';
  const where = await probe.whereami();
  if (!where.found)
    return { title, status: 'not run', details: [`No AWS credentials or region (${where.reason}).`] };
  const deployedIn = new Map<string, string>();
  for (const name of app.stackNames) {
    for (const logicalId of (await probe.stackResources(name))?.keys() ?? []) deployedIn.set(logicalId, name);
  }
  const moves = new Map<string, string[]>();
  for (const name of app.stackNames) {
    for (const [logicalId, resource] of Object.entries(app.resourcesOf(name))) {
      const from = deployedIn.get(logicalId);
      if (resource.Type !== 'AWS::Lambda::Function' || !from || from === name) continue;
      const key = `${from} -> ${name}`;
      moves.set(key, [...(moves.get(key) ?? []), logicalId]);
    }
  }
  if (moves.size === 0)
    return { title, status: 'ok', details: ['none: every deployed function stays in its stack'] };
  return {
    title,
    status: 'failed',
    details: [
      ...[...moves].map(
        ([move, ids]) =>
          `${move}: ${ids.length} (${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', ...' : ''})`,
      ),
      'cdk deploy --all would fail on them: deploy in the order of docs/operations.md, "Moving routes between stacks" (their routes are down for minutes).',
    ],
  };
}
