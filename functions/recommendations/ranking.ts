import type { Category, Product } from '../catalog/model.ts';
import {
  ALL_CATEGORIES,
  type Counters,
  type PopularScope,
  type PurchaseSummary,
  type Recommendation,
  type RecommendationReason,
  rankedIds,
} from './model.ts';

/**
 * How `GET /me/recommendations` ranks: pure functions over what the store read (the caller's
 * preferences and purchase summary, the co-purchase lists of what they bought recently, the
 * best sellers of the categories they like and overall). Deterministic: the same data gives
 * the same list, ties broken by product id.
 */

/** Recently bought products whose co-purchase lists are read (most recent first). */
export const RELATED_SOURCES = 5;
/** Categories whose best sellers are candidates, besides the overall ones. */
export const POPULAR_CATEGORIES = 3;
/** The popularity window recommendations use, in days. */
export const RECOMMENDATION_POPULAR_DAYS = 7;

/**
 * Weights of the three signals, each normalized to 0..1: being bought together with a recent
 * purchase says most about this customer, a liked category next, popularity least (it is the
 * same for everyone, the fallback that makes a new customer's list useful).
 */
const WEIGHTS = { boughtTogether: 0.6, category: 0.25, popular: 0.15 } as const;
/** A category the customer only buys from counts at most half as much as a declared favourite. */
const BOUGHT_CATEGORY_WEIGHT = 0.5;

/** What the store read for one caller. */
export interface RankingSignals {
  readonly favoriteCategories: readonly Category[];
  readonly purchases: PurchaseSummary;
  /** Co-purchase counters of recently bought products, by that product's id. */
  readonly related: ReadonlyMap<string, Counters>;
  /** Units sold in the window, by scope (categories and ALL). */
  readonly popular: ReadonlyMap<PopularScope, Counters>;
}

interface Signal {
  boughtTogether: number;
  relatesTo?: string;
  popular: number;
  /** Known before the product is read when it came from a category's best sellers. */
  category?: Category;
}

/** The recent products whose co-purchase lists feed the ranking. */
export const relatedSources = (purchases: PurchaseSummary): string[] =>
  purchases.recent.slice(0, RELATED_SOURCES).map((entry) => entry.productId);

/** Categories whose best sellers are candidates: favourites first, then those bought from most. */
export function affinityCategories(favorites: readonly Category[], purchases: PurchaseSummary): Category[] {
  const bought = rankedIds(purchases.categories) as Category[];
  return [...new Set([...favorites, ...bought])].slice(0, POPULAR_CATEGORIES);
}

const maxOf = (counters: Counters): number => Math.max(0, ...Object.values(counters));
const round = (value: number): number => Math.round(value * 10_000) / 10_000;

function signalsOf(input: RankingSignals): Map<string, Signal> {
  const bought = new Set(input.purchases.recent.map((entry) => entry.productId));
  const signals = new Map<string, Signal>();
  const signal = (id: string): Signal => {
    let found = signals.get(id);
    if (!found) {
      found = { boughtTogether: 0, popular: 0 };
      signals.set(id, found);
    }
    return found;
  };
  // The more recent the purchase, the more its companions count: 1, 1/2, 1/3...
  relatedSources(input.purchases).forEach((source, index) => {
    const counters = input.related.get(source) ?? {};
    const max = maxOf(counters);
    for (const id of rankedIds(counters)) {
      if (bought.has(id)) continue;
      const value = (counters[id] ?? 0) / max / (index + 1);
      const current = signal(id);
      if (value > current.boughtTogether) {
        current.boughtTogether = value;
        current.relatesTo = source;
      }
    }
  });
  for (const [scope, counters] of input.popular) {
    const max = maxOf(counters);
    for (const id of rankedIds(counters)) {
      if (bought.has(id)) continue;
      const current = signal(id);
      current.popular = Math.max(current.popular, (counters[id] ?? 0) / max);
      if (scope !== ALL_CATEGORIES) current.category = scope;
    }
  }
  return signals;
}

function categoryAffinity(category: Category | undefined, input: RankingSignals): number {
  if (!category) return 0;
  if (input.favoriteCategories.includes(category)) return 1;
  const max = maxOf(input.purchases.categories);
  return max > 0 ? (BOUGHT_CATEGORY_WEIGHT * (input.purchases.categories[category] ?? 0)) / max : 0;
}

const scoreOf = (signal: Signal, affinity: number): number =>
  round(
    WEIGHTS.boughtTogether * signal.boughtTogether +
      WEIGHTS.category * affinity +
      WEIGHTS.popular * signal.popular,
  );

const best = (a: { id: string; score: number }, b: { id: string; score: number }) =>
  b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The products worth reading: the `max` best by what is known before reading them (a product
 * from a related or overall list has no category yet). Never one the caller bought recently.
 */
export function candidateIds(input: RankingSignals, max: number): string[] {
  return [...signalsOf(input)]
    .map(([id, signal]) => ({ id, score: scoreOf(signal, categoryAffinity(signal.category, input)) }))
    .sort(best)
    .slice(0, max)
    .map((candidate) => candidate.id);
}

/** The final list: candidates that exist and are in stock, scored with their category, best first. */
export function rankRecommendations(
  input: RankingSignals,
  products: ReadonlyMap<string, Product>,
  limit: number,
): Recommendation[] {
  const ranked: (Recommendation & { id: string })[] = [];
  for (const [id, signal] of signalsOf(input)) {
    const product = products.get(id);
    if (!product || product.stock <= 0) continue;
    const affinity = categoryAffinity(product.category, input);
    const reason: RecommendationReason =
      signal.boughtTogether > 0 && signal.relatesTo
        ? { type: 'bought_together', productId: signal.relatesTo }
        : affinity > 0
          ? { type: 'favorite_category', category: product.category }
          : { type: 'popular' };
    ranked.push({ id, product, score: scoreOf(signal, affinity), reason });
  }
  return ranked
    .sort(best)
    .slice(0, limit)
    .map(({ product, score, reason }) => ({ product, score, reason }));
}
