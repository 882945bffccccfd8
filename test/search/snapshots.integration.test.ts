import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { productKey } from '../../functions/catalog/keys.ts';
import { createProduct, deleteProduct } from '../../functions/catalog/store.ts';
import { deleteKeys, table, updateItem } from '../../functions/core/db.ts';
import { newId } from '../../functions/core/ids.ts';
import { compactIndex } from '../../functions/search/compaction.ts';
import { searchDocumentOf } from '../../functions/search/documents.ts';
import { handler as indexProducts } from '../../functions/search/index-products.ts';
import {
  appendChange,
  readSnapshot,
  readSnapshotPointer,
  writeSnapshot,
} from '../../functions/search/index-store.ts';
import { SNAPSHOT_POINTER_KEY } from '../../functions/search/keys.ts';
import {
  forgetLiveIndex,
  liveIndex,
  MAX_POLL_CHANGES,
  POLL_INTERVAL_MS,
} from '../../functions/search/live-index.ts';
import { searchProductsQuery } from '../../functions/search/model.ts';
import { searchProducts } from '../../functions/search/search.ts';
import { streamEvent, streamRecord } from '../support/stream-events.ts';
import { useFreshTable } from '../support/table.ts';

const HOUR_MS = 3600 * 1000;

/** The product item as stored: what a stream image carries. */
async function storedItem(id: string): Promise<Record<string, unknown>> {
  const { client, tableName } = table();
  const out = await client.send(new GetCommand({ TableName: tableName, Key: productKey(id) }));
  return out.Item ?? {};
}

async function consume(...records: Parameters<typeof streamEvent>): Promise<void> {
  expect(await indexProducts(streamEvent(...records))).toEqual({ batchItemFailures: [] });
}

const newProduct = async (name: string) =>
  (await createProduct({ name, description: '', category: 'home', price: 700, currency: 'EUR', stock: 1 }))
    .product;

const ids = (result: { items: { id: string }[] }) => result.items.map((item) => item.id);

/** A search once the warm index has polled again. */
async function search(query: Record<string, string>) {
  await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS + 50));
  return searchProducts(searchProductsQuery.parse(query));
}

describe('search snapshots (DynamoDB Local)', () => {
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

  it('keep a removal while a late copy of an older change can arrive (48 h), then drop it', async () => {
    const hat = await newProduct('Felt Hat');
    const hatItem = await storedItem(hat.id);
    await consume(streamRecord({ eventName: 'INSERT', newImage: hatItem, sequenceNumber: '200' }));
    await deleteProduct(hat.id);
    await consume(streamRecord({ eventName: 'REMOVE', oldImage: hatItem, sequenceNumber: '201' }));
    const now = Date.now();
    expect(await compactIndex(now + 60_000)).toMatchObject({ outcome: 'written', source: 'log' });
    const kept = (await readSnapshot())?.changes.find((change) => change.id === hat.id);
    expect(kept).toMatchObject({ id: hat.id, sequence: '201' });
    expect(kept?.doc).toBeUndefined();
    // Two days later something else changes, and the next compaction no longer needs the removal.
    const fan = await newProduct('Paper Fan');
    const doc = searchDocumentOf(await storedItem(fan.id));
    await appendChange({ id: fan.id, sequence: '202', ...(doc ? { doc } : {}) }, () => now + 49 * HOUR_MS);
    expect(await compactIndex(now + 49 * HOUR_MS + 20_000)).toMatchObject({ outcome: 'written' });
    const changes = (await readSnapshot())?.changes ?? [];
    expect(changes.map((change) => change.id).sort()).toEqual([oldId, fan.id].sort());
  });

  // Writes 1,001 log entries to DynamoDB Local: well past the default 30 s on a loaded machine.
  it('reload in an instance left behind the current snapshot, and read a long log in steps', {
    timeout: 180_000,
  }, async () => {
    const now = Date.now();
    // A rebuild from the catalog (the snapshot was lost): the compass was never logged.
    const compass = await newProduct('Brass Compass');
    await deleteKeys([SNAPSHOT_POINTER_KEY]);
    const later = now + 50 * HOUR_MS;
    expect(await compactIndex(later)).toMatchObject({ outcome: 'written', source: 'catalog' });
    const state = await liveIndex(later);
    const found = (word: string) => state.index.search({ tokens: [word], sort: 'relevance', limit: 5 }).ids;
    expect(found('compass')).toEqual([compass.id]);
    const held = state.index.size;
    // More changes than one poll reads (a minute's backlog): the rest come with the next request.
    const fillers = Array.from({ length: MAX_POLL_CHANGES + 1 }, (_, i) => newId(later + i));
    for (let i = 0; i < fillers.length; i += 25)
      await Promise.all(
        fillers.slice(i, i + 25).map((id, j) =>
          appendChange(
            {
              id,
              sequence: String(300 + i + j),
              doc: {
                id,
                name: 'Filler',
                description: '',
                categoryPath: ['home'],
                price: 100,
                inStock: true,
                createdAt: new Date(later).toISOString(),
              },
            },
            () => later + 1_000 + i + j,
          ),
        ),
      );
    expect((await liveIndex(later + 60_000)).index.size).toBe(held + MAX_POLL_CHANGES);
    expect((await liveIndex(later + 60_001)).index.size).toBe(held + MAX_POLL_CHANGES + 1);
  });

  it('are used whole or not at all: a short read keeps the old index', async () => {
    const far = Date.now() + 100 * HOUR_MS;
    const held = (await liveIndex(far)).index.size;
    expect(held).toBeGreaterThan(0);
    // A newer snapshot whose read misses a chunk (its pointer counts one more than there is).
    const pointer = await readSnapshotPointer();
    const next = { generation: newId(far), through: new Date(far + 60_000).toISOString(), changes: [] };
    expect(await writeSnapshot(next, pointer)).toBe(true);
    await updateItem({
      TableName: table().tableName,
      Key: SNAPSHOT_POINTER_KEY,
      UpdateExpression: 'SET chunks = chunks + :one',
      ExpressionAttributeValues: { ':one': 1 },
    });
    expect((await liveIndex(far + 120_000)).index.size).toBe(held);
    // A cold start cannot keep anything: it fails as a dependency does (a 503, retried).
    await expect(readSnapshot()).rejects.toMatchObject({ name: 'SnapshotIncomplete', $fault: 'server' });
  });
});
