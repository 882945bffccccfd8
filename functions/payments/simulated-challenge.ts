import * as z from 'zod/mini';
import { escapeHtml, htmlPage } from '../core/html.ts';
import type { HttpResponse } from '../core/http.ts';
import { logger } from '../core/logger.ts';
import { simulatedChallengeOutcome } from './simulated.ts';
import { deliverSimulatedEvents } from './simulated-delivery.ts';
import { answerSimulatedChallenge, type StoredChallenge } from './simulated-outbox-store.ts';

/*
 * The simulated provider's 3-D Secure challenge page (local and dev only: its routes are
 * deployed only where the provider is `simulated`). It stands for the card issuer's page that
 * Stripe's `next_action.redirect_to_url.url` opens: GET shows it, a POST passes the challenge,
 * a POST with `?fail=1` fails it. Either way the provider's event goes out through its outbox.
 */

/** A payment's `providerPaymentId`: the simulated provider's are `pi_sim_` and 24 hex digits. */
export const challengePath = z.strictObject({
  providerPaymentId: z.string().check(z.regex(/^pi_sim_[0-9a-f]{24}$/, 'Must be a simulated payment id.')),
});

/** `?fail=1` fails the challenge (the customer cancels, or gets the code wrong). */
export const challengeQuery = z.strictObject({
  fail: z.optional(z.literal('1')),
});

function money(amount: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat('en', { style: 'currency', currency });
    return format.format(amount / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
  } catch {
    return `${amount} ${currency} (minor units)`;
  }
}

/** The page a customer authenticates on: what is being paid, and the two answers. */
export function challengePage(challenge: StoredChallenge): HttpResponse {
  const what = `${escapeHtml(money(challenge.amount, challenge.currency))} for order <code>${escapeHtml(challenge.orderId)}</code>`;
  if (challenge.status !== 'awaiting') {
    return htmlPage(
      200,
      '3-D Secure (simulated)',
      `    <h1>3-D Secure (simulated)</h1>
    <p>Payment of ${what}: this challenge was already answered (<b>${challenge.status}</b>).</p>
    <p><a href="${escapeHtml(challenge.returnUrl)}">Back to the shop</a></p>`,
    );
  }
  // Relative actions: the form posts back to this very page, whatever host serves it.
  return htmlPage(
    200,
    '3-D Secure (simulated)',
    `    <h1>3-D Secure (simulated)</h1>
    <p>Confirm the payment of ${what}.</p>
    <p>This page stands for your bank’s challenge; no real card is involved.</p>
    <form method="post" action="challenge"><button type="submit">Complete authentication</button></form>
    <form method="post" action="challenge?fail=1"><button type="submit">Fail authentication</button></form>`,
  );
}

/**
 * Answers a challenge (once: the same answer again is harmless, the other one a 409) and
 * delivers its event at once, as the provider would; a delivery that fails stays in the outbox
 * for the complete-simulated-payments schedule. Returns the page the customer sees next.
 */
export async function answerChallenge(paymentId: string, passed: boolean): Promise<HttpResponse> {
  const { challenge, outbox } = await answerSimulatedChallenge(paymentId, passed, (held) =>
    simulatedChallengeOutcome(held, passed),
  );
  const delivery = await deliverSimulatedEvents(outbox ? [outbox] : []);
  if (delivery.failed > 0) logger.warn('simulated challenge event left in the outbox', { paymentId });
  return htmlPage(
    200,
    '3-D Secure (simulated)',
    `    <h1>Authentication ${passed ? 'completed' : 'failed'}</h1>
    <p>The shop hears about it from the payment provider.</p>
    <p><a href="${escapeHtml(challenge.returnUrl)}">Back to the shop</a></p>`,
  );
}
