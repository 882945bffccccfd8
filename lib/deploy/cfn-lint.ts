import { spawnSync } from 'node:child_process';

/** One finding of cfn-lint (`--format json`). */
export interface CfnLintMatch {
  readonly Filename: string;
  readonly Level: 'Error' | 'Warning' | 'Informational' | string;
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location?: { readonly Path?: readonly (string | number)[] };
}

export type CfnLintResult =
  | { readonly ran: false; readonly reason: string }
  | {
      readonly ran: true;
      readonly version: string;
      readonly errors: readonly CfnLintMatch[];
      readonly warnings: readonly CfnLintMatch[];
    };

/** How an operator gets cfn-lint when it is missing. */
export const CFN_LINT_INSTALL =
  'pipx install cfn-lint (or pip install cfn-lint; https://github.com/aws-cloudformation/cfn-lint)';

/**
 * Runs AWS's template linter over `templates` from `cwd` (where `.cfnlintrc.yaml` says which
 * rules are ignored and why). Not installed: `ran: false`, never a silent pass.
 */
export function runCfnLint(templates: readonly string[], cwd: string): CfnLintResult {
  const version = spawnSync('cfn-lint', ['--version'], { cwd, encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    return { ran: false, reason: `cfn-lint is not installed or does not run: ${CFN_LINT_INSTALL}` };
  }
  const run = spawnSync('cfn-lint', ['--format', 'json', ...templates], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  let matches: CfnLintMatch[];
  try {
    matches = JSON.parse(run.stdout || '[]') as CfnLintMatch[];
  } catch {
    return {
      ran: false,
      reason: `cfn-lint answered no JSON (exit ${run.status}): ${run.stderr.trim().slice(0, 500)}`,
    };
  }
  return {
    ran: true,
    version: version.stdout.trim(),
    errors: matches.filter((m) => m.Level === 'Error'),
    warnings: matches.filter((m) => m.Level === 'Warning'),
  };
}

/** One line per finding: `E3001 shop-prod-api.template.json Resources/Fn: message`. */
export function describeMatch(match: CfnLintMatch): string {
  const file = match.Filename.split('/').pop();
  return `${match.Rule.Id} ${file} ${(match.Location?.Path ?? []).join('/')}: ${match.Message}`;
}
