import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCategory } from '../../functions/catalog/category-store.ts';
import { productKey } from '../../functions/catalog/keys.ts';
import { createProduct, deleteProduct, updateProduct } from '../../functions/catalog/store.ts';
import { table } from '../../functions/core/db.ts';
import { compactIndex, OVERLAP_MS } from '../../functions/search/compaction.ts';
import { handler as indexProducts } from '../../functions/search/index-products.ts';
import {
  appendChange,
  logPositionAt,
  readChanges,
  readSnapshot,
} from '../../functions/search/index-store.ts';
import { forgetLiveIndex, POLL_INTERVAL_MS } from '../../functions/search/live-index.ts';
import { searchProductsQuery } from '../../functions/search/model.ts';
import { searchProducts } from '../../functions/search/search.ts';
import { streamEvent, streamRecord } from '../support/stream-events.ts';
import { useFreshTable } from '../support/table.ts';

/** The product item as stored: what a stream image carries. */
async function storedItem(id: string): Promise<Record<string, unknown>> {
  const { client, tableName } = table();
  const out = await client.send(new GetCommand({ TableName: tableName, Key: productKey(id) }));
  return out.Item ?? {};
}

async function consume(...records: Parameters<typeof streamEvent>): Promise<void> {
  expect(await indexProducts(streamEvent(...records))).toEqual({ batchItemFailures: [] });
}

/** A search once the warm index has polled the log again. */
async function search(query: Record<string, string>) {
  await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS + 50));
  return searchProducts(searchProductsQuery.parse(query));
}
const ids = (result: { items: { id: string }[] }) => result.items.map((item) => item.id);

describe('the search index follows product changes from stream records (DynamoDB Local)', () => {
  let lampId: string;
  let lampItem: Record<string, unknown>;

  beforeAll(async () => {
    await useFreshTable();
    forgetLiveIndex();
    const { product } = await createProduct({
      name: 'Brass Desk Lamp',
      description: 'A lamp for reading.',
      category: 'home',
      price: 4500,
      currency: 'EUR',
      stock: 3,
    });
    lampId = product.id;
    lampItem = await storedItem(lampId);
    // The first search loads the (empty) index: no snapshot, nothing logged yet.
    expect((await searchProducts(searchProductsQuery.parse({}))).items).toEqual([]);
    await consume(streamRecord({ eventName: 'INSERT', newImage: lampItem, sequenceNumber: '100' }));
  });

  it('finds a created product by a word, a prefix and a typo', async () => {
    expect(ids(await search({ q: 'lamp' }))).toEqual([lampId]);
    expect(ids(await search({ q: 'bra' }))).toEqual([lampId]);
    expect(ids(await search({ q: 'redaing' }))).toEqual([lampId]);
  });

  it('logs no change for a stock change that stays in stock, and moves inStock when stock runs out', async () => {
    const before = (await readChanges(logPositionAt(0))).length;
    await consume(
      streamRecord({
        eventName: 'MODIFY',
        oldImage: lampItem,
        newImage: { ...lampItem, stock: 2 },
        sequenceNumber: '101',
      }),
    );
    expect(await readChanges(logPositionAt(0))).toHaveLength(before);
    // The table sells out too: a page answers the table's products, filtered as the table has them.
    await updateProduct(lampId, { stock: 0 });
    const soldOut = { ...lampItem, stock: 0 };
    await consume(
      streamRecord({ eventName: 'MODIFY', oldImage: lampItem, newImage: soldOut, sequenceNumber: '102' }),
    );
    expect(ids(await search({ q: 'lamp', inStock: 'true' }))).toEqual([]);
    expect(ids(await search({ q: 'lamp', inStock: 'false' }))).toEqual([lampId]);
  });

  it('searches a renamed product by its new name only, and ignores an older change delivered late', async () => {
    const renamed = await updateProduct(lampId, { name: 'Brass Reading Light' });
    const item = await storedItem(lampId);
    await consume(
      streamRecord({ eventName: 'MODIFY', oldImage: lampItem, newImage: item, sequenceNumber: '103' }),
    );
    // A redelivery of the first change (lower sequence number) must not bring the old name back.
    await consume(streamRecord({ eventName: 'INSERT', newImage: lampItem, sequenceNumber: '100' }));
    expect(ids(await search({ q: 'light' }))).toEqual([renamed.product.id]);
    expect(ids(await search({ q: 'desk' }))).toEqual([]);
  });

  it('finds a product of a category created after the index loaded, under its ancestors too', async () => {
    const lighting = await createCategory({
      slug: 'lighting',
      name: 'Lighting',
      parentId: 'home',
      position: 0,
    });
    const { product } = await createProduct({
      name: 'Paper Lantern',
      description: '',
      category: 'lighting',
      price: 1200,
      currency: 'EUR',
      stock: 1,
    });
    await consume(
      streamRecord({ eventName: 'INSERT', newImage: await storedItem(product.id), sequenceNumber: '104' }),
    );
    expect(ids(await search({ q: 'lantern', category: 'home' }))).toEqual([product.id]);
    expect(ids(await search({ q: 'lighting' }))).toEqual([product.id]);
    const result = await search({ category: 'home' });
    expect(result.facets.category).toEqual([
      { slug: 'home', count: 2 },
      { slug: lighting.category.slug, count: 1 },
    ]);
  });

  it('forgets a removed product, and a late copy of its creation does not bring it back', async () => {
    const item = await storedItem(lampId);
    await deleteProduct(lampId);
    await consume(streamRecord({ eventName: 'REMOVE', oldImage: item, sequenceNumber: '105' }));
    await consume(streamRecord({ eventName: 'INSERT', newImage: lampItem, sequenceNumber: '100' }));
    expect(ids(await search({ q: 'brass' }))).toEqual([]);
  });

  it('a new instance loads the compacted snapshot and the log after it, and finds the same', async () => {
    const before = await search({ sort: 'price_asc' });
    // First compaction: no snapshot yet, so it reads the catalog.
    expect(await compactIndex()).toMatchObject({ outcome: 'written', source: 'catalog', documents: 1 });
    const snapshot = await readSnapshot();
    expect(snapshot?.changes.map((change) => change.id)).toEqual(ids(before));
    forgetLiveIndex();
    expect(ids(await search({ sort: 'price_asc' }))).toEqual(ids(before));
    // Later ones fold the log (and skip when nothing was logged since).
    expect(await compactIndex(Date.now() + 60_000)).toMatchObject({ outcome: 'written', source: 'log' });
    expect(await compactIndex(Date.now() + 120_000)).toEqual({ outcome: 'unchanged' });
  });

  it('answers only products that meet the price and stock filters as the table has them now', async () => {
    const { product } = await createProduct({
      name: 'Copper Kettle',
      description: '',
      category: 'home',
      price: 5000,
      currency: 'EUR',
      stock: 3,
    });
    await consume(
      streamRecord({ eventName: 'INSERT', newImage: await storedItem(product.id), sequenceNumber: '500' }),
    );
    expect(ids(await search({ q: 'copper', inStock: 'true', maxPrice: '6000' }))).toEqual([product.id]);
    // The table changes before the index hears of it: the page must not contradict the filters.
    await updateProduct(product.id, { stock: 0 });
    expect(ids(await search({ q: 'copper', inStock: 'true' }))).toEqual([]);
    await updateProduct(product.id, { stock: 2, price: 9000 });
    expect(ids(await search({ q: 'copper', maxPrice: '6000' }))).toEqual([]);
    expect(ids(await search({ q: 'copper' }))).toEqual([product.id]);
  });

  it('logs a change again with a fresh time when its write landed late (throttled, retried)', async () => {
    // A quiet stretch of the log, days ahead; the first write takes 10 s, the second is quick.
    const start = Date.now() + 200 * 3600 * 1000;
    const times = [start, start + 10_000];
    const clock = () => times.shift() ?? start + 10_000;
    await appendChange({ id: lampId, sequence: '400' }, clock);
    // A reader that last read at start + 10 s starts OVERLAP_MS before that, and still sees it.
    const seen = await readChanges(logPositionAt(start + 10_000 - OVERLAP_MS));
    expect(seen.map((change) => [change.id, change.sequence])).toContainEqual([lampId, '400']);
  });
});
