import { beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../../functions/catalog/model.ts';
import { orderKey } from '../../functions/orders/keys.ts';
import { type ApiResponse, bearer, type Session } from '../support/accounts-api.ts';
import { call } from '../support/local-api.ts';
import { conversationOf } from '../support/messages-api.ts';
import { adminSession, newKey, statusCounts, warmUp } from '../support/orders-api.ts';
import { useShop } from '../support/shop.ts';
import { tableReader } from '../support/table-items.ts';

const SLOW = 240_000;
/** Rounds of one erasure against parallel writes; the old erasure (orders found through gsi1, no fence) failed in every one. */
const ROUNDS = 8;
/** Orders per round, started every STAGGER_MS from before the erasure until after it. */
const ORDERS = 12;
const STAGGER_MS = 12;
/** When the erasure starts, within the orders' spread. */
const ERASE_AT_MS = 30;

const startingIn = <T>(ms: number, run: () => Promise<T>): Promise<T> =>
  new Promise((resolve, reject) => setTimeout(() => run().then(resolve, reject), ms));

describe('DELETE /me racing writes of the same user (DynamoDB Local, local API)', () => {
  const shop = useShop();
  let product: Product;
  let counterpart: Session;

  beforeAll(async () => {
    const admin = await adminSession(shop.backend);
    product = await shop.orders.createProduct(admin.accessToken, { stock: 10_000 });
    counterpart = await shop.accounts.newCustomer('counterpart');
    // Warm execution environments, so the race measures the table and not worker cold starts.
    await warmUp(ORDERS, () =>
      shop.orders.place(counterpart.accessToken, [{ productId: product.id, quantity: 1 }]),
    );
  }, SLOW);

  it(
    `leaves no item naming the user when orders and a new conversation race the erasure (${ROUNDS} rounds)`,
    async () => {
      const reader = tableReader(shop.backend);
      const outcomes: Record<number, number> = {};
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const victim = await shop.accounts.newCustomer(`victim-${round}`);
          const placed: Promise<ApiResponse>[] = Array.from({ length: ORDERS }, (_, i) =>
            startingIn(i * STAGGER_MS, () =>
              shop.orders.place(
                victim.accessToken,
                [{ productId: product.id, quantity: 1 }],
                newKey(`r${round}-${i}`),
              ),
            ),
          );
          // The counterpart starts a conversation with the user while the erasure runs, and
          // writes into it when it got one.
          const talked = startingIn(ERASE_AT_MS + 10, async () => {
            const started = await shop.messages.start(counterpart.accessToken, {
              participantId: victim.user.id,
            });
            if (started.status !== 200 && started.status !== 201) return [started];
            const sent = await shop.messages.send(counterpart.accessToken, conversationOf(started).id, {
              body: `hello ${round}`,
            });
            return [started, sent];
          });
          const erased = startingIn(ERASE_AT_MS, () =>
            call(`${shop.api}/me`, { method: 'DELETE', headers: bearer(victim.accessToken) }),
          );
          const [orderResults, erasure, conversation] = await Promise.all([
            Promise.all(placed),
            erased,
            talked,
          ]);

          expect(erasure.status, JSON.stringify(erasure.body)).toBe(204);
          // An order either went in before the erasure began (201, and the erasure unlinked it)
          // or was refused because the account is being erased (404): never a 5xx.
          const statuses = statusCounts(orderResults);
          for (const [status, count] of Object.entries(statuses)) {
            outcomes[Number(status)] = (outcomes[Number(status)] ?? 0) + count;
          }
          expect(
            Object.keys(statuses).every((s) => s === '201' || s === '404'),
            JSON.stringify(statuses),
          ).toBe(true);
          for (const res of conversation) expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);

          const left = await reader.itemsMentioning(victim.user.id, victim.user.email);
          expect(
            left.map((item) => `${String(item.pk)} ${String(item.sk)}`),
            `round ${round}: ${JSON.stringify(statuses)}`,
          ).toEqual([]);
          // The orders that were accepted are kept as financial records, unlinked from the person.
          for (const res of orderResults.filter((r) => r.status === 201)) {
            const [order] = await reader.partition(orderKey(String(res.body.id)).pk);
            expect(order?.userId).toBeUndefined();
            expect(order?.gsi1pk).toBeUndefined();
          }
        }
        // The orders straddled the erasure: some went in before its mark, some were refused.
        expect(outcomes[201], JSON.stringify(outcomes)).toBeGreaterThan(0);
        expect(outcomes[404], JSON.stringify(outcomes)).toBeGreaterThan(0);
      } finally {
        reader.close();
      }
    },
    SLOW,
  );

  it('refuses an order with a still-valid access token after the erasure (404 problem)', async () => {
    const gone = await shop.accounts.newCustomer('gone');
    expect(
      (await call(`${shop.api}/me`, { method: 'DELETE', headers: bearer(gone.accessToken) })).status,
    ).toBe(204);
    const res = await shop.orders.place(gone.accessToken, [{ productId: product.id, quantity: 1 }]);
    expect(res.status).toBe(404);
    expect(res.body.type).toBe('/problems/not-found');
  });
});
