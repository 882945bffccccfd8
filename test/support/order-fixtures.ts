import type { Order } from '../../functions/orders/model.ts';

/**
 * An order as the orders store keeps it (one line of 2 x 12.50 EUR, placed 2026-01-15), for
 * tests that need an order without placing one: templates, stream records of order images.
 */
export function sampleOrder(overrides: Partial<Order> = {}): Order {
  return {
    id: '01KDVDNA00AA3S80T672BC3QYS',
    userId: '01KDVDNA00AA3S80T672BC3QYT',
    status: 'pending_payment',
    items: [{ productId: 'p1', name: 'Espresso cup', unitPrice: 1250, quantity: 2, lineTotal: 2500 }],
    total: 2500,
    currency: 'EUR',
    createdAt: '2026-01-15T09:30:00.000Z',
    updatedAt: '2026-01-15T09:30:00.000Z',
    expiresAt: '2026-01-15T10:00:00.000Z',
    history: [],
    ...overrides,
  };
}
