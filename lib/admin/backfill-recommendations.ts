import { pagesOfOrdersInStatus } from '../../functions/orders/listings-store.ts';
import type { Order, OrderStatus } from '../../functions/orders/model.ts';
import { paidAt } from '../../functions/orders/model.ts';
import {
  type ApplyOutcome,
  applyPaidOrder,
  paidOrderOf,
  takeBackCancelledOrder,
} from '../../functions/recommendations/store.ts';

/** Statuses whose orders were paid and still count (shipping and delivery follow payment). */
const COUNTED: readonly OrderStatus[] = ['paid', 'shipped', 'delivered'];

export interface BackfillProgress {
  /** The status partition being read. */
  readonly status: OrderStatus;
  /** Orders read so far, over all statuses. */
  readonly read: number;
  readonly outcomes: Readonly<Record<ApplyOutcome, number>>;
}

export interface BackfillOptions {
  /** Orders applied at once (each is a few requests; conflicts on shared counters are retried). */
  readonly concurrency?: number;
  /** Called after every page of orders. */
  readonly onProgress?: (progress: BackfillProgress) => void;
}

/**
 * Rebuilds the recommendation aggregates from the orders in the table, with the very functions
 * the stream consumer uses, so it is idempotent and safe to run next to it: every order paid
 * (status paid, shipped or delivered) is applied once (its marker says whether it was), and
 * every cancelled order that had been paid is taken back if it was applied. Orders are found on
 * gsi2 by status (one Query per page), never by a Scan.
 */
export async function backfillRecommendations(options: BackfillOptions = {}): Promise<BackfillProgress> {
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const outcomes: Record<ApplyOutcome, number> = {
    applied: 0,
    'already applied': 0,
    'taken back': 0,
    'nothing to take back': 0,
  };
  let read = 0;
  let progress: BackfillProgress = { status: 'paid', read, outcomes };
  const each = async (orders: readonly Order[], apply: (order: Order) => Promise<ApplyOutcome>) => {
    for (let i = 0; i < orders.length; i += concurrency) {
      for (const outcome of await Promise.all(orders.slice(i, i + concurrency).map(apply))) {
        outcomes[outcome] += 1;
      }
    }
  };
  for (const status of [...COUNTED, 'cancelled'] as const) {
    for await (const page of pagesOfOrdersInStatus(status)) {
      read += page.length;
      if (status === 'cancelled') {
        // Only orders that were paid before their cancellation had anything applied.
        await each(
          page.filter((order) => paidAt(order) !== undefined),
          (order) => takeBackCancelledOrder(order, { record: false }),
        );
      } else {
        await each(page, (order) => applyPaidOrder(paidOrderOf(order)));
      }
      progress = { status, read, outcomes: { ...outcomes } };
      options.onProgress?.(progress);
    }
  }
  return progress;
}
