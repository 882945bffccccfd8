import { orderPath, orderSchema, paymentBody } from '../../../functions/orders/model.ts';
import { stripeEventSchema, stripeSignatureHeaders } from '../../../functions/payments/webhook.ts';
import type { RouteDefinition } from '../routes.ts';
import { idempotentHeaders, webhookReceiptSchema } from '../schemas.ts';
import { invalid, noOrder, unauthorized } from './responses.ts';

/** Paying an order and the payment provider’s webhook. Part of THE route table (lib/api/routes.ts). */
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
      200: { description: 'The order with the payment’s state.', schema: orderSchema },
      400: invalid,
      401: unauthorized,
      404: noOrder,
      409: {
        description: 'The order is not awaiting payment, or a payment is under way.',
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
];
