import { describe, expect, it } from 'vitest';
import { auditVerdict } from '../../lib/audit/verdict.ts';

const report = (counts: Record<string, number>, vulnerabilities: Record<string, { severity: string }> = {}) =>
  JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities,
    metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...counts } },
  });

describe('the dependency audit verdict', () => {
  it('passes a report without high or critical advisories', () => {
    expect(auditVerdict(report({ moderate: 2 }, { x: { severity: 'moderate' } }))).toMatchObject({
      kind: 'clean',
      exitCode: 0,
    });
  });

  it('fails a report with a high or a critical advisory, naming the packages', () => {
    const verdict = auditVerdict(
      report(
        { high: 1, critical: 1 },
        { jose: { severity: 'critical' }, zod: { severity: 'high' }, ms: { severity: 'low' } },
      ),
    );
    expect(verdict).toMatchObject({
      kind: 'findings',
      exitCode: 1,
      packages: ['jose (critical)', 'zod (high)'],
    });
  });

  it('fails, as unreachable, when the audit endpoint answered with an error (as the registry proxy here does)', () => {
    const output = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      statusCode: 405,
      error: { summary: '', detail: '' },
    });
    expect(auditVerdict(output)).toEqual({
      kind: 'unreachable',
      exitCode: 2,
      reason: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    });
  });

  it('fails, as unreachable, when npm printed no JSON report at all', () => {
    expect(auditVerdict('')).toMatchObject({ kind: 'unreachable', exitCode: 2 });
  });
});
