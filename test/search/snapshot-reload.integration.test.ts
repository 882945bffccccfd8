import { beforeAll, describe, expect, it } from 'vitest';
import { createProduct } from '../../functions/catalog/store.ts';
import { compactIndex } from '../../functions/search/compaction.ts';
import { forgetLiveIndex, liveIndex, POLL_INTERVAL_MS } from '../../functions/search/live-index.ts';
import { searchProductsQuery } from '../../functions/search/model.ts';
import { searchProducts } from '../../functions/search/search.ts';
import { useFreshTable } from '../support/table.ts';

const ids = (result: { items: { id: string }[] }) => result.items.map((item) => item.id);

/** A search once the warm index has polled again. */
async function search(query: Record<string, string>) {
  await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS + 50));
  return searchProducts(searchProductsQuery.parse(query));
}

describe('a search instance that loaded before any snapshot existed (DynamoDB Local)', () => {
  let oldId: string;

  beforeAll(async () => {
    await useFreshTable();
    forgetLiveIndex();
    // A product from before the stream consumer was deployed: in the catalog, never in the log.
    const { product } = await createProduct({
      name: 'Pewter Quill',
      description: 'Writes in the old way.',
      category: 'books',
      price: 900,
      currency: 'EUR',
      stock: 2,
    });
    oldId = product.id;
  });

  it('finds the old catalog once the first compaction has written a snapshot', async () => {
    expect(ids(await searchProducts(searchProductsQuery.parse({ q: 'quill' })))).toEqual([]);
    expect((await liveIndex()).index.size).toBe(0);
    expect(await compactIndex()).toMatchObject({ outcome: 'written', source: 'catalog', documents: 1 });
    expect(ids(await search({ q: 'quill' }))).toEqual([oldId]);
  });
});
