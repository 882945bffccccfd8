import { orderPath, orderSchema, paymentBody } from '../../../functions/orders/model.ts';
import { challengePath, challengeQuery } from '../../../functions/payments/simulated-challenge.ts';
import { stripeEventSchema, stripeSignatureHeaders } from '../../../functions/payments/webhook.ts';
import type { RouteDefinition } from '../routes.ts';
import { idempotentHeaders, webhookReceiptSchema } from '../schemas.ts';
import { invalid, noOrder, unauthorized } from './responses.ts';

/** Where the simulated provider serves its 3-D Secure challenge pages (`SIMULATED_CHALLENGE_URL`). */
export const SIMULATED_CHALLENGE_PATH = '/simulated-payments';
const challengePage = `${SIMULATED_CHALLENGE_PATH}/{providerPaymentId}/challenge`;
const noChallenge = { description: 'The simulated provider holds no challenge for this payment.' };

/**
 * Paying an order, the payment provider’s webhook, and the simulated provider’s 3-D Secure page.
 * Part of THE route table (lib/api/routes.ts).
 */
export const PAYMENTS_ROUTES: readonly RouteDefinition[] = [
  {
    method: 'POST',
    path: '/orders/{orderId}/payments',
    id: 'PaymentsCreatePayment',
    entry: 'functions/payments/create-payment.ts',
    summary: 'Pay an order (requires Idempotency-Key); one charge per order',
    tag: 'payments',
    stack: 'orders',
    auth: 'user',
    table: 'readwrite',
    secrets: ['paymentWebhook', 'stripeApiKey'],
    request: { path: orderPath, headers: idempotentHeaders, body: paymentBody },
    responses: {
      200: {
        description:
          'The order with the payment’s state. `payment.status` `requires_action`: the customer must authenticate (3-D Secure) at `payment.nextAction.redirectToUrl.url` (or with `payment.clientSecret` in Stripe.js or a mobile SDK); the order is paid when the provider reports success.',
        schema: orderSchema,
      },
      400: invalid,
      401: unauthorized,
      404: noOrder,
      409: {
        description:
          'The order is not awaiting payment, or a payment is under way (or awaiting authentication).',
        problems: ['conflict', 'concurrent-update'],
      },
      422: { description: 'A reused key with another body.', problems: ['idempotency-key-reused'] },
      502: {
        description: 'The payment provider failed; `detail` says whether to retry with the same key.',
        problems: ['payment-provider-error'],
      },
    },
  },
  {
    method: 'POST',
    path: '/webhooks/payments',
    id: 'PaymentsReceiveWebhook',
    entry: 'functions/payments/receive-webhook.ts',
    summary: 'Payment provider events (Stripe-Signature verified)',
    tag: 'payments',
    stack: 'orders',
    auth: 'public',
    table: 'readwrite',
    secrets: ['paymentWebhook', 'stripeApiKey'],
    request: { headers: stripeSignatureHeaders, body: stripeEventSchema, rawBody: true },
    responses: {
      200: { description: 'Processed (or ignored, or a duplicate).', schema: webhookReceiptSchema },
      400: { description: 'Bad signature, or not an event.', problems: ['bad-request', 'validation-error'] },
    },
  },
  {
    method: 'GET',
    path: challengePage,
    id: 'PaymentsGetSimulatedChallenge',
    entry: 'functions/payments/get-simulated-challenge.ts',
    summary: 'The simulated provider’s 3-D Secure challenge page (a payment’s `nextAction` URL)',
    tag: 'payments',
    stack: 'orders',
    auth: 'public',
    table: 'read',
    paymentProvider: 'simulated',
    request: { path: challengePath },
    responses: {
      200: { description: 'The HTML page: what is paid, and the two answers.', contentTypes: ['text/html'] },
      400: invalid,
      404: noChallenge,
    },
  },
  {
    method: 'POST',
    path: challengePage,
    id: 'PaymentsAnswerSimulatedChallenge',
    entry: 'functions/payments/answer-simulated-challenge.ts',
    summary: 'Pass a simulated 3-D Secure challenge (or fail it: `?fail=1`); its event goes to the webhook',
    tag: 'payments',
    stack: 'orders',
    auth: 'public',
    table: 'readwrite',
    secrets: ['paymentWebhook'],
    paymentProvider: 'simulated',
    request: { path: challengePath, query: challengeQuery },
    responses: {
      200: {
        description: 'The HTML page that sends the customer back to the shop.',
        contentTypes: ['text/html'],
      },
      400: invalid,
      404: noChallenge,
      409: { description: 'The challenge was answered the other way already.', problems: ['conflict'] },
    },
  },
];
