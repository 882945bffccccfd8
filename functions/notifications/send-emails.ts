import { declareEnv, url } from '../core/config.ts';
import { logger } from '../core/logger.ts';
import { streamHandler } from '../core/stream.ts';
import { contentOf, type Outgoing, outgoingOf, readerOf } from './compose.ts';
import { sendEmail } from './mailer.ts';
import { claimSend, markSent, releaseClaim } from './sent-markers-store.ts';
import { renderEmail } from './templates.ts';
import { unsubscribeToken } from './unsubscribe-tokens.ts';

declareEnv('UNSUBSCRIBE_URL', url);

/**
 * Sends one email at most once: skipped when non-essential and the reader turned such mail off;
 * otherwise claimed by its event's marker, rendered in the reader's language, sent, marked.
 * Non-essential mail carries RFC 8058 one-click unsubscribe headers. What it did, for the log.
 */
export async function deliver(outgoing: Outgoing): Promise<'sent' | 'duplicate' | 'opted-out'> {
  const reader = await readerOf(outgoing.userId);
  if (!outgoing.essential && !reader.marketingEmails) return 'opted-out';
  if (!(await claimSend(outgoing.eventKey))) return 'duplicate';
  try {
    const unsubscribeUrl = outgoing.essential
      ? undefined
      : `${process.env.UNSUBSCRIBE_URL}?token=${await unsubscribeToken(outgoing.userId)}`;
    const email = renderEmail({
      ...contentOf(outgoing, reader.language),
      ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
    });
    const headers: Record<string, string> = unsubscribeUrl
      ? { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
      : {};
    await markSent(outgoing.eventKey, await sendEmail(outgoing.to, email, headers));
    return 'sent';
  } catch (error) {
    await releaseClaim(outgoing.eventKey);
    throw error;
  }
}

/**
 * DynamoDB Streams consumer of the notifications domain: the account emails (outbox items the
 * accounts domain writes with each code) and the order emails (placed, paid, shipped,
 * delivered, cancelled, refunded). No request waits on email; a redelivered record sends
 * nothing twice. Logs name the kind and the event, never the address or the code.
 */
export const handler = streamHandler(async function sendEmails(change) {
  const outgoing = await outgoingOf(change);
  if (!outgoing) return;
  const outcome = await deliver(outgoing);
  logger.info('email', { kind: outgoing.kind, event: outgoing.eventKey, outcome });
});
