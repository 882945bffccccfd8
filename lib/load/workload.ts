import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { signStripePayload, stripeEventBody } from '../../functions/payments/webhook.ts';
import { summarize } from '../bench/stats.ts';
import { pickOne, pickWeighted, seededRandom } from './random.ts';

/** A running backend to load: where it is, its seeded admin, the secret its webhook verifies. */
export interface LoadTarget {
  readonly url: string;
  readonly webSocketUrl: string;
  readonly admin: { readonly email: string; readonly password: string };
  readonly webhookSecret: string;
}

export interface LoadOptions {
  readonly durationSeconds: number;
  /** Seeds every choice the virtual users make (timing still varies run to run). */
  readonly seed: number;
  /** Virtual users: each a registered customer with a WebSocket open, acting in a loop. */
  readonly users: number;
  /** Products created for the run, and the stock each starts with (small: orders compete). */
  readonly products: number;
  readonly stockPerProduct: number;
  /** Called when the load starts (after setup), every `tickSeconds`, and when it ends (progress lines, memory samples). */
  readonly tickSeconds?: number;
  readonly onTick?: (progress: Progress) => void;
}

export interface Progress {
  readonly elapsedSeconds: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly serverErrors: number;
  readonly messagesAccepted: number;
  readonly ordersPlaced: number;
}

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
type Action = keyof typeof ACTION_WEIGHTS;
const FIRST_ACTIONS: readonly Action[] = ['browse', 'order', 'pay', 'message'];

/** Messages a sender sends per clock minute at most: the API allows 30 (429 beyond). */
const MESSAGES_PER_MINUTE = 25;
const PASSWORD = 'load-test-password-1';
const SETUP_CONCURRENCY = 2;
/** How long accepted messages may take to reach their recipient's socket after the load stops. */
const DELIVERY_GRACE_MS = 20_000;

interface Response {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Statuses and latencies of one kind of request. */
export interface KindStats {
  readonly statuses: Record<string, number>;
  readonly latenciesMs: number[];
}

interface User {
  readonly id: string;
  readonly email: string;
  token: string;
  readonly conversations: { id: string; otherId: string }[];
  readonly payable: PlacedOrder[];
  readonly cancellable: PlacedOrder[];
  sentInMinute: { minute: number; count: number };
}

interface PlacedOrder {
  readonly id: string;
  readonly lines: { productId: string; quantity: number }[];
  readonly total: number;
  readonly currency: string;
}

/** An order as GET /orders lists it (the fields the stock check reads). */
interface ListedOrder {
  readonly id: string;
  readonly status: string;
  readonly items: { productId: string; quantity: number }[];
}

interface AcceptedMessage {
  readonly id: string;
  readonly conversationId: string;
  readonly recipientId: string;
}

export interface InvariantResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface LoadResult {
  readonly durationSeconds: number;
  readonly seed: number;
  readonly kinds: Record<string, KindStats>;
  /** Requests of the final checks (not part of the load, but held to "no 5xx" too). */
  readonly checks: Record<string, KindStats>;
  readonly invariants: InvariantResult[];
  readonly totals: { requests: number; requestsPerSecond: number; serverErrors: number };
}

/** `run` over every item, at most `size` at a time; results in the items' order. */
async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map(run))));
  }
  return results;
}

/** Counts statuses and latencies per kind of request. */
class Recorder {
  readonly kinds: Record<string, KindStats> = {};
  requests = 0;
  serverErrors = 0;

  async send(
    kind: string,
    url: string,
    init: {
      method?: string;
      token?: string;
      body?: unknown;
      rawBody?: string;
      headers?: Record<string, string>;
    },
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    let body: string | undefined = init.rawBody;
    if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.body);
    }
    const started = performance.now();
    let status: number;
    let parsed: Record<string, unknown> = {};
    try {
      const res = await fetch(url, { method: init.method ?? 'GET', headers, body });
      const text = await res.text();
      status = res.status;
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = {};
      }
    } catch {
      // No answer at all (connection refused or reset) is our fault as much as a 5xx.
      status = 599;
    }
    this.kinds[kind] ??= { statuses: {}, latenciesMs: [] };
    const stats = this.kinds[kind];
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
    stats.latenciesMs.push(performance.now() - started);
    this.requests++;
    if (status >= 500) this.serverErrors++;
    return { status, body: parsed };
  }
}

/**
 * Runs the mixed workload against a backend and checks its invariants at the end: no 5xx,
 * no stock oversold (never below zero; final stock = initial - units in pending and paid orders),
 * no lost message (every 201 message is listed in its conversation and reached the recipient's
 * open socket). Memory is the caller's to sample (`onTick`): it knows the processes.
 */
export async function runLoad(target: LoadTarget, options: LoadOptions): Promise<LoadResult> {
  const random = seededRandom(options.seed);
  const load = new Recorder();
  const checks = new Recorder();
  const api = (path: string) => `${target.url}${path}`;
  const runId = randomUUID().slice(0, 8);

  // --- Setup: products with a small stock, customers, their conversations and sockets.
  const adminLogin = await checks.send('setup', api('/auth/login'), {
    method: 'POST',
    body: { email: target.admin.email, password: target.admin.password },
  });
  const adminToken = String(adminLogin.body.accessToken ?? '');
  if (!adminToken) throw new Error(`The admin could not sign in (${adminLogin.status}).`);
  const products: { id: string; initialStock: number }[] = [];
  for (let i = 0; i < options.products; i++) {
    const res = await checks.send('setup', api('/products'), {
      method: 'POST',
      token: adminToken,
      body: {
        name: `Load product ${runId} ${i}`,
        description: 'Created by npm run load.',
        category: 'home',
        price: 500 + i * 10,
        currency: 'EUR',
        stock: options.stockPerProduct,
      },
    });
    if (res.status !== 201) throw new Error(`Creating a product answered ${res.status}.`);
    products.push({ id: String(res.body.id), initialStock: options.stockPerProduct });
  }
  const register = async (label: string) =>
    checks.send('setup', api('/auth/register'), {
      method: 'POST',
      body: { email: `${label}-${runId}@load.local`, password: PASSWORD, displayName: label },
    });
  const users: User[] = [];
  // Setup goes a few at a time: a dozen cold scrypt hashes at once (128 MiB each) is a burst of
  // cold starts the load is not about, and on a busy laptop it outlasts the function timeout.
  for (const res of await inBatches(
    Array.from({ length: options.users }, (_, i) => i),
    SETUP_CONCURRENCY,
    (i) => register(`load-user-${i}`),
  )) {
    if (res.status !== 201) throw new Error(`Registering a load user answered ${res.status}.`);
    const user = res.body.user as { id: string; email: string };
    users.push({
      id: user.id,
      email: user.email,
      token: String(res.body.accessToken),
      conversations: [],
      payable: [],
      cancellable: [],
      sentInMinute: { minute: 0, count: 0 },
    });
  }
  // A ring: each user talks with the next one (two conversations each).
  for (const [i, user] of users.entries()) {
    const other = users[(i + 1) % users.length] as User;
    const res = await checks.send('setup', api('/conversations'), {
      method: 'POST',
      token: user.token,
      body: { participantId: other.id },
    });
    if (res.status !== 201 && res.status !== 200)
      throw new Error(`Starting a conversation answered ${res.status}.`);
    user.conversations.push({ id: String(res.body.id), otherId: other.id });
    other.conversations.push({ id: String(res.body.id), otherId: user.id });
  }
  const delivered = new Map<string, Set<string>>(users.map((user) => [user.id, new Set()]));
  const unexpectedCloses: string[] = [];
  let stopping = false;
  const sockets = await inBatches(
    users,
    SETUP_CONCURRENCY,
    (user) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(target.webSocketUrl, ['shop.v1', user.token]);
        ws.on('message', (data) => {
          try {
            const frame = JSON.parse(data.toString()) as { type?: string; message?: { id?: string } };
            if (frame.type === 'message' && frame.message?.id) delivered.get(user.id)?.add(frame.message.id);
          } catch {}
        });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
        ws.on('close', (code) => {
          if (!stopping) unexpectedCloses.push(`${user.email} closed with ${code}`);
        });
      }),
  );

  // --- The load: every user acts in a loop until the deadline.
  const accepted: AcceptedMessage[] = [];
  const placed: PlacedOrder[] = [];
  const negativeStockSeen: string[] = [];
  const productIds = products.map((p) => p.id);
  const started = Date.now();
  const deadline = started + options.durationSeconds * 1000;
  const progress = (): Progress => {
    const elapsedSeconds = (Date.now() - started) / 1000;
    return {
      elapsedSeconds,
      requests: load.requests,
      requestsPerSecond: load.requests / Math.max(elapsedSeconds, 0.001),
      serverErrors: load.serverErrors,
      messagesAccepted: accepted.length,
      ordersPlaced: placed.length,
    };
  };
  options.onTick?.(progress());
  const ticker = setInterval(() => options.onTick?.(progress()), (options.tickSeconds ?? 5) * 1000);

  const browse = async (user: User) => {
    const what = pickWeighted(random, { list: 3, get: 4, related: 2, popular: 1 });
    if (what === 'list') {
      const category = random() < 0.5 ? `&category=${pickOne(random, ['home', 'books', 'electronics'])}` : '';
      await load.send('browse:list', api(`/products?limit=20${category}`), {});
    } else if (what === 'get') {
      const res = await load.send('browse:get', api(`/products/${pickOne(random, productIds)}`), {});
      if (typeof res.body.stock === 'number' && res.body.stock < 0)
        negativeStockSeen.push(String(res.body.id));
    } else if (what === 'related') {
      await load.send('browse:related', api(`/products/${pickOne(random, productIds)}/related?limit=5`), {});
    } else {
      await load.send('browse:popular', api('/products/popular?window=7d&limit=10'), { token: user.token });
    }
  };

  const act = async (user: User, action: Action): Promise<void> => {
    switch (action) {
      case 'browse':
        return browse(user);
      case 'order': {
        const count = random() < 0.7 ? 1 : 2;
        const chosen = new Set<string>();
        while (chosen.size < count) chosen.add(pickOne(random, productIds));
        const lines = [...chosen].map((productId) => ({ productId, quantity: 1 + Math.floor(random() * 3) }));
        const res = await load.send('order', api('/orders'), {
          method: 'POST',
          token: user.token,
          body: { items: lines },
          headers: { 'idempotency-key': `load-${randomUUID()}` },
        });
        if (res.status === 201) {
          const order: PlacedOrder = {
            id: String(res.body.id),
            lines,
            total: Number(res.body.total),
            currency: String(res.body.currency),
          };
          placed.push(order);
          user.payable.push(order);
        }
        return;
      }
      case 'pay': {
        const order = user.payable.shift();
        if (!order) return browse(user);
        const method = pickWeighted(random, {
          pm_card_visa: 5,
          pm_card_pending: 4,
          pm_card_chargeDeclined: 1,
        });
        const res = await load.send('pay', api(`/orders/${order.id}/payments`), {
          method: 'POST',
          token: user.token,
          body: { paymentMethod: method },
          headers: { 'idempotency-key': `load-pay-${randomUUID()}` },
        });
        const payment = res.body.payment as { providerPaymentId?: string; attempt?: number } | undefined;
        if (res.status === 402) user.payable.push(order);
        if (res.status !== 200 || !payment?.providerPaymentId) return;
        user.cancellable.push(order);
        // What Stripe sends next: the intent succeeded (settles a pending one; a redelivery for a
        // paid one, which must change nothing).
        const eventId = `evt_load_${randomUUID().replaceAll('-', '')}`;
        const body = stripeEventBody({
          id: eventId,
          type: 'payment_intent.succeeded',
          orderId: order.id,
          ...(payment.attempt !== undefined ? { attempt: payment.attempt } : {}),
          providerPaymentId: payment.providerPaymentId,
          amount: order.total,
          currency: order.currency,
        });
        await load.send('webhook', api('/webhooks/payments'), {
          method: 'POST',
          rawBody: body,
          headers: {
            'content-type': 'application/json',
            'stripe-signature': signStripePayload(body, target.webhookSecret),
          },
        });
        return;
      }
      case 'cancel': {
        const pool = random() < 0.5 ? user.payable : user.cancellable;
        const order = pool.shift();
        if (!order) return browse(user);
        await load.send('cancel', api(`/orders/${order.id}/cancel`), { method: 'POST', token: user.token });
        return;
      }
      case 'message': {
        const minute = Math.floor(Date.now() / 60_000);
        if (user.sentInMinute.minute !== minute) user.sentInMinute = { minute, count: 0 };
        if (user.sentInMinute.count >= MESSAGES_PER_MINUTE) return browse(user);
        user.sentInMinute.count++;
        const conversation = pickOne(random, user.conversations);
        const res = await load.send('message', api(`/conversations/${conversation.id}/messages`), {
          method: 'POST',
          token: user.token,
          body: { body: `load message ${accepted.length}`, clientMessageId: `load-${randomUUID()}` },
        });
        if (res.status === 201) {
          accepted.push({
            id: String(res.body.id),
            conversationId: conversation.id,
            recipientId: conversation.otherId,
          });
        }
        return;
      }
      case 'login': {
        const res = await load.send('login', api('/auth/login'), {
          method: 'POST',
          body: { email: user.email, password: PASSWORD },
        });
        if (res.status === 200) user.token = String(res.body.accessToken);
        return;
      }
      case 'register': {
        await load.send('register', api('/auth/register'), {
          method: 'POST',
          body: {
            email: `load-new-${randomUUID()}@load.local`,
            password: PASSWORD,
            displayName: 'Load newcomer',
          },
        });
        return;
      }
      case 'resetPassword': {
        // Asks for a code (202, or 429 past the address's 5 an hour) and tries a wrong one (422).
        // The right code is not fetched: confirming closes the user's sockets, which the
        // delivery invariant watches; the full round trip is test/accounts/email-flows.e2e.test.ts.
        await load.send('resetPassword', api('/auth/password-reset'), {
          method: 'POST',
          body: { email: user.email },
        });
        await load.send('resetPassword', api('/auth/password-reset/confirm'), {
          method: 'POST',
          body: { email: user.email, code: '000000', newPassword: PASSWORD },
        });
        return;
      }
      case 'myOrders':
        await load.send('myOrders', api('/orders?limit=10'), { token: user.token });
        return;
    }
  };

  await Promise.all(
    users.map(async (user) => {
      // Every user first goes through the main flow once, so that even a short or slow run
      // covers each kind; then the weighted mix.
      for (const action of FIRST_ACTIONS) if (Date.now() < deadline) await act(user, action);
      while (Date.now() < deadline) await act(user, pickWeighted(random, ACTION_WEIGHTS));
    }),
  );
  clearInterval(ticker);
  const durationSeconds = (Date.now() - started) / 1000;
  options.onTick?.(progress());

  // --- Checks.
  const invariants: InvariantResult[] = [];

  // Every accepted message reaches the recipient's socket (the stream consumer may lag a little).
  const undelivered = () => accepted.filter((m) => !delivered.get(m.recipientId)?.has(m.id));
  const waitUntil = Date.now() + DELIVERY_GRACE_MS;
  while (undelivered().length > 0 && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 250));
  const lostOnSocket = undelivered();

  // Every accepted message is listed in its conversation.
  const listed = new Set<string>();
  for (const conversationId of new Set(users.flatMap((u) => u.conversations.map((c) => c.id)))) {
    const reader = users.find((u) => u.conversations.some((c) => c.id === conversationId)) as User;
    let cursor: string | undefined;
    do {
      const query = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await checks.send(
        'check:messages',
        api(`/conversations/${conversationId}/messages?${query}`),
        {
          token: reader.token,
        },
      );
      for (const item of (res.body.items as { id: string }[] | undefined) ?? []) listed.add(item.id);
      cursor = typeof res.body.nextCursor === 'string' ? res.body.nextCursor : undefined;
    } while (cursor);
  }
  const notListed = accepted.filter((m) => !listed.has(m.id));
  invariants.push({
    name: 'no lost message',
    ok:
      accepted.length > 0 &&
      notListed.length === 0 &&
      lostOnSocket.length === 0 &&
      unexpectedCloses.length === 0,
    detail:
      `${accepted.length} accepted (201); not listed in their conversation: ${notListed.length}; ` +
      `not delivered over WebSocket within ${DELIVERY_GRACE_MS / 1000} s: ${lostOnSocket.length}; ` +
      `sockets closed during the run: ${unexpectedCloses.length}`,
  });

  // Stock: final = initial - units in orders that hold stock (pending or paid), never below zero.
  // Every order of the load's customers counts, not only those answered 201: an order whose
  // answer was lost (a 503 after its transaction committed) holds stock too, and its client
  // would get it back by retrying with the same Idempotency-Key. GET /orders lists them all.
  const held = new Map<string, number>();
  const statusCount: Record<string, number> = {};
  const answered = new Set(placed.map((order) => order.id));
  let unanswered = 0;
  for (const user of users) {
    let cursor: string | undefined;
    do {
      const query = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await checks.send('check:orders', api(`/orders?${query}`), { token: user.token });
      const items = (res.body.items as ListedOrder[] | undefined) ?? [];
      for (const order of items) {
        statusCount[order.status] = (statusCount[order.status] ?? 0) + 1;
        if (!answered.has(order.id)) unanswered++;
        if (order.status !== 'pending_payment' && order.status !== 'paid') continue;
        for (const line of order.items) {
          held.set(line.productId, (held.get(line.productId) ?? 0) + line.quantity);
        }
      }
      cursor = typeof res.body.nextCursor === 'string' ? res.body.nextCursor : undefined;
    } while (cursor);
  }
  const stockErrors: string[] = [];
  for (const product of products) {
    const res = await checks.send('check:products', api(`/products/${product.id}`), {});
    const expected = product.initialStock - (held.get(product.id) ?? 0);
    if (res.body.stock !== expected || expected < 0) {
      stockErrors.push(`${product.id}: stock ${String(res.body.stock)}, expected ${expected}`);
    }
  }
  invariants.push({
    name: 'no stock oversold',
    ok: stockErrors.length === 0 && negativeStockSeen.length === 0 && placed.length > 0,
    detail:
      `${placed.length} orders answered 201, ${unanswered} more whose answer was lost (${Object.entries(
        statusCount,
      )
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}); ${products.length} products of ${options.stockPerProduct}; ` +
      (stockErrors.length === 0 ? 'final stock matches on every product' : stockErrors.join('; ')) +
      (negativeStockSeen.length > 0 ? `; negative stock seen: ${negativeStockSeen.length}` : ''),
  });

  invariants.push({
    name: 'no 5xx',
    ok: load.serverErrors === 0 && checks.serverErrors === 0,
    detail: `${load.serverErrors} in the load, ${checks.serverErrors} in setup and checks (599 = no answer)`,
  });

  stopping = true;
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close();
        }),
    ),
  );

  return {
    durationSeconds,
    seed: options.seed,
    kinds: load.kinds,
    checks: checks.kinds,
    invariants,
    totals: {
      requests: load.requests,
      requestsPerSecond: load.requests / durationSeconds,
      serverErrors: load.serverErrors + checks.serverErrors,
    },
  };
}

/** The summary table: per kind, requests, statuses and p50/p99 latency. */
export function formatSummary(result: LoadResult): string {
  const rows = Object.entries(result.kinds)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, stats]) => {
      const { p50, p99 } = summarize(stats.latenciesMs);
      const statuses = Object.entries(stats.statuses)
        .map(([status, count]) => `${status}:${count}`)
        .join(' ');
      return `  ${kind.padEnd(16)} ${String(stats.latenciesMs.length).padStart(7)}  p50 ${p50.toFixed(1).padStart(7)} ms  p99 ${p99.toFixed(1).padStart(8)} ms  ${statuses}`;
    });
  const histogram: Record<string, number> = {};
  for (const stats of Object.values(result.kinds)) {
    for (const [status, count] of Object.entries(stats.statuses))
      histogram[status] = (histogram[status] ?? 0) + count;
  }
  return [
    `Load: ${result.totals.requests} requests in ${result.durationSeconds.toFixed(1)} s (${result.totals.requestsPerSecond.toFixed(1)}/s), seed ${result.seed}`,
    `  ${'kind'.padEnd(16)} ${'count'.padStart(7)}`,
    ...rows,
    `  statuses: ${Object.entries(histogram)
      .map(([status, count]) => `${status}: ${count}`)
      .join(', ')}`,
    'Invariants:',
    ...result.invariants.map((inv) => `  ${inv.ok ? 'PASS' : 'FAIL'} ${inv.name}: ${inv.detail}`),
  ].join('\n');
}
