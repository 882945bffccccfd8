/** Severities `npm audit` reports, mildest first. */
const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;
type Severity = (typeof SEVERITIES)[number];

/** What the dependency audit concluded, and the exit code CI gives it. */
export type AuditVerdict =
  | { readonly kind: 'clean'; readonly exitCode: 0; readonly counts: Readonly<Record<Severity, number>> }
  | {
      readonly kind: 'findings';
      readonly exitCode: 1;
      readonly counts: Readonly<Record<Severity, number>>;
      /** `name (severity)` of every package at or above the threshold. */
      readonly packages: readonly string[];
    }
  | { readonly kind: 'unreachable'; readonly exitCode: 2; readonly reason: string };

/**
 * Reads `npm audit --json` output: `clean` when nothing is high or critical, `findings` when
 * something is, and `unreachable` when npm could not get an answer from the registry's audit
 * endpoint (it reports an `error` object, or prints no report at all). Unreachable is never
 * clean: an audit that did not run must not pass silently.
 */
export function auditVerdict(output: string, threshold: Severity = 'high'): AuditVerdict {
  let report: {
    error?: unknown;
    message?: string;
    statusCode?: number;
    metadata?: { vulnerabilities?: Partial<Record<Severity, number>> };
    vulnerabilities?: Record<string, { severity?: Severity }>;
  };
  try {
    report = JSON.parse(output) as typeof report;
  } catch {
    return {
      kind: 'unreachable',
      exitCode: 2,
      reason: `npm audit printed no JSON report: ${output.slice(0, 200)}`,
    };
  }
  const counted = report.metadata?.vulnerabilities;
  if (report.error !== undefined || !counted) {
    const reason = report.message ?? (report.statusCode ? `HTTP ${report.statusCode}` : 'no audit report');
    return { kind: 'unreachable', exitCode: 2, reason };
  }
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, counted[s] ?? 0])) as Record<Severity, number>;
  const serious = SEVERITIES.slice(SEVERITIES.indexOf(threshold));
  const packages = Object.entries(report.vulnerabilities ?? {})
    .filter(([, v]) => v.severity !== undefined && serious.includes(v.severity))
    .map(([name, v]) => `${name} (${v.severity})`);
  if (serious.some((s) => counts[s] > 0) || packages.length > 0) {
    return { kind: 'findings', exitCode: 1, counts, packages };
  }
  return { kind: 'clean', exitCode: 0, counts };
}
