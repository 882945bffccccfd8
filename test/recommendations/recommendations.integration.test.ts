import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../../functions/accounts/model.ts';
import { DEFAULT_PREFERENCES } from '../../functions/accounts/model.ts';
import { putPreferences } from '../../functions/accounts/preferences-store.ts';
import type { Category, Product } from '../../functions/catalog/model.ts';
import { updateProduct } from '../../functions/catalog/store.ts';
import { table } from '../../functions/core/db.ts';
import { NotFound } from '../../functions/core/domain-errors.ts';
import { asHttpError } from '../../functions/core/http.ts';
import { orderKey } from '../../functions/orders/keys.ts';
import { erasePersonalData, exportPersonalData } from '../../functions/privacy/personal-data.ts';
import { appliedKey } from '../../functions/recommendations/keys.ts';
import { MAX_PAIR_LINES } from '../../functions/recommendations/model.ts';
import {
  popularProducts,
  purchaseSummaryOf,
  recommendationsFor,
  relatedProducts,
} from '../../functions/recommendations/store.ts';
import { handler as updateAggregates } from '../../functions/recommendations/update-aggregates.ts';
import { quietLogger } from '../support/logs.ts';
import { aProduct, storedProduct } from '../support/products.ts';
import { aggregatesOf, cancelRecord, type Line, paidOrder, shipRecord } from '../support/recommendations.ts';
import { modifiedItem, streamEvent } from '../support/stream-events.ts';
import { useFreshTable } from '../support/table.ts';
import { aUser } from '../support/users.ts';

/** Stores products one after another, so their ids (and ties broken by id) follow the list. */
async function products(...specs: [name: string, category: Category][]): Promise<Product[]> {
  const stored: Product[] = [];
  for (const [name, category] of specs) {
    const product = await storedProduct({ name, category, stock: 1000, price: 1000 });
    stored.push(product);
  }
  return stored;
}

const one = (product: Product, quantity = 1): Line => ({ productId: product.id, quantity });

/** Runs the consumer on a batch of records; fails the test on any reported failure. */
async function consume(...records: Parameters<typeof streamEvent>): Promise<void> {
  expect(await updateAggregates(streamEvent(...records))).toEqual({ batchItemFailures: [] });
}

const idsOf = (items: readonly { product: Product }[]) => items.map((item) => item.product.id);

describe('recommendation aggregates, kept by the update-aggregates stream consumer', () => {
  beforeAll(async () => {
    await useFreshTable();
    quietLogger();
  });

  describe('after a scripted set of paid orders', () => {
    let kettle: Product;
    let teapot: Product;
    let tea: Product;
    let mug: Product;
    let soldOut: Product;
    let novel: Product;
    let lamp: Product;
    let dave: Account;
    const records: Parameters<typeof streamEvent> = [];

    beforeAll(async () => {
      [kettle, teapot, tea, mug, soldOut, novel, lamp] = (await products(
        ['Kettle', 'home'],
        ['Teapot', 'home'],
        ['Tea', 'grocery'],
        ['Mug', 'home'],
        ['Sold out', 'home'],
        ['Novel', 'books'],
        ['Lamp', 'home'],
      )) as [Product, Product, Product, Product, Product, Product, Product];
      const [alice, bob, carol, erin] = await Promise.all([
        aUser('alice'),
        aUser('bob'),
        aUser('carol'),
        aUser('erin'),
      ]);
      dave = await aUser('dave');
      await putPreferences(dave.id, { ...DEFAULT_PREFERENCES, favoriteCategories: ['books'] });
      const baskets: [Account, Line[]][] = [
        [alice as Account, [one(kettle), one(teapot)]],
        [bob as Account, [one(kettle), one(teapot, 2), one(tea)]],
        [carol as Account, [one(kettle), one(tea, 3)]],
        [carol as Account, [one(kettle), one(teapot), one(mug), one(soldOut)]],
        [erin as Account, [one(novel, 2)]],
        [dave, [one(kettle)]],
      ];
      for (const [user, lines] of baskets) records.push((await paidOrder(user.id, lines)).paid);
      await consume(...records);
      await updateProduct(soldOut.id, { stock: 0 });
    });

    it('ranks what was bought with a product by how many orders had both, in stock only, with the count', async () => {
      expect(await relatedProducts(kettle.id, 10)).toEqual({
        productId: kettle.id,
        basis: 'bought_together',
        items: [
          { product: expect.objectContaining({ id: teapot.id }), count: 3 },
          { product: expect.objectContaining({ id: tea.id }), count: 2 },
          { product: expect.objectContaining({ id: mug.id }), count: 1 },
        ],
      });
      const forTeapot = await relatedProducts(teapot.id, 2);
      expect(forTeapot.items.map((item) => [item.product.id, item.count])).toEqual([
        [kettle.id, 3],
        [tea.id, 1],
      ]);
    });

    it('falls back to the category’s best sellers for a product nobody bought with anything', async () => {
      const related = await relatedProducts(lamp.id, 3);
      expect(related.basis).toBe('popular_in_category');
      // home units: kettle 5, teapot 4, mug 1 (sold out excluded, the lamp itself too).
      expect(related.items.map((item) => [item.product.id, item.count])).toEqual([
        [kettle.id, 5],
        [teapot.id, 4],
        [mug.id, 1],
      ]);
    });

    it('answers 404 for a product that does not exist', async () => {
      const error = await relatedProducts(aProduct().id, 10).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFound);
      expect(asHttpError(error)).toMatchObject({ statusCode: 404 });
    });

    it('ranks best sellers by units, overall and per category, leaving out what is out of stock', async () => {
      const overall = await popularProducts(undefined, '7d', 10);
      expect(overall.items.map((item) => [item.product.id, item.unitsSold])).toEqual([
        [kettle.id, 5],
        [teapot.id, 4],
        [tea.id, 4],
        [novel.id, 2],
        [mug.id, 1],
      ]);
      expect((await popularProducts('grocery', '30d', 10)).items.map((item) => item.product.id)).toEqual([
        tea.id,
      ]);
      expect((await popularProducts('toys', '7d', 10)).items).toEqual([]);
      expect(idsOf((await popularProducts(undefined, '7d', 2)).items)).toEqual([kettle.id, teapot.id]);
    });

    it('recommends what is bought with the customer’s purchases first, then their favourite category, never what they bought', async () => {
      const recommendations = await recommendationsFor(dave.id, 10);
      expect(recommendations.map(({ product, score, reason }) => [product.name, score, reason])).toEqual([
        // 0.6 x bought together (normalized, by recency) + 0.25 x category + 0.15 x popularity.
        ['Teapot', 0.845, { type: 'bought_together', productId: kettle.id }],
        ['Tea', 0.52, { type: 'bought_together', productId: kettle.id }],
        ['Novel', 0.4, { type: 'favorite_category', category: 'books' }],
        ['Mug', 0.355, { type: 'bought_together', productId: kettle.id }],
      ]);
      expect(await recommendationsFor(dave.id, 10)).toEqual(recommendations);
      expect(idsOf(await recommendationsFor(dave.id, 2))).toEqual([teapot.id, tea.id]);
    });

    it('gives a brand-new customer the best sellers', async () => {
      const newcomer = await aUser('newcomer');
      const recommendations = await recommendationsFor(newcomer.id, 10);
      expect(recommendations.map((r) => [r.product.id, r.reason.type])).toEqual([
        [kettle.id, 'popular'],
        [teapot.id, 'popular'],
        [tea.id, 'popular'],
        [novel.id, 'popular'],
        [mug.id, 'popular'],
      ]);
      expect(recommendations.map((r) => r.score)).toEqual([0.15, 0.12, 0.12, 0.06, 0.03]);
    });

    it('changes nothing when the same stream records are delivered again', async () => {
      const all = [kettle, teapot, tea, mug, soldOut, novel].map((p) => p.id);
      const before = await aggregatesOf(all, ['ALL', 'home', 'grocery', 'books']);
      const summary = await purchaseSummaryOf(dave.id);
      await consume(...records);
      await consume(...[...records].reverse());
      expect(await aggregatesOf(all, ['ALL', 'home', 'grocery', 'books'])).toEqual(before);
      expect(await purchaseSummaryOf(dave.id)).toEqual(summary);
    });
  });

  describe('a cancellation after payment', () => {
    it('takes back exactly what the payment added; replays of either record change nothing', async () => {
      const [pen, ink] = (await products(['Pen', 'fashion'], ['Ink', 'fashion'])) as [Product, Product];
      const buyer = await aUser('buyer');
      const untouched = await aggregatesOf([pen.id, ink.id], ['fashion']);
      const { order, paid } = await paidOrder(buyer.id, [one(pen), one(ink, 4)]);
      await consume(paid);
      expect((await relatedProducts(pen.id, 5)).items.map((item) => item.count)).toEqual([1]);
      expect((await popularProducts('fashion', '7d', 5)).items.map((item) => item.unitsSold)).toEqual([4, 1]);
      expect((await purchaseSummaryOf(buyer.id))?.recent.map((entry) => entry.productId).sort()).toEqual(
        [pen.id, ink.id].sort(),
      );

      const cancelled = await cancelRecord(order.id);
      await consume(cancelled);
      await consume(cancelled, paid);
      expect((await relatedProducts(pen.id, 5)).basis).toBe('popular_in_category');
      expect((await popularProducts('fashion', '7d', 5)).items).toEqual([]);
      expect(await purchaseSummaryOf(buyer.id)).toEqual({ categories: {}, recent: [] });
      // The items stay (with their versions), empty: nothing counted is left.
      const after = await aggregatesOf([pen.id, ink.id], ['fashion']);
      expect(untouched).toEqual([]);
      expect(after.flatMap((item) => Object.values((item.counts ?? item.units) as object))).toEqual([]);
    });

    it('never applies a payment whose record comes after the cancellation was recorded', async () => {
      const [cup] = (await products(['Cup', 'sports'])) as [Product];
      const buyer = await aUser('late');
      const { order, paid } = await paidOrder(buyer.id, [one(cup, 2)]);
      await consume(await cancelRecord(order.id));
      await consume(paid);
      expect((await popularProducts('sports', '7d', 5)).items).toEqual([]);
      expect(await purchaseSummaryOf(buyer.id)).toBeNull();
    });
  });

  it('counts pairs among the 10 largest lines only, so an order of 50 lines writes 10 co-purchase items', async () => {
    const many = await products(
      ...Array.from({ length: 50 }, (_, i): [string, Category] => [`Part ${i}`, 'garden']),
    );
    const buyer = await aUser('bulk');
    // Quantity grows with the index: the last 10 lines are the largest (same price).
    const { order, paid } = await paidOrder(
      buyer.id,
      many.map((product, i) => one(product, i + 1)),
    );
    await consume(paid);
    const { client, tableName } = table();
    const marker = await client.send(new GetCommand({ TableName: tableName, Key: appliedKey(order.id) }));
    const largest = many.slice(-MAX_PAIR_LINES).map((p) => p.id);
    expect([...((marker.Item?.contribution?.pairProducts ?? []) as string[])].sort()).toEqual(
      [...largest].sort(),
    );
    const related = await aggregatesOf(
      many.map((p) => p.id),
      [],
    );
    expect(related.map((item) => item.productId).sort()).toEqual([...largest].sort());
    for (const item of related) expect(Object.keys(item.counts as object)).toHaveLength(MAX_PAIR_LINES - 1);
    // Every line still counts as sold.
    const garden = await popularProducts('garden', '7d', 50);
    expect(garden.items).toHaveLength(50);
    expect(garden.items[0]).toMatchObject({ product: { id: many[49]?.id }, unitsSold: 50 });
  });

  it('reports a poison record as the batch’s failure and still applies the records around it', async () => {
    const [bat, ball] = (await products(['Bat', 'toys'], ['Ball', 'toys'])) as [Product, Product];
    const buyer = await aUser('poison');
    const { paid } = await paidOrder(buyer.id, [one(bat), one(ball)]);
    const poison = modifiedItem(
      { ...orderKey('broken'), entity: 'order', status: 'pending_payment' },
      { status: 'paid', items: 'not a list' },
    );
    const result = await updateAggregates(streamEvent(poison, paid));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: poison.dynamodb?.SequenceNumber }] });
    expect((await relatedProducts(bat.id, 5)).items.map((item) => item.product.id)).toEqual([ball.id]);
  });

  it('ignores order changes that are neither a payment nor a cancellation of a paid order', async () => {
    const [drum] = (await products(['Drum', 'music'])) as [Product];
    const buyer = await aUser('shipper');
    const { order, paid } = await paidOrder(buyer.id, [one(drum)]);
    await consume(paid);
    const before = await aggregatesOf([drum.id], ['music', 'ALL']);
    await consume(await shipRecord(order.id));
    expect(await aggregatesOf([drum.id], ['music', 'ALL'])).toEqual(before);
  });

  it('counts every one of parallel payments of the same products exactly once', async () => {
    const [left, right] = (await products(['Left shoe', 'beauty'], ['Right shoe', 'beauty'])) as [
      Product,
      Product,
    ];
    const buyers = await Promise.all(Array.from({ length: 8 }, (_, i) => aUser(`parallel-${i}`)));
    const paid = await Promise.all(buyers.map((buyer) => paidOrder(buyer.id, [one(left), one(right, 2)])));
    const results = await Promise.all(paid.map(({ paid: record }) => updateAggregates(streamEvent(record))));
    expect(results).toEqual(paid.map(() => ({ batchItemFailures: [] })));
    expect((await relatedProducts(left.id, 5)).items.map((item) => item.count)).toEqual([8]);
    expect((await popularProducts('beauty', '7d', 5)).items.map((item) => item.unitsSold)).toEqual([16, 8]);
  });

  describe('personal data', () => {
    it('exports the customer’s purchase summary and erases it, leaving the global counts', async () => {
      const [atlas, globe] = (await products(['Atlas', 'books'], ['Globe', 'books'])) as [Product, Product];
      const reader = await aUser('reader');
      const { paid } = await paidOrder(reader.id, [one(atlas), one(globe)]);
      await consume(paid);
      const exported = await exportPersonalData(reader.id);
      expect(exported.recommendations).toEqual({
        categories: { books: 2 },
        recent: expect.arrayContaining([
          expect.objectContaining({ productId: atlas.id }),
          expect.objectContaining({ productId: globe.id }),
        ]),
      });
      await erasePersonalData(reader.id);
      expect(await purchaseSummaryOf(reader.id)).toBeNull();
      expect((await relatedProducts(atlas.id, 5)).items.map((item) => item.product.id)).toEqual([globe.id]);
    });

    it('still counts a payment globally when the customer was erased before the record arrived, but keeps nothing about them', async () => {
      const [flute, oboe] = (await products(['Flute', 'music'], ['Oboe', 'music'])) as [Product, Product];
      const leaver = await aUser('leaver');
      const { paid } = await paidOrder(leaver.id, [one(flute), one(oboe)]);
      await erasePersonalData(leaver.id);
      await consume(paid);
      expect((await relatedProducts(flute.id, 5)).items.map((item) => item.product.id)).toEqual([oboe.id]);
      expect(await purchaseSummaryOf(leaver.id)).toBeNull();
    });
  });
});
