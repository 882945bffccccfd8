import { randomUUID } from 'node:crypto';
import { signStripePayload, stripeEventBody } from '../../functions/payments/webhook.ts';
import { type AcceptedMessage, PASSWORD, type PlacedOrder, type User } from './model.ts';
import { pickOne, pickWeighted } from './random.ts';
import { completeReset, type PasswordResets, takeRecoveryUser } from './resets.ts';
import type { Api } from './setup.ts';
import type { Recorder } from './stats.ts';

/** What the virtual users do, with how often (weights). */
export const ACTION_WEIGHTS = {
  browse: 40,
  order: 14,
  pay: 12,
  cancel: 3,
  message: 20,
  login: 4,
  register: 2,
  resetPassword: 2,
  myOrders: 5,
} as const;
export type Action = keyof typeof ACTION_WEIGHTS;
/** The main flow every user walks once first, so that even a short or slow run covers each kind. */
export const FIRST_ACTIONS: readonly Action[] = ['browse', 'order', 'pay', 'message'];

/** Messages a sender sends per clock minute at most: the API allows 30 (429 beyond). */
const MESSAGES_PER_MINUTE = 25;

/** What the actions share: the choices' source, the recorder, the target, and what the load saw. */
export interface ActionContext {
  readonly random: () => number;
  readonly load: Recorder;
  readonly api: Api;
  readonly webhookSecret: string;
  readonly productIds: readonly string[];
  /** Messages answered 201, orders answered 201, products seen with a negative stock. */
  readonly accepted: AcceptedMessage[];
  readonly placed: PlacedOrder[];
  readonly negativeStockSeen: string[];
  /** The recovery pool, when the target has a mailbox. */
  readonly resets?: PasswordResets;
}

async function browse(ctx: ActionContext, user: User): Promise<void> {
  const { random, load, api, productIds } = ctx;
  const what = pickWeighted(random, { list: 3, get: 4, related: 2, popular: 1 });
  if (what === 'list') {
    const category = random() < 0.5 ? `&category=${pickOne(random, ['home', 'books', 'electronics'])}` : '';
    await load.send('browse:list', api(`/products?limit=20${category}`), {});
  } else if (what === 'get') {
    const res = await load.send('browse:get', api(`/products/${pickOne(random, productIds)}`), {});
    if (typeof res.body.stock === 'number' && res.body.stock < 0)
      ctx.negativeStockSeen.push(String(res.body.id));
  } else if (what === 'related') {
    await load.send('browse:related', api(`/products/${pickOne(random, productIds)}/related?limit=5`), {});
  } else {
    await load.send('browse:popular', api('/products/popular?window=7d&limit=10'), { token: user.token });
  }
}

async function order(ctx: ActionContext, user: User): Promise<void> {
  const { random } = ctx;
  const count = random() < 0.7 ? 1 : 2;
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(pickOne(random, ctx.productIds));
  const lines = [...chosen].map((productId) => ({ productId, quantity: 1 + Math.floor(random() * 3) }));
  const res = await ctx.load.send('order', ctx.api('/orders'), {
    method: 'POST',
    token: user.token,
    body: { items: lines },
    headers: { 'idempotency-key': `load-${randomUUID()}` },
  });
  if (res.status !== 201) return;
  const placed: PlacedOrder = {
    id: String(res.body.id),
    lines,
    total: Number(res.body.total),
    currency: String(res.body.currency),
  };
  ctx.placed.push(placed);
  user.payable.push(placed);
}

async function pay(ctx: ActionContext, user: User): Promise<void> {
  const placed = user.payable.shift();
  if (!placed) return browse(ctx, user);
  const method = pickWeighted(ctx.random, {
    pm_card_visa: 5,
    pm_card_pending: 4,
    pm_card_chargeDeclined: 1,
  });
  const res = await ctx.load.send('pay', ctx.api(`/orders/${placed.id}/payments`), {
    method: 'POST',
    token: user.token,
    body: { paymentMethod: method },
    headers: { 'idempotency-key': `load-pay-${randomUUID()}` },
  });
  const payment = res.body.payment as { providerPaymentId?: string; attempt?: number } | undefined;
  if (res.status === 402) user.payable.push(placed);
  if (res.status !== 200 || !payment?.providerPaymentId) return;
  user.cancellable.push(placed);
  // What Stripe sends next: the intent succeeded (settles a pending one; a redelivery for a
  // paid one, which must change nothing).
  const body = stripeEventBody({
    id: `evt_load_${randomUUID().replaceAll('-', '')}`,
    type: 'payment_intent.succeeded',
    orderId: placed.id,
    ...(payment.attempt !== undefined ? { attempt: payment.attempt } : {}),
    providerPaymentId: payment.providerPaymentId,
    amount: placed.total,
    currency: placed.currency,
  });
  await ctx.load.send('webhook', ctx.api('/webhooks/payments'), {
    method: 'POST',
    rawBody: body,
    headers: {
      'content-type': 'application/json',
      'stripe-signature': signStripePayload(body, ctx.webhookSecret),
    },
  });
}

async function cancel(ctx: ActionContext, user: User): Promise<void> {
  const pool = ctx.random() < 0.5 ? user.payable : user.cancellable;
  const placed = pool.shift();
  if (!placed) return browse(ctx, user);
  await ctx.load.send('cancel', ctx.api(`/orders/${placed.id}/cancel`), {
    method: 'POST',
    token: user.token,
  });
}

async function message(ctx: ActionContext, user: User): Promise<void> {
  const minute = Math.floor(Date.now() / 60_000);
  if (user.sentInMinute.minute !== minute) user.sentInMinute = { minute, count: 0 };
  if (user.sentInMinute.count >= MESSAGES_PER_MINUTE) return browse(ctx, user);
  user.sentInMinute.count++;
  const conversation = pickOne(ctx.random, user.conversations);
  const res = await ctx.load.send('message', ctx.api(`/conversations/${conversation.id}/messages`), {
    method: 'POST',
    token: user.token,
    body: { body: `load message ${ctx.accepted.length}`, clientMessageId: `load-${randomUUID()}` },
  });
  if (res.status !== 201) return;
  ctx.accepted.push({
    id: String(res.body.id),
    conversationId: conversation.id,
    recipientId: conversation.otherId,
  });
}

async function login(ctx: ActionContext, user: User): Promise<void> {
  const res = await ctx.load.send('login', ctx.api('/auth/login'), {
    method: 'POST',
    body: { email: user.email, password: PASSWORD },
  });
  if (res.status === 200) user.token = String(res.body.accessToken);
}

async function register(ctx: ActionContext): Promise<void> {
  await ctx.load.send('register', ctx.api('/auth/register'), {
    method: 'POST',
    body: { email: `load-new-${randomUUID()}@load.local`, password: PASSWORD, displayName: 'Load newcomer' },
  });
}

async function resetPassword(ctx: ActionContext, user: User): Promise<void> {
  const recovery = ctx.resets && takeRecoveryUser(ctx.resets);
  if (ctx.resets && recovery) return completeReset(ctx.load, ctx.api, ctx.resets, recovery);
  // No mailbox, or every recovery user busy or out of codes: the virtual user asks for a code
  // for itself (202, or 429 past the address's 5 an hour) and tries a wrong one (422). It never
  // confirms the right one: that would close its sockets, which the delivery invariant watches.
  await ctx.load.send('reset:request', ctx.api('/auth/password-reset'), {
    method: 'POST',
    body: { email: user.email },
  });
  await ctx.load.send('reset:wrongCode', ctx.api('/auth/password-reset/confirm'), {
    method: 'POST',
    body: { email: user.email, code: '000000', newPassword: PASSWORD },
  });
}

async function myOrders(ctx: ActionContext, user: User): Promise<void> {
  await ctx.load.send('myOrders', ctx.api('/orders?limit=10'), { token: user.token });
}

const ACTIONS: Record<Action, (ctx: ActionContext, user: User) => Promise<void>> = {
  browse,
  order,
  pay,
  cancel,
  message,
  login,
  register,
  resetPassword,
  myOrders,
};

/** One action of one virtual user. */
export const act = (ctx: ActionContext, user: User, action: Action): Promise<void> =>
  ACTIONS[action](ctx, user);
