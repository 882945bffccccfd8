import * as z from 'zod/mini';
import { categorySlug } from '../catalog/category-model.ts';
import { type Category, productSchema } from '../catalog/model.ts';
import { queryInteger } from '../core/validation.ts';

/**
 * The recommendations domain: aggregates that a stream consumer keeps from paid orders (what is
 * bought together, what sells, what each customer buys) and the reads built on them. The
 * design, its caps and its write cost are in docs/access-patterns.md ("Recommendations").
 */

/** Lines of an order whose products count as bought together: 10 lines -> 45 pairs, 10 item writes. */
export const MAX_PAIR_LINES = 10;
/** Co-purchase counters kept per product (the related read shows at most 50). */
export const RELATED_CAP = 50;
/** Products counted per category (or overall) and day; the popular read shows at most 50. */
export const POPULAR_DAY_CAP = 100;
/** Distinct products remembered per customer (recent purchases, excluded from recommendations). */
export const RECENT_CAP = 50;
/** Day buckets outlive the longest window (30 days) with room for late records and clock skew. */
export const POPULAR_TTL_DAYS = 35;

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 50;

/** `window` of the popular read, in days (today and the days before it, UTC). */
export const POPULAR_WINDOWS = { '7d': 7, '30d': 30 } as const;
export type PopularWindow = keyof typeof POPULAR_WINDOWS;

/** The overall best-seller scope, next to one per category. */
export const ALL_CATEGORIES = 'ALL';
export type PopularScope = Category | typeof ALL_CATEGORIES;

const limit = queryInteger(1, MAX_LIMIT, DEFAULT_LIMIT);

export const recommendationsQuery = z.strictObject({ limit });
export const relatedProductsQuery = z.strictObject({ limit });
export const popularProductsQuery = z.strictObject({
  category: z.optional(categorySlug),
  window: z._default(z.enum(['7d', '30d']), '7d'),
  limit,
});
export type PopularProductsQuery = z.infer<typeof popularProductsQuery>;

export const recommendationReason = z.discriminatedUnion('type', [
  /** Often bought together with `productId`, which the caller bought recently. */
  z.object({ type: z.literal('bought_together'), productId: z.string() }),
  /** In a category the caller likes: a favourite from preferences, or one they buy from. */
  z.object({ type: z.literal('favorite_category'), category: categorySlug }),
  /** A best seller of the last 7 days. */
  z.object({ type: z.literal('popular') }),
]);
export type RecommendationReason = z.infer<typeof recommendationReason>;

export const recommendationSchema = z.object({
  product: productSchema,
  /** 0..1, higher is better; the list is sorted by it (ties by product id). */
  score: z.number(),
  reason: recommendationReason,
});
export type Recommendation = z.infer<typeof recommendationSchema>;
export const recommendationListSchema = z.object({ items: z.array(recommendationSchema) });

export const relatedProductListSchema = z.object({
  productId: z.string(),
  /**
   * `bought_together`: `count` is how many paid orders had both products. `popular_in_category`
   * (no purchase history for this product yet): `count` is units of the category's best sellers
   * sold in the last 7 days.
   */
  basis: z.enum(['bought_together', 'popular_in_category']),
  items: z.array(z.object({ product: productSchema, count: z.int() })),
});
export type RelatedProductList = z.infer<typeof relatedProductListSchema>;

export const popularProductListSchema = z.object({
  category: z.nullable(categorySlug),
  window: z.enum(['7d', '30d']),
  items: z.array(z.object({ product: productSchema, unitsSold: z.int() })),
});
export type PopularProductList = z.infer<typeof popularProductListSchema>;

/** Counters by id (product ids, or categories). */
export type Counters = Record<string, number>;

/** One paid order line as the aggregates see it. */
export interface ContributionLine {
  readonly productId: string;
  /** The product's category when the order was applied; null when the product was gone. */
  readonly category: Category | null;
  readonly quantity: number;
}

/**
 * What one paid order adds to the aggregates, kept in its marker so a cancellation takes back
 * exactly that (in the same day buckets, with the same pairs), whatever changed since.
 */
export interface Contribution {
  readonly orderId: string;
  /** UTC day (YYYY-MM-DD) of the payment: the bucket its units count in. */
  readonly day: string;
  readonly lines: readonly ContributionLine[];
  /** The products whose pairs count as bought together (at most MAX_PAIR_LINES). */
  readonly pairProducts: readonly string[];
}

/** What a customer has bought, as recommendations use it (one item in the user's partition). */
export interface PurchaseSummary {
  /** Units bought per category. */
  readonly categories: Counters;
  /** Distinct products, newest order first (ties by product id), at most RECENT_CAP. */
  readonly recent: readonly { readonly productId: string; readonly orderId: string }[];
}

export const EMPTY_PURCHASES: PurchaseSummary = { categories: {}, recent: [] };

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The products of an order that count as bought together: the MAX_PAIR_LINES lines with the
 * largest amount (quantity x unit price; ties by product id). An order of 50 lines thus adds
 * 45 pairs, not 1,225: the lines a customer spent most on say most about the basket, and the
 * write cost stays at one item per counted product whatever the order's size.
 */
export function pairProducts(
  lines: readonly { productId: string; quantity: number; unitPrice: number }[],
): string[] {
  return [...lines]
    .sort((a, b) => b.quantity * b.unitPrice - a.quantity * a.unitPrice || byId(a.productId, b.productId))
    .map((line) => line.productId)
    .filter((id, i, ids) => ids.indexOf(id) === i)
    .slice(0, MAX_PAIR_LINES);
}

/**
 * Adds increments to counters kept to at most `cap` entries, with the Space-Saving rule: a new
 * id arriving at a full set replaces the smallest counter (ties: the largest id) and starts
 * from that count. Heavy hitters are never lost and the item stays bounded; the tail's counts
 * are over-estimates by at most the smallest count. Returns new counters.
 */
export function addBounded(counters: Counters, increments: Counters, cap: number): Counters {
  const next: Counters = { ...counters };
  for (const id of Object.keys(increments).sort(byId)) {
    const increment = increments[id] ?? 0;
    if (increment <= 0) continue;
    if (next[id] !== undefined) {
      next[id] += increment;
      continue;
    }
    let floor = 0;
    if (Object.keys(next).length >= cap) {
      const [evicted, count] = Object.entries(next).reduce((min, entry) =>
        entry[1] < min[1] || (entry[1] === min[1] && entry[0] > min[0]) ? entry : min,
      );
      delete next[evicted];
      floor = count;
    }
    next[id] = floor + increment;
  }
  return next;
}

/** Takes decrements back from counters; a counter that reaches zero (or was evicted) is gone. */
export function subtractCounters(counters: Counters, decrements: Counters): Counters {
  const next: Counters = { ...counters };
  for (const [id, decrement] of Object.entries(decrements)) {
    if (next[id] === undefined) continue;
    const value = next[id] - decrement;
    if (value > 0) next[id] = value;
    else delete next[id];
  }
  return next;
}

/** Ids by count, highest first, ties by id: a stable order for the same counters. */
export function rankedIds(counters: Counters): string[] {
  return Object.keys(counters).sort((a, b) => (counters[b] ?? 0) - (counters[a] ?? 0) || byId(a, b));
}

/** Sums counters (e.g. a window's day buckets). */
export function sumCounters(all: readonly Counters[]): Counters {
  const total: Counters = {};
  for (const counters of all) {
    for (const [id, value] of Object.entries(counters)) total[id] = (total[id] ?? 0) + value;
  }
  return total;
}

/** Per product, how often the others of `pairs` were bought with it (each other product +1). */
export function coPurchaseIncrements(pairs: readonly string[]): Map<string, Counters> {
  // A single product was bought with nothing.
  if (pairs.length < 2) return new Map();
  return new Map(
    pairs.map((id) => [id, Object.fromEntries(pairs.filter((other) => other !== id).map((o) => [o, 1]))]),
  );
}

/** Units per popularity scope (each line's category and ALL) of a contribution. */
export function unitsByScope(lines: readonly ContributionLine[]): Map<PopularScope, Counters> {
  const scopes = new Map<PopularScope, Counters>();
  const add = (scope: PopularScope, line: ContributionLine) => {
    const counters = scopes.get(scope) ?? {};
    counters[line.productId] = (counters[line.productId] ?? 0) + line.quantity;
    scopes.set(scope, counters);
  };
  for (const line of lines) {
    add(ALL_CATEGORIES, line);
    if (line.category) add(line.category, line);
  }
  return scopes;
}

/** The summary after a paid order: its categories' units added, its products first in `recent`. */
export function addPurchases(summary: PurchaseSummary, contribution: Contribution): PurchaseSummary {
  const categories = { ...summary.categories };
  for (const line of contribution.lines) {
    if (line.category) categories[line.category] = (categories[line.category] ?? 0) + line.quantity;
  }
  const bought = contribution.lines.map((line) => ({
    productId: line.productId,
    orderId: contribution.orderId,
  }));
  const recent = [...bought, ...summary.recent]
    .sort((a, b) => byId(b.orderId, a.orderId) || byId(a.productId, b.productId))
    .filter((entry, i, all) => all.findIndex((other) => other.productId === entry.productId) === i)
    .slice(0, RECENT_CAP);
  return { categories, recent };
}

/** The summary after a paid order was cancelled: its units and its entries in `recent` taken back. */
export function removePurchases(summary: PurchaseSummary, contribution: Contribution): PurchaseSummary {
  const units: Counters = {};
  for (const line of contribution.lines) {
    if (line.category) units[line.category] = (units[line.category] ?? 0) + line.quantity;
  }
  return {
    categories: subtractCounters(summary.categories, units),
    recent: summary.recent.filter((entry) => entry.orderId !== contribution.orderId),
  };
}

/** The UTC day (YYYY-MM-DD) of an ISO timestamp. */
export const dayOf = (iso: string): string => new Date(iso).toISOString().slice(0, 10);

/** The `days` days of a window ending today (UTC), newest first. */
export function daysOfWindow(days: number, now = new Date()): string[] {
  const today = Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => new Date(today - i * 86_400_000).toISOString().slice(0, 10));
}

/** When a day bucket expires (TTL epoch seconds): POPULAR_TTL_DAYS after the day. */
export const dayBucketExpiry = (day: string): number =>
  Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + POPULAR_TTL_DAYS * 86_400;
