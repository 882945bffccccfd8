import { beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../../functions/catalog/model.ts';
import type { Order } from '../../functions/orders/model.ts';
import {
  type ApiResponse,
  expectProblem,
  problemWithoutInstance,
  type Session,
} from '../support/accounts-api.ts';
import { orderOf } from '../support/orders-api.ts';
import { useShop } from '../support/shop.ts';

const NO_SUCH_ORDER = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

// Every route's statuses for every kind of caller (no token, refused tokens, another user, the
// owner, an admin) are in the authorization matrix (test/security/authorization-matrix.e2e.test.ts); the
// authorizer's handling of each kind of forged token in test/security/token-attacks.e2e.test.ts. This file tests
// what those do not: a stranger's 404 is indistinguishable, and what each role can do end to end.
describe('orders and payments authorization, through the local API', () => {
  const shop = useShop();
  let admin: Session;
  let owner: Session;
  let stranger: Session;
  let product: Product;
  /** The owner's pending order that the other customer tries and the admin reads. */
  let target: Order;

  beforeAll(async () => {
    const _client = shop.accounts;
    [admin, owner, stranger] = await shop.adminAnd('owner', 'stranger');
    product = await shop.orders.createProduct(admin.accessToken, { stock: 100 });
    target = await shop.orders.placed(owner.accessToken, [{ productId: product.id, quantity: 1 }]);
  });

  describe('another customer', () => {
    /** The 404 for an order that does not exist at all, to compare against. */
    const notFoundShape = (res: ApiResponse) => {
      const { detail: _detail, ...rest } = problemWithoutInstance(res);
      return rest;
    };

    it.each([
      ['GET /orders/{orderId}', (token: string, id: string) => shop.orders.get(token, id)],
      ['POST /orders/{orderId}/cancel', (token: string, id: string) => shop.orders.cancel(token, id)],
      [
        'POST /orders/{orderId}/payments',
        (token: string, id: string) => shop.orders.pay(token, id, 'pm_card_visa'),
      ],
    ])(
      "%s on the owner's order gets 404 (not 403), indistinguishable from an order that does not exist",
      async (_route, send) => {
        const res = await send(stranger.accessToken, target.id);
        expectProblem(res, 404);
        const missing = await send(stranger.accessToken, NO_SUCH_ORDER);
        expectProblem(missing, 404);
        expect(notFoundShape(res)).toEqual(notFoundShape(missing));
        expect(String(res.body.detail)).not.toContain(owner.user.id);
        expect(await shop.orders.read(owner.accessToken, target.id)).toEqual(target);
      },
    );

    it("does not see the owner's orders in GET /orders", async () => {
      const own = await shop.orders.placed(stranger.accessToken, [{ productId: product.id, quantity: 1 }]);
      const res = await shop.orders.list(stranger.accessToken);
      expect(res.status).toBe(200);
      expect((res.body.items as Order[]).map((o) => o.id)).toEqual([own.id]);
    });
  });

  describe('the owner', () => {
    it('places an order (201), reads it (200) and finds it in GET /orders (200)', async () => {
      const res = await shop.orders.place(owner.accessToken, [{ productId: product.id, quantity: 1 }]);
      expect(res.status).toBe(201);
      expect(orderOf(res).userId).toBe(owner.user.id);
      expect((await shop.orders.get(owner.accessToken, orderOf(res).id)).status).toBe(200);
      const list = await shop.orders.list(owner.accessToken);
      expect(list.status).toBe(200);
      expect((list.body.items as Order[]).map((o) => o.id)).toEqual(
        expect.arrayContaining([orderOf(res).id, target.id]),
      );
    });

    it('pays (200) and cancels (200) an order of its own', async () => {
      const placed = await shop.orders.placed(owner.accessToken, [{ productId: product.id, quantity: 1 }]);
      const paid = await shop.orders.pay(owner.accessToken, placed.id, 'pm_card_visa');
      expect(paid.status).toBe(200);
      expect(orderOf(paid).status).toBe('paid');
      const cancelled = await shop.orders.cancel(owner.accessToken, placed.id);
      expect(cancelled.status).toBe(200);
      expect(orderOf(cancelled).status).toBe('cancelled');
    });
  });

  describe('an admin', () => {
    it("reads any customer's order (200)", async () => {
      const res = await shop.orders.get(admin.accessToken, target.id);
      expect(res.status).toBe(200);
      expect(orderOf(res)).toEqual(target);
    });

    it('lists orders by status (200)', async () => {
      const res = await shop.orders.adminList(admin.accessToken, 'status=pending_payment&limit=100');
      expect(res.status).toBe(200);
      expect((res.body.items as Order[]).map((o) => o.id)).toContain(target.id);
    });

    it("ships (200) and delivers (200) a customer's paid order", async () => {
      const placed = await shop.orders.placed(owner.accessToken, [{ productId: product.id, quantity: 1 }]);
      await shop.orders.paid(owner.accessToken, placed.id);
      const shipped = await shop.orders.ship(admin.accessToken, placed.id);
      expect(shipped.status).toBe(200);
      expect(orderOf(shipped).status).toBe('shipped');
      const delivered = await shop.orders.deliver(admin.accessToken, placed.id);
      expect(delivered.status).toBe(200);
      expect(orderOf(delivered).status).toBe('delivered');
    });

    it("cancels a customer's order (200)", async () => {
      const placed = await shop.orders.placed(owner.accessToken, [{ productId: product.id, quantity: 1 }]);
      const res = await shop.orders.cancel(admin.accessToken, placed.id);
      expect(res.status).toBe(200);
      expect(orderOf(res).status).toBe('cancelled');
    });

    it("cannot pay a customer's order: payments are the owner's (404)", async () => {
      const placed = await shop.orders.placed(owner.accessToken, [{ productId: product.id, quantity: 1 }]);
      expectProblem(await shop.orders.pay(admin.accessToken, placed.id, 'pm_card_visa'), 404);
      expect((await shop.orders.read(owner.accessToken, placed.id)).payment).toBeUndefined();
    });

    it('answers 404 for ship, deliver and read of an order that does not exist', async () => {
      expectProblem(await shop.orders.ship(admin.accessToken, NO_SUCH_ORDER), 404);
      expectProblem(await shop.orders.deliver(admin.accessToken, NO_SUCH_ORDER), 404);
      expectProblem(await shop.orders.get(admin.accessToken, NO_SUCH_ORDER), 404);
    });
  });
});
