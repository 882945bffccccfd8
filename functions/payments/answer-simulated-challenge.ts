import { declareEnv, secretArn, url } from '../core/config.ts';
import { http } from '../core/http.ts';
import { parseInput } from '../core/validation.ts';
import { answerChallenge, challengePath, challengeQuery } from './simulated-challenge.ts';

declareEnv('PAYMENT_WEBHOOK_URL', url);
declareEnv('PAYMENT_WEBHOOK_SECRET_ARN', secretArn);

/**
 * POST /simulated-payments/{providerPaymentId}/challenge[?fail=1]: passes (or fails) a simulated 3-D
 * Secure challenge, and the provider's event goes to our webhook (local, dev).
 */
export const handler = http(async function answerSimulatedChallenge(event) {
  const { providerPaymentId } = parseInput(challengePath, event.pathParameters ?? {}, 'path');
  const { fail } = parseInput(challengeQuery, event.queryStringParameters ?? {}, 'query');
  return answerChallenge(providerPaymentId, fail === undefined);
});
