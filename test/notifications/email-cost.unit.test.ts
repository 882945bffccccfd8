import { describe, expect, it } from 'vitest';
import { EMAIL_KINDS } from '../../functions/notifications/strings.ts';
import { EMAILS_PER_ORDER, emailCostPerThousandOrders, PRICES } from '../../lib/bench/cost.ts';

describe('email cost per 1,000 orders', () => {
  it('prices the usual life of an order (placed, paid, shipped, delivered) at SES’s price', () => {
    const usualLife = EMAIL_KINDS.filter((kind) =>
      ['order-placed', 'order-paid', 'order-shipped', 'order-delivered'].includes(kind),
    );
    expect(usualLife).toHaveLength(EMAILS_PER_ORDER);
    expect(PRICES.sesPerThousandEmails).toBe(0.1);
    expect(emailCostPerThousandOrders()).toBeCloseTo(0.4, 10);
    expect(emailCostPerThousandOrders(6)).toBeCloseTo(0.6, 10);
  });
});
