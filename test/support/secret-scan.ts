import { GOOD_PASSWORD } from './accounts-api.ts';
import { FAKE_STRIPE_KEY } from './fake-stripe.ts';

/** A secret found in a log line. */
export interface SecretFinding {
  readonly kind: string;
  /** The line, with the secret cut short so the report itself does not spread it. */
  readonly line: string;
}

/** Shapes of secrets no log line may hold, whoever the secret belongs to. */
const PATTERNS: readonly { readonly kind: string; readonly pattern: RegExp }[] = [
  // A compact JWS or unsecured JWT: base64url JSON header and payload (`eyJ` is `{"`).
  { kind: 'JWT', pattern: /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/ },
  // Our refresh tokens: `<user id>.<family id>.<32 random bytes, base64url>` (functions/accounts/sessions-store.ts).
  {
    kind: 'refresh token',
    pattern: /\b[0-9A-Za-z]{20,}\.[0-9A-Za-z]{20,}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/,
  },
  // An Authorization header's value (credentials of any scheme), as a header or as JSON.
  { kind: 'authorization header', pattern: /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/i },
  { kind: 'authorization header', pattern: /"authorization"\s*:\s*"[^"]{8,}"/i },
  // Stripe secret and restricted keys, and webhook signing secrets.
  { kind: 'Stripe secret', pattern: /\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9]{4,}/ },
  { kind: 'Stripe webhook secret', pattern: /\bwhsec_[A-Za-z0-9+/=]{8,}/ },
  // A full email address (issue 24: logs name a user by id, never by address).
  { kind: 'email address', pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/ },
  // A one-click unsubscribe token: `<user id>.<expiry>.<16-byte MAC>` (functions/notifications).
  { kind: 'unsubscribe token', pattern: /\b[0-9A-Z]{26}\.\d{9,11}\.[A-Za-z0-9_-]{22}(?![A-Za-z0-9_-])/ },
];

/**
 * Literal secrets to look for besides the shapes: the password the test factories sign up
 * with, the seeded admin's default, the fake Stripe key. A function, not a constant: the
 * factories import the test backend, which imports this module.
 */
const knownSecrets = (): string[] => [GOOD_PASSWORD, 'local-admin-password', FAKE_STRIPE_KEY];

const redact = (line: string, secret: string): string =>
  line.replace(secret, `${secret.slice(0, 6)}…[${secret.length} chars]`).slice(0, 400);

/**
 * The secrets in log lines: JWT-shaped strings, refresh tokens, Authorization header values,
 * Stripe secrets, and any of `known` (plus the factories' passwords) verbatim.
 */
export function findSecrets(lines: readonly string[], known: readonly string[] = []): SecretFinding[] {
  const literals = [...knownSecrets(), ...known].filter((secret) => secret.length >= 6);
  const findings: SecretFinding[] = [];
  for (const line of lines) {
    for (const { kind, pattern } of PATTERNS) {
      const match = pattern.exec(line);
      if (match) findings.push({ kind, line: redact(line, match[0]) });
    }
    for (const secret of literals) {
      if (line.includes(secret)) findings.push({ kind: 'known secret', line: redact(line, secret) });
    }
  }
  return findings;
}

/** Throws, naming every finding, when any log line holds a secret. */
export function assertNoSecrets(
  source: string,
  lines: readonly string[],
  known: readonly string[] = [],
): void {
  const findings = findSecrets(lines, known);
  if (findings.length === 0) return;
  const shown = findings.slice(0, 20).map((f) => `  ${f.kind}: ${f.line}`);
  throw new Error(
    `${findings.length} log line(s) of ${source} hold a secret:\n${shown.join('\n')}${
      findings.length > shown.length ? `\n  … and ${findings.length - shown.length} more` : ''
    }`,
  );
}
