import { NotFound } from '../core/domain-errors.ts';
import { http } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { challengePage, challengePath } from './simulated-challenge.ts';
import { simulatedChallenge } from './simulated-outbox-store.ts';

/** GET /simulated-payments/{providerPaymentId}/challenge: the simulated provider's 3-D Secure page (local, dev). */
export const handler = http(async function getSimulatedChallenge(event) {
  const { providerPaymentId } = parseInput(challengePath, event.pathParameters ?? {}, 'path');
  const challenge = await simulatedChallenge(providerPaymentId);
  if (!challenge) throw new NotFound(`No simulated 3-D Secure challenge for payment ${providerPaymentId}.`);
  return challengePage(challenge);
});
