import { expect } from 'vitest';
import { codeIn as codeOf } from '../../lib/load/mailbox.ts';
import type { CaughtEmail, LocalSes } from '../../lib/local/ses/index.ts';

/**
 * Waits until the local SES holds `count` messages to `to` whose subject matches, and returns
 * them: the real round trip (function -> SES v2 API -> inbox), read as a person would.
 */
export async function waitForEmails(
  ses: LocalSes,
  to: string,
  subject: RegExp,
  count = 1,
  timeoutMs = 30_000,
): Promise<CaughtEmail[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await ses.emails()).filter(
      (e) => e.destination.to.includes(to) && subject.test(e.subject),
    );
    if (found.length >= count || Date.now() > deadline) {
      expect(found.length, `emails to ${to} matching ${subject}`).toBeGreaterThanOrEqual(count);
      return found;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Every message to `to` so far. */
export async function emailsTo(ses: LocalSes, to: string): Promise<CaughtEmail[]> {
  return (await ses.emails()).filter((e) => e.destination.to.includes(to));
}

/** The 6-digit code in an email's text part (fails the test when there is none). */
export function codeIn(email: CaughtEmail): string {
  const code = codeOf(email);
  expect(code, `a code in "${email.subject}"`).toMatch(/^\d{6}$/);
  return String(code);
}

/** Waits for the latest code email to `to` and returns its code. */
export async function latestCode(ses: LocalSes, to: string, subject: RegExp, count = 1): Promise<string> {
  const emails = await waitForEmails(ses, to, subject, count);
  return codeIn(emails.at(-1) as CaughtEmail);
}
