import * as z from 'zod/mini';
import { productId } from '../catalog/model.ts';
import { ULID_PATTERN } from '../core/ids.ts';
import { queryInteger } from '../core/validation.ts';

/** `entity` of an order item; stream consumers of order changes filter on it. */
export const ORDER_ENTITY = 'order';
/** `entity` of the item that links a customer to an order (erasure and export find orders by it). */
export const ORDER_LINK_ENTITY = 'order-link';

export const ORDER_STATUSES = [
  'pending_payment',
  'paid',
  'shipped',
  'delivered',
  'cancelled',
  'expired',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * THE order state machine: every transition, from which states it is legal, and where it
 * leads. Stores enforce it with conditional writes, so two racing transitions cannot both win.
 *
 *   pending_payment -> paid -> shipped -> delivered
 *   pending_payment -> cancelled | expired
 *   paid -> cancelled (refunded)
 */
export const TRANSITIONS = {
  pay: { from: ['pending_payment'], to: 'paid' },
  ship: { from: ['paid'], to: 'shipped' },
  deliver: { from: ['shipped'], to: 'delivered' },
  cancel: { from: ['pending_payment', 'paid'], to: 'cancelled' },
  expire: { from: ['pending_payment'], to: 'expired' },
} as const satisfies Record<string, { from: readonly OrderStatus[]; to: OrderStatus }>;
export type OrderAction = keyof typeof TRANSITIONS;

/** Statuses in which the order's stock is reserved in the catalog but not yet shipped. */
export const HOLDS_STOCK: readonly OrderStatus[] = ['pending_payment', 'paid'];
/** Statuses that give reserved stock back (shipping consumes it instead). */
export const RETURNS_STOCK: readonly OrderStatus[] = ['cancelled', 'expired'];

export const MAX_LINES = 50;
export const MAX_QUANTITY = 100;

const line = z.strictObject({
  productId,
  quantity: z.int().check(z.minimum(1), z.maximum(MAX_QUANTITY)),
});

export const createOrderBody = z.strictObject({
  items: z.array(line).check(
    z.minLength(1),
    z.maxLength(MAX_LINES),
    z.refine(
      (items) => new Set(items.map((item) => item.productId)).size === items.length,
      'Each product may appear once; add up the quantities instead.',
    ),
  ),
});
export type CreateOrderInput = z.infer<typeof createOrderBody>;

/** `Idempotency-Key`: any client-chosen string, e.g. a UUID. */
const idempotencyKey = z
  .string()
  .check(
    z.minLength(8, 'Must be 8 to 255 characters.'),
    z.maxLength(255, 'Must be 8 to 255 characters.'),
    z.regex(/^[\x21-\x7e]+$/, 'Must be printable ASCII without spaces.'),
  );
/** The headers of a request that must not run twice; other headers pass through. */
export const idempotentHeaders = z.object({ 'idempotency-key': idempotencyKey });

export const orderPath = z.strictObject({
  orderId: z.string().check(z.regex(ULID_PATTERN, 'Must be an order id (ULID).')),
});

export const listOrdersQuery = z.strictObject({
  limit: queryInteger(1, 100, 20),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
});
export type ListOrdersQuery = z.infer<typeof listOrdersQuery>;

/**
 * `GET /admin/orders`: orders in one `status`, or (`refund=failed`) the orders whose refund the
 * provider refused and that still owe money back. Exactly one of the two.
 */
export const adminListOrdersQuery = z
  .strictObject({
    status: z.optional(z.enum(ORDER_STATUSES)),
    refund: z.optional(z.literal('failed')),
    limit: queryInteger(1, 100, 20),
    cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  })
  .check(
    z.refine((query) => (query.status === undefined) !== (query.refund === undefined), {
      message: 'Give a status, or refund=failed (not both).',
      path: ['status'],
    }),
  );
export type AdminListOrdersQuery = z.infer<typeof adminListOrdersQuery>;

export const paymentBody = z.strictObject({
  paymentMethod: z
    .string()
    .check(z.minLength(1), z.maxLength(100), z.regex(/^[A-Za-z0-9_]+$/, 'Must be a payment method id.')),
});

const orderLine = z.object({
  productId: z.string(),
  name: z.string(),
  unitPrice: z.int(),
  quantity: z.int(),
  lineTotal: z.int(),
});
export type OrderLine = z.infer<typeof orderLine>;

const historyEntry = z.object({
  at: z.string(),
  type: z.string(),
  detail: z.optional(z.record(z.string(), z.unknown())),
});
export type HistoryEntry = z.infer<typeof historyEntry>;

/**
 * What the customer must do before a `requires_action` attempt can go on, shaped like Stripe's
 * `next_action` (camel-cased): open `url` (the card issuer's 3-D Secure challenge, or the
 * simulated provider's page); the provider sends the customer back to `returnUrl` afterwards.
 * With Stripe, the app may instead hand `clientSecret` to Stripe.js or a mobile SDK.
 */
export const nextActionSchema = z.object({
  type: z.literal('redirect_to_url'),
  redirectToUrl: z.object({ url: z.string(), returnUrl: z.string() }),
});
export type NextAction = z.infer<typeof nextActionSchema>;

/**
 * An attempt's statuses: `processing` (being sent), `requires_action` (the customer must
 * authenticate, 3-D Secure), `pending` (the provider settles it later), `succeeded`, `failed`,
 * `error` (the provider's answer was lost: re-sent under the same provider key).
 */
export const PAYMENT_STATUSES = [
  'processing',
  'requires_action',
  'succeeded',
  'failed',
  'pending',
  'error',
] as const;

const payment = z.object({
  attempt: z.int(),
  status: z.enum(PAYMENT_STATUSES),
  paymentMethod: z.string(),
  providerPaymentId: z.optional(z.string()),
  failureReason: z.optional(z.string()),
  /**
   * While `requires_action`: the provider's client secret of the payment (Stripe's
   * `client_secret`), for Stripe.js or a mobile SDK to complete authentication. Shown to the
   * order's owner only while the attempt awaits it, and dropped when the attempt settles.
   */
  clientSecret: z.optional(z.string()),
  /** While `requires_action`: where the customer authenticates. */
  nextAction: z.optional(nextActionSchema),
  /** When this attempt was (re)sent to the provider; a long-`processing` attempt may be re-sent. */
  startedAt: z.optional(z.string()),
  refund: z.optional(
    z.object({
      /** `succeeded`, `pending`, `failed`, or `partial` (the provider refunded less than the total). */
      status: z.string(),
      providerRefundId: z.optional(z.string()),
      /** Minor units refunded so far, when the provider said. */
      amount: z.optional(z.int()),
    }),
  ),
});
export type Payment = z.infer<typeof payment>;

/**
 * The attempt without what only an attempt awaiting authentication carries (the client secret
 * and the next action): every write of an attempt that moved on from `requires_action` goes
 * through it, so the secret does not outlive the challenge.
 */
export function withoutPendingAction(attempt: Payment): Payment {
  if (attempt.status === 'requires_action') return attempt;
  const { clientSecret: _secret, nextAction: _action, ...rest } = attempt;
  return rest;
}

export const orderSchema = z.object({
  id: z.string(),
  userId: z.nullable(z.string()),
  status: z.enum(ORDER_STATUSES),
  items: z.array(orderLine),
  total: z.int(),
  currency: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.string(),
  payment: z.optional(payment),
  history: z.array(historyEntry),
});
export type Order = z.infer<typeof orderSchema>;

export const orderPageSchema = z.object({ items: z.array(orderSchema), nextCursor: z.nullable(z.string()) });

/** When an order was paid (its `paid` history entry), or undefined if it never was. */
export function paidAt(order: Pick<Order, 'history'>): string | undefined {
  return order.history.findLast((entry) => entry.type === 'paid')?.at;
}
