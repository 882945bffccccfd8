import type { AcceptedMessage, InvariantResult, LoadProduct, PlacedOrder, User } from './model.ts';
import type { Api, Sockets } from './setup.ts';
import type { Recorder } from './stats.ts';

/** How long accepted messages may take to reach their recipient's socket after the load stops. */
export const DELIVERY_GRACE_MS = 20_000;

/** An order as GET /orders lists it (the fields the stock check reads). */
interface ListedOrder {
  readonly id: string;
  readonly status: string;
  readonly items: { productId: string; quantity: number }[];
}

/** Every item of a paginated listing (`items`, `nextCursor`), page by page. */
async function listAll<T>(checks: Recorder, kind: string, url: string, token: string): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const query = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await checks.send(kind, `${url}?${query}`, { token });
    all.push(...((res.body.items as T[] | undefined) ?? []));
    cursor = typeof res.body.nextCursor === 'string' ? res.body.nextCursor : undefined;
  } while (cursor);
  return all;
}

/** Every accepted message is listed in its conversation and reached the recipient's socket. */
export async function checkMessages(
  checks: Recorder,
  api: Api,
  users: readonly User[],
  accepted: readonly AcceptedMessage[],
  sockets: Sockets,
): Promise<InvariantResult> {
  // The stream consumer may lag a little behind the load.
  const undelivered = () => accepted.filter((m) => !sockets.delivered.get(m.recipientId)?.has(m.id));
  const waitUntil = Date.now() + DELIVERY_GRACE_MS;
  while (undelivered().length > 0 && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 250));
  const lostOnSocket = undelivered();

  const listed = new Set<string>();
  for (const conversationId of new Set(users.flatMap((u) => u.conversations.map((c) => c.id)))) {
    const reader = users.find((u) => u.conversations.some((c) => c.id === conversationId)) as User;
    const url = api(`/conversations/${conversationId}/messages`);
    for (const item of await listAll<{ id: string }>(checks, 'check:messages', url, reader.token))
      listed.add(item.id);
  }
  const notListed = accepted.filter((m) => !listed.has(m.id));
  const { unexpectedCloses } = sockets;
  return {
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
  };
}

/** What the load saw of stock: the products, the orders answered 201, negative stock seen while browsing. */
export interface StockSeen {
  readonly products: readonly LoadProduct[];
  readonly stockPerProduct: number;
  readonly placed: readonly PlacedOrder[];
  readonly negativeStockSeen: readonly string[];
}

/**
 * Stock: final = initial - units in orders that hold stock (pending or paid), never below zero.
 * Every order of the load's customers counts, not only those answered 201: an order whose
 * answer was lost (a 503 after its transaction committed) holds stock too, and its client
 * would get it back by retrying with the same Idempotency-Key. GET /orders lists them all.
 */
export async function checkStock(
  checks: Recorder,
  api: Api,
  users: readonly User[],
  seen: StockSeen,
): Promise<InvariantResult> {
  const held = new Map<string, number>();
  const statusCount: Record<string, number> = {};
  const answered = new Set(seen.placed.map((order) => order.id));
  let unanswered = 0;
  for (const user of users) {
    for (const order of await listAll<ListedOrder>(checks, 'check:orders', api('/orders'), user.token)) {
      statusCount[order.status] = (statusCount[order.status] ?? 0) + 1;
      if (!answered.has(order.id)) unanswered++;
      if (order.status !== 'pending_payment' && order.status !== 'paid') continue;
      for (const line of order.items) {
        held.set(line.productId, (held.get(line.productId) ?? 0) + line.quantity);
      }
    }
  }
  const stockErrors: string[] = [];
  for (const product of seen.products) {
    const res = await checks.send('check:products', api(`/products/${product.id}`), {});
    const expected = product.initialStock - (held.get(product.id) ?? 0);
    if (res.body.stock !== expected || expected < 0) {
      stockErrors.push(`${product.id}: stock ${String(res.body.stock)}, expected ${expected}`);
    }
  }
  const statuses = Object.entries(statusCount)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  return {
    name: 'no stock oversold',
    ok: stockErrors.length === 0 && seen.negativeStockSeen.length === 0 && seen.placed.length > 0,
    detail:
      `${seen.placed.length} orders answered 201, ${unanswered} more whose answer was lost (${statuses}); ` +
      `${seen.products.length} products of ${seen.stockPerProduct}; ` +
      (stockErrors.length === 0 ? 'final stock matches on every product' : stockErrors.join('; ')) +
      (seen.negativeStockSeen.length > 0 ? `; negative stock seen: ${seen.negativeStockSeen.length}` : ''),
  };
}

/** No request of the load, its setup or its checks answered 5xx (or not at all). */
export const checkServerErrors = (load: Recorder, checks: Recorder): InvariantResult => ({
  name: 'no 5xx',
  ok: load.serverErrors === 0 && checks.serverErrors === 0,
  detail: `${load.serverErrors} in the load, ${checks.serverErrors} in setup and checks (599 = no answer)`,
});
