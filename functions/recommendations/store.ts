import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { profileExists } from '../accounts/erasure-fence.ts';
import { getPreferencesWith } from '../accounts/preferences-store.ts';
import type { Category, Product } from '../catalog/model.ts';
import { getProducts, getProductWith } from '../catalog/store.ts';
import { batchGet, isConditionFailure, table, transactWrite } from '../core/db.ts';
import { Conflict, NotFound } from '../core/domain-errors.ts';
import { type Order, paidAt } from '../orders/model.ts';
import {
  appliedKey,
  PURCHASES_SK,
  popularKey,
  popularPartition,
  purchasesKey,
  RELATED_SK,
  relatedKey,
} from './keys.ts';
import {
  ALL_CATEGORIES,
  addBounded,
  addPurchases,
  type Contribution,
  type Counters,
  coPurchaseIncrements,
  dayBucketExpiry,
  dayOf,
  daysOfWindow,
  EMPTY_PURCHASES,
  POPULAR_DAY_CAP,
  POPULAR_WINDOWS,
  type PopularProductList,
  type PopularScope,
  type PopularWindow,
  type PurchaseSummary,
  pairProducts,
  RELATED_CAP,
  type Recommendation,
  type RelatedProductList,
  rankedIds,
  removePurchases,
  subtractCounters,
  sumCounters,
  unitsByScope,
} from './model.ts';
import {
  affinityCategories,
  candidateIds,
  type RankingSignals,
  RECOMMENDATION_POPULAR_DAYS,
  rankRecommendations,
  relatedSources,
} from './ranking.ts';

/**
 * Rounds of read-compute-write when another writer changed an aggregate in between (a version
 * moved, or a transaction conflict outlasted its retries). One writer per stream shard makes
 * this rare; a backfill running next to the consumer, or many shards, make it happen.
 */
const MAX_APPLY_ATTEMPTS = 12;
const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.min(20 * 2 ** attempt, 1000) * (0.5 + Math.random())));
/**
 * Products read beyond `limit`, so a few out-of-stock ones do not shorten the list (each read
 * product costs 0.5 RCU, whatever its size under 4 KB).
 */
const SLACK = 5;

type Key = { pk: string; sk: string };
type Item = Record<string, unknown>;
const keyId = (key: Key) => `${key.pk}|${key.sk}`;

/** The state of an order's contribution: applied when paid, taken back (or never applied) when cancelled. */
interface AppliedMarker {
  readonly state: 'paid' | 'cancelled';
  /** Absent on a `cancelled` marker whose payment was never applied. */
  readonly contribution?: Contribution;
}

/** An order as the aggregates need it: who paid what when. */
export interface PaidOrder {
  readonly id: string;
  /** Null once the customer's account is erased (the order stays, unlinked). */
  readonly userId: string | null;
  /** When it was paid (ISO): its units count in that UTC day's buckets. */
  readonly paidAt: string;
  readonly lines: readonly { productId: string; quantity: number; unitPrice: number }[];
}

/** The paid order as the aggregates see it (paid when its `paid` history entry says). */
export const paidOrderOf = (order: Order): PaidOrder => ({
  id: order.id,
  userId: order.userId,
  paidAt: paidAt(order) ?? order.updatedAt,
  lines: order.items,
});

export type ApplyOutcome = 'applied' | 'already applied' | 'taken back' | 'nothing to take back';

async function getMarker(orderId: string): Promise<AppliedMarker | undefined> {
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: appliedKey(orderId), ConsistentRead: true }),
  );
  return out.Item as AppliedMarker | undefined;
}

/** The contribution of a paid order: its lines with their products' categories, and its pairs. */
async function contributionOf(order: PaidOrder): Promise<Contribution> {
  const products = await getProducts(
    order.lines.map((line) => line.productId),
    { consistent: false },
  );
  return {
    orderId: order.id,
    day: dayOf(order.paidAt),
    lines: order.lines.map((line) => ({
      productId: line.productId,
      category: products.get(line.productId)?.product.category ?? null,
      quantity: line.quantity,
    })),
    pairProducts: pairProducts(order.lines),
  };
}

/** One aggregate item to rewrite: its key, its item as read (if any), and how it changes. */
interface AggregateChange {
  readonly key: Key;
  next(current: Item | undefined): Item | undefined;
}

/**
 * The aggregate items a contribution changes, and how (`sign` +1 applies it, -1 takes it back):
 * the co-purchase counters of each pair product, the day buckets of each line's category and
 * ALL, and the customer's purchase summary (when `userId` is given).
 */
function changesOf(contribution: Contribution, userId: string | null, sign: 1 | -1): AggregateChange[] {
  const counters = (current: Item | undefined, field: string): Counters =>
    (current?.[field] as Counters | undefined) ?? {};
  const changes: AggregateChange[] = [];
  for (const [productId, increments] of coPurchaseIncrements(contribution.pairProducts)) {
    changes.push({
      key: relatedKey(productId),
      next: (current) => ({
        entity: 'recs-related',
        productId,
        counts:
          sign > 0
            ? addBounded(counters(current, 'counts'), increments, RELATED_CAP)
            : subtractCounters(counters(current, 'counts'), increments),
      }),
    });
  }
  // Days older than the TTL would be deleted anyway (a backfill of old orders).
  const expiresAtEpoch = dayBucketExpiry(contribution.day);
  if (expiresAtEpoch > Date.now() / 1000) {
    for (const [scope, units] of unitsByScope(contribution.lines)) {
      changes.push({
        key: popularKey(scope, contribution.day),
        next: (current) => ({
          entity: 'recs-popular-day',
          scope,
          day: contribution.day,
          units:
            sign > 0
              ? addBounded(counters(current, 'units'), units, POPULAR_DAY_CAP)
              : subtractCounters(counters(current, 'units'), units),
          expiresAtEpoch,
        }),
      });
    }
  }
  if (userId) {
    changes.push({
      key: purchasesKey(userId),
      next: (current) => {
        const summary = purchasesOf(current);
        return {
          entity: 'recs-purchases',
          ...(sign > 0 ? addPurchases(summary, contribution) : removePurchases(summary, contribution)),
        };
      },
    });
  }
  return changes;
}

const purchasesOf = (item: Item | undefined): PurchaseSummary =>
  item
    ? {
        categories: (item.categories as Counters | undefined) ?? {},
        recent: (item.recent as PurchaseSummary['recent'] | undefined) ?? [],
      }
    : EMPTY_PURCHASES;

/**
 * Read-compute-write of every aggregate a contribution touches, in ONE transaction with the
 * order's marker: the items are read consistently, recomputed (bounded), and put back only if
 * their `version` is still the one read. Taking back (`sign` -1) never creates an item.
 */
async function writeWithMarker(
  marker: Record<string, unknown>,
  contribution: Contribution,
  userId: string | null,
  sign: 1 | -1,
): Promise<'written' | 'marker failed' | 'account gone' | 'raced'> {
  const { tableName } = table();
  const changes = changesOf(contribution, userId, sign);
  const current = new Map(
    (
      await batchGet(
        changes.map((change) => change.key),
        { consistent: true },
      )
    ).map((item) => [keyId(item as Key), item]),
  );
  const puts = changes.flatMap((change) => {
    const before = current.get(keyId(change.key));
    if (sign < 0 && !before) return [];
    const version = Number(before?.version ?? 0);
    return [
      {
        Put: {
          TableName: tableName,
          Item: { ...change.key, ...change.next(before), version: version + 1 },
          ConditionExpression: before ? 'version = :version' : 'attribute_not_exists(pk)',
          ...(before ? { ExpressionAttributeValues: { ':version': version } } : {}),
        },
      },
    ];
  });
  const accountCheck = userId ? [profileExists(userId)] : [];
  try {
    await transactWrite({ TransactItems: [marker, ...accountCheck, ...puts] }, { conflictRetries: 6 });
    return 'written';
  } catch (error) {
    if (error instanceof Conflict) return 'raced';
    if (!isConditionFailure(error)) throw error;
    if (isConditionFailure(error, 0)) return 'marker failed';
    if (userId && isConditionFailure(error, 1)) return 'account gone';
    return 'raced';
  }
}

/** Waits before another round, or gives up (the stream retries the record later). */
async function raced(orderId: string, attempt: number): Promise<void> {
  if (attempt >= MAX_APPLY_ATTEMPTS) throw new Error(`The aggregates of order ${orderId} kept changing.`);
  await pause(attempt);
}

/**
 * Applies a paid order to the aggregates exactly once: its marker (`attribute_not_exists`) is
 * written in the same transaction as the increments, so a replayed stream record, a backfill
 * over the same order, or a payment record arriving after the order's cancellation was
 * recorded, changes nothing. An erased customer's order still counts globally.
 */
export async function applyPaidOrder(order: PaidOrder): Promise<ApplyOutcome> {
  let userId = order.userId;
  let contribution: Contribution | undefined;
  for (let attempt = 1; ; attempt++) {
    if (await getMarker(order.id)) return 'already applied';
    contribution ??= await contributionOf(order);
    const marker = {
      Put: {
        TableName: table().tableName,
        Item: {
          ...appliedKey(order.id),
          entity: 'recs-applied',
          state: 'paid',
          contribution,
          appliedAt: new Date().toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    const outcome = await writeWithMarker(marker, contribution, userId, 1);
    if (outcome === 'written') return 'applied';
    if (outcome === 'marker failed') return 'already applied';
    if (outcome === 'account gone') userId = null;
    else await raced(order.id, attempt);
  }
}

/**
 * Takes a cancelled order's contribution back, exactly what its payment applied (read from the
 * marker). Without a marker the payment was never applied: a `cancelled` marker is written so
 * that a late or replayed payment record cannot apply it afterwards (`record: false` skips that,
 * for the backfill).
 */
export async function takeBackCancelledOrder(
  order: Pick<PaidOrder, 'id' | 'userId'>,
  options: { record?: boolean } = {},
): Promise<ApplyOutcome> {
  const { client, tableName } = table();
  let userId = order.userId;
  for (let attempt = 1; ; attempt++) {
    const marker = await getMarker(order.id);
    if (marker?.state === 'cancelled') return 'nothing to take back';
    if (!marker?.contribution) {
      if (options.record === false) return 'nothing to take back';
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...appliedKey(order.id),
              entity: 'recs-applied',
              state: 'cancelled',
              appliedAt: new Date().toISOString(),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return 'nothing to take back';
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        continue; // The payment was applied meanwhile (a backfill): take it back.
      }
    }
    const update = {
      Update: {
        TableName: tableName,
        Key: appliedKey(order.id),
        UpdateExpression: 'SET #state = :cancelled, cancelledAt = :now',
        ConditionExpression: '#state = :paid',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':cancelled': 'cancelled',
          ':paid': 'paid',
          ':now': new Date().toISOString(),
        },
      },
    };
    const outcome = await writeWithMarker(update, marker.contribution, userId, -1);
    if (outcome === 'written') return 'taken back';
    if (outcome === 'account gone') userId = null;
    else await raced(order.id, attempt);
  }
}

/** Units sold per product in a window, summed over its day buckets: ONE Query. */
async function unitsInWindow(scope: PopularScope, days: number): Promise<Counters> {
  const { client, tableName } = table();
  const window = daysOfWindow(days);
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
      ExpressionAttributeValues: {
        ':pk': popularPartition(scope),
        ':first': window.at(-1),
        ':last': window[0],
      },
    }),
  );
  return sumCounters((out.Items ?? []).map((item) => (item.units as Counters | undefined) ?? {}));
}

/** The in-stock products among the best `limit` (+ slack) ids of the counters, with their counts. */
async function inStockTop(
  counters: Counters,
  limit: number,
  exclude?: string,
): Promise<{ product: Product; count: number }[]> {
  const ids = rankedIds(counters)
    .filter((id) => id !== exclude)
    .slice(0, limit + SLACK);
  if (ids.length === 0) return [];
  const products = await getProducts(ids, { consistent: false });
  return ids
    .flatMap((id) => {
      const product = products.get(id)?.product;
      return product && product.stock > 0 ? [{ product, count: counters[id] ?? 0 }] : [];
    })
    .slice(0, limit);
}

/**
 * Best sellers by units in the window, in stock: one Query over the window's day buckets of
 * the category (or ALL), then one BatchGet of the products.
 */
export async function popularProducts(
  category: Category | undefined,
  window: PopularWindow,
  limit: number,
): Promise<PopularProductList> {
  const units = await unitsInWindow(category ?? ALL_CATEGORIES, POPULAR_WINDOWS[window]);
  const items = await inStockTop(units, limit);
  return {
    category: category ?? null,
    window,
    items: items.map(({ product, count }) => ({ product, unitsSold: count })),
  };
}

/**
 * Products most often bought together with one: ONE Query of the product's partition (the
 * product and its co-purchase counters), then one BatchGet. Without purchase history (or none
 * of it in stock) the category's best sellers of the last 7 days stand in (one more Query).
 */
export async function relatedProducts(productId: string, limit: number): Promise<RelatedProductList> {
  const { product, item } = await getProductWith(productId, RELATED_SK);
  if (!product) throw new NotFound(`No product with id ${productId}.`);
  const together = await inStockTop((item?.counts as Counters | undefined) ?? {}, limit, productId);
  if (together.length > 0) return { productId, basis: 'bought_together', items: together };
  const units = await unitsInWindow(product.category, RECOMMENDATION_POPULAR_DAYS);
  return { productId, basis: 'popular_in_category', items: await inStockTop(units, limit, productId) };
}

/**
 * The caller's recommendations. Three requests, whatever the caller's history: ONE Query of
 * the user's partition (preferences and purchase summary), ONE BatchGet of the aggregates they
 * point to (co-purchase lists of the 5 most recent purchases, the last 7 days' buckets of up
 * to 3 liked categories and ALL), ONE BatchGet of the candidate products. Ranking: ranking.ts.
 */
export async function recommendationsFor(userId: string, limit: number): Promise<Recommendation[]> {
  const { preferences, item } = await getPreferencesWith(userId, PURCHASES_SK);
  const purchases = purchasesOf(item);
  const sources = relatedSources(purchases);
  const scopes: PopularScope[] = [
    ...affinityCategories(preferences.favoriteCategories, purchases),
    ALL_CATEGORIES,
  ];
  const days = daysOfWindow(RECOMMENDATION_POPULAR_DAYS);
  const aggregates = await batchGet(
    [
      ...sources.map((id) => relatedKey(id)),
      ...scopes.flatMap((scope) => days.map((day) => popularKey(scope, day))),
    ],
    { consistent: false },
  );
  const related = new Map<string, Counters>();
  const dayUnits = new Map<PopularScope, Counters[]>();
  for (const aggregate of aggregates) {
    if (aggregate.entity === 'recs-related') {
      related.set(String(aggregate.productId), (aggregate.counts as Counters | undefined) ?? {});
    } else {
      const scope = aggregate.scope as PopularScope;
      dayUnits.set(scope, [...(dayUnits.get(scope) ?? []), (aggregate.units as Counters | undefined) ?? {}]);
    }
  }
  const signals: RankingSignals = {
    favoriteCategories: preferences.favoriteCategories,
    purchases,
    related,
    popular: new Map([...dayUnits].map(([scope, all]) => [scope, sumCounters(all)])),
  };
  const candidates = candidateIds(signals, limit + SLACK);
  if (candidates.length === 0) return [];
  const products = await getProducts(candidates, { consistent: false });
  return rankRecommendations(
    signals,
    new Map([...products].map(([id, { product }]) => [id, product])),
    limit,
  );
}

/** The caller's purchase summary (export): categories and recent products, or null. */
export async function purchaseSummaryOf(userId: string): Promise<PurchaseSummary | null> {
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: purchasesKey(userId), ConsistentRead: true }),
  );
  return out.Item ? purchasesOf(out.Item) : null;
}

/** Erasure: the purchase summary goes (global counters hold no personal data). */
export async function erasePurchaseSummary(userId: string): Promise<void> {
  const { client, tableName } = table();
  await client.send(new DeleteCommand({ TableName: tableName, Key: purchasesKey(userId) }));
}
