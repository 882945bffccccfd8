import { type CaughtEmail, readCaughtEmails } from '../local/ses/index.ts';

/** The 6-digit code in an email's text part, if it has one. */
export const codeIn = (email: CaughtEmail): string | undefined =>
  /\b(\d{6})\b/.exec(email.body.text ?? '')?.[1];

/** Where the target's outgoing email can be read: a mail catcher's JSON store (local SES). */
export interface Mailbox {
  readonly storeUrl: string;
}

/** The ids of every message to `to` so far (to tell the next one apart). */
export async function messageIdsTo(mailbox: Mailbox, to: string): Promise<Set<string>> {
  const emails = await readCaughtEmails(mailbox.storeUrl);
  return new Set(emails.filter((e) => e.destination.to.includes(to)).map((e) => e.messageId));
}

/**
 * Waits for a message to `to` with `subject`, that is not one of `seen` and carries a
 * code, and returns the code of the latest such message; undefined when none came within
 * `timeoutMs`. The subject tells codes apart: an account's verification email, sent from a
 * stream consumer at registration, may still arrive after `seen` was taken.
 */
export async function waitForCode(
  mailbox: Mailbox,
  to: string,
  subject: string,
  seen: ReadonlySet<string>,
  timeoutMs: number,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const codes = (await readCaughtEmails(mailbox.storeUrl))
      .filter((e) => e.destination.to.includes(to) && e.subject === subject && !seen.has(e.messageId))
      .map(codeIn)
      .filter((code) => code !== undefined);
    if (codes.length > 0) return codes.at(-1);
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
