// `npm run audit:prod`: `npm audit --omit=dev` must find nothing high or critical (run in CI).
// An audit endpoint that cannot be reached fails too (exit 2), saying so: a skipped audit must
// not look like a clean one. AUDIT_UNREACHABLE=warn downgrades only that case to a warning.
import { spawnSync } from 'node:child_process';
import { auditVerdict } from '../lib/audit/verdict.ts';
import { readCommandLine } from '../lib/cli/command-line.ts';

readCommandLine({
  command: 'npm run audit:prod',
  summary: '`npm audit --omit=dev` must find nothing high or critical in the production dependencies.',
  options: {},
  sections: [
    {
      title: 'Environment',
      rows: [
        [
          'AUDIT_UNREACHABLE=warn',
          'an audit endpoint that cannot be reached warns instead of failing (exit 2)',
        ],
      ],
    },
  ],
});

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 120_000 });
const verdict = auditVerdict(run.stdout ?? '');
switch (verdict.kind) {
  case 'clean':
    console.log(`npm audit --omit=dev: no high or critical advisories (${JSON.stringify(verdict.counts)}).`);
    break;
  case 'findings':
    console.error(`npm audit --omit=dev: high or critical advisories in ${verdict.packages.join(', ')}.`);
    console.error(`Counts: ${JSON.stringify(verdict.counts)}. Details: npm audit --omit=dev`);
    break;
  case 'unreachable':
    console.error(
      `npm audit --omit=dev DID NOT RUN: the registry's audit endpoint could not be reached (${verdict.reason}).`,
    );
    if (process.env.AUDIT_UNREACHABLE === 'warn') {
      console.error('AUDIT_UNREACHABLE=warn: continuing WITHOUT a dependency audit.');
      process.exit(0);
    }
    break;
}
process.exit(verdict.exitCode);
