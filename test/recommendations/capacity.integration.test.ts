import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES } from '../../functions/accounts/model.ts';
import { putPreferences } from '../../functions/accounts/preferences-store.ts';
import type { Product } from '../../functions/catalog/model.ts';
import { putProduct } from '../../functions/catalog/store.ts';
import {
  popularProducts,
  recommendationsFor,
  relatedProducts,
} from '../../functions/recommendations/store.ts';
import { handler as updateAggregates } from '../../functions/recommendations/update-aggregates.ts';
import { demoProducts } from '../../lib/demo/seed.ts';
import { type Consumption, meteredClient, sum } from '../support/capacity.ts';
import { quietLogger } from '../support/logs.ts';
import { aProduct, storedProduct } from '../support/products.ts';
import { cancelRecord, paidOrder } from '../support/recommendations.ts';
import { streamEvent } from '../support/stream-events.ts';
import { useFreshTable } from '../support/table.ts';
import { aUser } from '../support/users.ts';

/**
 * What the recommendation reads and the consumer's work per order consume, as DynamoDB Local
 * reports it (ReturnConsumedCapacity on every command the stores send), on a table with a
 * realistic history: the demo catalog (60 products) and 40 paid orders of 2 to 5 lines. The
 * figures are printed for docs/access-patterns.md; the tests pin the request pattern.
 */
describe('the capacity recommendation reads and aggregate updates consume (DynamoDB Local ConsumedCapacity)', () => {
  let meter: ReturnType<typeof meteredClient>;
  let catalog: Product[];
  const figures: Record<string, unknown>[] = [];

  /** Runs `work` and returns what each DynamoDB command it sent consumed. */
  async function measure(work: () => Promise<unknown>): Promise<Consumption[]> {
    meter.consumed.length = 0;
    await work();
    return [...meter.consumed];
  }

  const record = (label: string, commands: readonly Consumption[]) =>
    figures.push({
      [label]: commands.map((c) => `${c.command}${c.items === undefined ? '' : `(${c.items})`}`).join(' + '),
      rcu: sum(commands, 'read'),
      wcu: sum(commands, 'write'),
      ...(sum(commands, 'write') > 0
        ? { realDynamoDbWcuEstimate: commands.reduce((total, c) => total + (c.billedWrite ?? c.write), 0) }
        : {}),
    });

  /** Pays an order of the first `lines` catalog products (from `offset`) and returns its stream record. */
  const paidRecord = async (lines: number, offset = 0) => {
    const buyer = await aUser('capacity');
    return paidOrder(
      buyer.id,
      catalog
        .slice(offset, offset + lines)
        .map((product, i) => ({ productId: product.id, quantity: 1 + (i % 3) })),
    );
  };

  beforeAll(async () => {
    const { tableName } = await useFreshTable();
    meter = meteredClient(tableName);
    quietLogger();
    catalog = demoProducts(60).map((demo) => aProduct({ ...demo, id: aProduct().id, stock: 10_000 }));
    for (const product of catalog) await putProduct(product);
    // A deterministic history: order i buys 2..5 products around position 3i.
    for (let i = 0; i < 40; i++) {
      const { paid } = await paidRecord(2 + (i % 4), (i * 3) % 55);
      await updateAggregates(streamEvent(paid));
    }
  });

  afterAll(() => {
    meter.destroy();
    // The figures for docs/access-patterns.md and the issue's closing note.
    console.log(`[capacity] recommendations:\n${figures.map((f) => JSON.stringify(f)).join('\n')}`);
  });

  it.each([1, 2, 5, 10, 50])(
    'a paid order of %i line(s): marker read, products read, aggregates read, one transaction',
    async (lines) => {
      const { paid } = await paidRecord(lines, lines === 50 ? 5 : 20);
      const commands = await measure(() => updateAggregates(streamEvent(paid)));
      expect(commands.map((c) => c.command)).toEqual([
        'GetItem',
        'BatchGetItem',
        'BatchGetItem',
        'TransactWriteItems',
      ]);
      const transaction = commands.at(-1) as Consumption;
      // Marker + account check + at most 10 co-purchase items + category days + ALL + the customer's summary.
      expect(transaction.items).toBeLessThanOrEqual(2 + Math.min(lines, 10) + Math.min(lines, 10) + 1 + 1);
      record(`paid order, ${lines} line(s)`, commands);

      const replay = await measure(() => updateAggregates(streamEvent(paid)));
      expect(replay.map((c) => c.command)).toEqual(['GetItem']);
      if (lines === 2) record('replayed record', replay);
    },
  );

  it('a cancellation after payment: marker read, aggregates read, one transaction', async () => {
    const { order, paid } = await paidRecord(3, 30);
    await updateAggregates(streamEvent(paid));
    const cancelled = await cancelRecord(order.id);
    const commands = await measure(() => updateAggregates(streamEvent(cancelled)));
    expect(commands.map((c) => c.command)).toEqual(['GetItem', 'BatchGetItem', 'TransactWriteItems']);
    record('cancelled order, 3 lines', commands);
  });

  it('GET /products/{id}/related: one Query of the product’s partition and one BatchGet', async () => {
    const commands = await measure(() => relatedProducts(catalog[21]?.id as string, 10));
    expect(commands.map((c) => c.command)).toEqual(['Query', 'BatchGetItem']);
    record('related, with history (limit 10)', commands);
    const lonely = await storedProduct({ category: 'books' });
    const fallback = await measure(() => relatedProducts(lonely.id, 10));
    expect(fallback.map((c) => c.command)).toEqual(['Query', 'Query', 'BatchGetItem']);
    record('related, no history: category best sellers (limit 10)', fallback);
  });

  it.each([
    [undefined, '7d'],
    [undefined, '30d'],
    ['home', '7d'],
  ] as const)(
    'GET /products/popular?category=%s&window=%s: one Query and one BatchGet',
    async (category, window) => {
      const commands = await measure(() => popularProducts(category, window, 10));
      expect(commands.map((c) => c.command)).toEqual(['Query', 'BatchGetItem']);
      record(`popular ${category ?? 'ALL'} ${window} (limit 10)`, commands);
    },
  );

  it('GET /me/recommendations: one Query, one BatchGet of aggregates, one BatchGet of products', async () => {
    const newcomer = await aUser('newcomer');
    const fresh = await measure(() => recommendationsFor(newcomer.id, 10));
    expect(fresh.map((c) => c.command)).toEqual(['Query', 'BatchGetItem', 'BatchGetItem']);
    record('recommendations, new customer (limit 10)', fresh);

    const regular = await aUser('regular');
    await putPreferences(regular.id, { ...DEFAULT_PREFERENCES, favoriteCategories: ['books', 'toys'] });
    for (const offset of [0, 10, 20]) {
      await updateAggregates(
        streamEvent(
          (
            await paidOrder(
              regular.id,
              catalog.slice(offset, offset + 3).map((p) => ({ productId: p.id, quantity: 1 })),
            )
          ).paid,
        ),
      );
    }
    const known = await measure(() => recommendationsFor(regular.id, 10));
    expect(known.map((c) => c.command)).toEqual(['Query', 'BatchGetItem', 'BatchGetItem']);
    record('recommendations, 3 orders + 2 favourites (limit 10)', known);
  });
});
