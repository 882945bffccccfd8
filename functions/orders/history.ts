import type { HistoryEntry } from './model.ts';

/** One entry of an order's history, stamped now. Every change of an order appends one. */
export const historyEntry = (type: string, detail?: Record<string, unknown>): HistoryEntry => ({
  at: new Date().toISOString(),
  type,
  ...(detail ? { detail } : {}),
});

/**
 * The history of an order whose customer was erased: the user id in entries the customer made
 * (`by`) becomes `customer`, and an entry records the erasure. Everything else is kept, since
 * orders are financial records.
 */
export function historyWithoutCustomer(history: readonly HistoryEntry[], userId: string): HistoryEntry[] {
  return [
    ...history.map((entry) =>
      entry.detail?.by === userId ? { ...entry, detail: { ...entry.detail, by: 'customer' } } : entry,
    ),
    historyEntry('customer_erased'),
  ];
}
