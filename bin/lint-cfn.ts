// `npm run lint:cfn`: AWS's template linter, cfn-lint, over every environment's synthesized
// templates (each environment synthesized once, offline). Exit 1 on any error, 2 when cfn-lint
// is missing: CI runs it and must fail then, never skip (.cfnlintrc.yaml: what is ignored, why).
import path from 'node:path';
import { readCommandLine } from '../lib/cli/command-line.ts';

const { values } = readCommandLine({
  command: 'npm run lint:cfn',
  summary:
    'Synthesizes each environment once (offline) and runs cfn-lint over all their templates: exit 1 on any ' +
    'error, 2 when cfn-lint is not installed.',
  options: {
    env: {
      type: 'string',
      multiple: true,
      placeholder: '<name>',
      choices: ['local', 'dev', 'staging', 'prod'],
      describe: 'only these environments (default: every one)',
    },
  },
  notes: ['Needs cfn-lint on the PATH: pipx install cfn-lint (or pip install cfn-lint).'],
});

// Loaded after the command line is known to be fine: --help and a typo answer at once.
const { ENVIRONMENT_NAMES } = await import('../lib/config/environments.ts');
const { PROJECT_ROOT } = await import('../lib/constructs/endpoint-function.ts');
const { describeMatch, runCfnLint } = await import('../lib/deploy/cfn-lint.ts');
const { readSynthesizedApp } = await import('../lib/deploy/preflight.ts');
const { synthesize } = await import('../lib/synth.ts');

const progress = (text: string) => process.stderr.write(`• ${text}\n`);
const environments = values.env.length ? values.env : ENVIRONMENT_NAMES;
const templates: string[] = [];
for (const env of environments) {
  const started = Date.now();
  const outdir = path.join(PROJECT_ROOT, '.local', 'cfn-lint', env);
  const { synthesized } = synthesize(env, outdir, { reuse: true });
  progress(
    `${env}: ${synthesized ? `synthesized in ${((Date.now() - started) / 1000).toFixed(0)} s` : 'unchanged, reused'}`,
  );
  templates.push(...readSynthesizedApp(outdir).templates);
}
progress(`cfn-lint over ${templates.length} templates...`);
const result = runCfnLint(
  templates.map((file) => path.relative(PROJECT_ROOT, file)),
  PROJECT_ROOT,
);
if (!result.ran) {
  console.error(result.reason);
  process.exit(2);
}
for (const match of [...result.errors, ...result.warnings]) console.log(describeMatch(match));
console.log(
  `${result.version}: ${templates.length} templates of ${environments.join(', ')}: ` +
    `${result.errors.length} errors, ${result.warnings.length} warnings (ignored rules: .cfnlintrc.yaml).`,
);
process.exit(result.errors.length ? 1 : 0);
