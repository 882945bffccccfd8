import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../../functions/catalog/model.ts';
import { orderKey } from '../../functions/orders/keys.ts';
import type {
  PopularProductList,
  Recommendation,
  RelatedProductList,
} from '../../functions/recommendations/model.ts';
import {
  type ApiResponse,
  bearer,
  errorPaths,
  expectProblem,
  type Session,
} from '../support/accounts-api.ts';
import { badAuthorizations, expectRefusedByGateway } from '../support/bad-tokens.ts';
import { call } from '../support/local-api.ts';
import { adminSession } from '../support/orders-api.ts';
import { useShop } from '../support/shop.ts';

const shop = useShop({ own: true });
let admin: Session;

const related = (productId: string, query = '') =>
  call(`${shop.api}/products/${productId}/related${query ? `?${query}` : ''}`);
const popular = (query = '') => call(`${shop.api}/products/popular${query ? `?${query}` : ''}`);
const recommendations = (authorization: string | undefined, query = '') =>
  call(`${shop.api}/me/recommendations${query ? `?${query}` : ''}`, {
    headers: authorization === undefined ? {} : { authorization },
  });

/** Asks again every 100 ms until `check` passes or `timeoutMs` is over; returns the last answer. */
async function within(
  timeoutMs: number,
  ask: () => Promise<ApiResponse>,
  check: (res: ApiResponse) => boolean,
): Promise<ApiResponse> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await ask();
    if (check(res) || Date.now() > deadline) return res;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const relatedIds = (res: ApiResponse) =>
  (res.body as unknown as RelatedProductList).items.map((item) => item.product.id);

/**
 * The related list counts `id` as bought together. Waiting for the id alone is not enough: an
 * answer read while the consumer's transaction commits can find no co-purchase counters yet and
 * then the category's best sellers already counting the order (a Query sees each item as
 * committed, not the transaction as a whole), so the fallback may list `id` too.
 */
const boughtTogether = (res: ApiResponse, id: string) =>
  res.body.basis === 'bought_together' && relatedIds(res).includes(id);

/** A customer places and pays an order (the simulated provider settles pm_card_visa at once). */
async function buy(customer: Session, lines: [Product, number][]): Promise<string> {
  const placed = await shop.orders.placed(
    customer.accessToken,
    lines.map(([product, quantity]) => ({ productId: product.id, quantity })),
  );
  expect((await shop.orders.paid(customer.accessToken, placed.id)).status).toBe('paid');
  return placed.id;
}

beforeAll(async () => {
  admin = await adminSession(shop.backend);
});

describe('recommendations kept fresh by the stream consumer, through the local API', () => {
  let buyer: Session;
  let ukulele: Product;
  let strings: Product;

  beforeAll(async () => {
    buyer = await shop.accounts.newCustomer('buyer');
    [ukulele, strings] = await Promise.all([
      shop.orders.createProduct(admin.accessToken, { name: 'Ukulele', category: 'music', stock: 20 }),
      shop.orders.createProduct(admin.accessToken, { name: 'Strings', category: 'music', stock: 20 }),
    ]);
  });

  it('shows the products of a paid order in each other’s related within a few seconds, and among the best sellers', async () => {
    await buy(buyer, [
      [ukulele, 1],
      [strings, 3],
    ]);
    const started = Date.now();
    const forUkulele = await within(
      5000,
      () => related(ukulele.id),
      (res) => boughtTogether(res, strings.id),
    );
    expect(forUkulele.status).toBe(200);
    expect(forUkulele.body).toMatchObject({
      productId: ukulele.id,
      basis: 'bought_together',
      items: [{ product: { id: strings.id, name: 'Strings' }, count: 1 }],
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(relatedIds(await related(strings.id))).toEqual([ukulele.id]);

    const music = (await popular('category=music&window=7d')).body as unknown as PopularProductList;
    expect(music.items.map((item) => [item.product.id, item.unitsSold])).toEqual([
      [strings.id, 3],
      [ukulele.id, 1],
    ]);
    const overall = (await popular('window=30d&limit=50')).body as unknown as PopularProductList;
    expect(overall.items.map((item) => item.product.id)).toEqual(
      expect.arrayContaining([ukulele.id, strings.id]),
    );
  });

  it('takes the counts back when a paid order is cancelled', async () => {
    const [kite, tail] = await Promise.all([
      shop.orders.createProduct(admin.accessToken, { name: 'Kite', category: 'toys', stock: 5 }),
      shop.orders.createProduct(admin.accessToken, { name: 'Kite tail', category: 'toys', stock: 5 }),
    ]);
    const orderId = await buy(buyer, [
      [kite, 1],
      [tail, 1],
    ]);
    await within(
      5000,
      () => related(kite.id),
      (res) => boughtTogether(res, tail.id),
    );
    expect((await shop.orders.cancel(buyer.accessToken, orderId)).status).toBe(200);
    const after = await within(
      5000,
      () => related(kite.id),
      (res) => res.body.basis !== 'bought_together',
    );
    expect(after.body).toMatchObject({ basis: 'popular_in_category' });
    expect(relatedIds(after)).not.toContain(tail.id);
  });

  it('recommends what others bought with the caller’s purchase, never the purchase itself', async () => {
    const fan = await shop.accounts.newCustomer('fan');
    await buy(fan, [[ukulele, 1]]);
    const res = await within(
      5000,
      () => recommendations(`Bearer ${fan.accessToken}`),
      (r) =>
        ((r.body.items as Recommendation[] | undefined) ?? []).some((item) => item.product.id === strings.id),
    );
    expect(res.status).toBe(200);
    const items = res.body.items as Recommendation[];
    expect(items[0]).toMatchObject({
      product: { id: strings.id },
      reason: { type: 'bought_together', productId: ukulele.id },
      score: expect.any(Number),
    });
    expect(items.map((item) => item.product.id)).not.toContain(ukulele.id);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('serves GET /products/popular from its own route, not as a product id', async () => {
    const res = await popular();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ category: null, window: '7d', items: expect.any(Array) });
  });

  it('sends a poison record to the dead-letter queue and still applies the rest of the batch', async () => {
    const mapping = shop.backend.streams.mappings.find((m) =>
      /RecommendationsUpdateAggregates/.test(m.functionLogicalId),
    );
    const queue = mapping?.onFailure;
    if (!queue) throw new Error('The recommendations consumer has no on-failure destination.');
    const depthBefore = shop.backend.sqs.depth(queue);
    // A corrupt order (no lines) as a bad deploy or a hand edit could leave one, paid: written
    // raw on purpose, no store would write it.
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: shop.backend.dynamodbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
    const tableName = shop.backend.tables[0]?.name as string;
    const key = orderKey('POISON');
    await client.send(
      new PutCommand({ TableName: tableName, Item: { ...key, entity: 'order', status: 'pending_payment' } }),
    );
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET #status = :paid',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':paid': 'paid' },
      }),
    );
    client.destroy();
    const [drum, sticks] = await Promise.all([
      shop.orders.createProduct(admin.accessToken, { name: 'Drum', category: 'music', stock: 5 }),
      shop.orders.createProduct(admin.accessToken, { name: 'Drumsticks', category: 'music', stock: 5 }),
    ]);
    await buy(buyer, [
      [drum, 1],
      [sticks, 1],
    ]);
    const after = await within(
      10_000,
      () => related(drum.id),
      (res) => boughtTogether(res, sticks.id),
    );
    expect(relatedIds(after)).toEqual([sticks.id]);
    await shop.backend.streams.idle(30_000);
    expect(shop.backend.sqs.depth(queue)).toBe(depthBefore + 1);
  }, 60_000);
});

describe('GET /me/recommendations authorization', () => {
  let owner: Session;
  let other: Session;
  let bowl: Product;
  let whisk: Product;

  beforeAll(async () => {
    const accounts = shop.accounts;
    [owner, other] = await Promise.all([accounts.newCustomer('owner'), accounts.newCustomer('other')]);
    [bowl, whisk] = await Promise.all([
      shop.orders.createProduct(admin.accessToken, { name: 'Bowl', category: 'home', stock: 5 }),
      shop.orders.createProduct(admin.accessToken, { name: 'Whisk', category: 'home', stock: 5 }),
    ]);
    await buy(owner, [
      [bowl, 1],
      [whisk, 1],
    ]);
    await shop.backend.streams.idle();
  });

  it('refuses a request without a token at the gateway (401)', async () => {
    await expectRefusedByGateway(
      shop.backend,
      'RecommendationsGetRecommendations',
      () => recommendations(undefined),
      401,
    );
  });

  it('refuses every bad token at the gateway (401), the function never runs', async () => {
    for (const [, authorization] of Object.entries(await badAuthorizations(shop.backend, owner, other))) {
      await expectRefusedByGateway(
        shop.backend,
        'RecommendationsGetRecommendations',
        () => recommendations(authorization),
        401,
      );
    }
  });

  it('answers the owner from the owner’s purchases, and another user only from their own (none)', async () => {
    const mine = await recommendations(`Bearer ${owner.accessToken}`);
    expect(mine.status).toBe(200);
    const ownerIds = (mine.body.items as Recommendation[]).map((item) => item.product.id);
    expect(ownerIds).not.toContain(bowl.id);
    expect(ownerIds).not.toContain(whisk.id);

    const theirs = await recommendations(`Bearer ${other.accessToken}`);
    expect(theirs.status).toBe(200);
    const items = theirs.body.items as Recommendation[];
    // Nothing learned from the owner's basket: no "bought together", the owner's products are
    // ordinary best sellers to them.
    expect(items.every((item) => item.reason.type === 'popular')).toBe(true);
    expect(items.map((item) => item.product.id)).toEqual(expect.arrayContaining([bowl.id, whisk.id]));
  });

  it('puts the purchase summary in the owner’s export and removes it with the account', async () => {
    const exported = await call(`${shop.api}/me/export`, { headers: bearer(owner.accessToken) });
    expect(exported.status).toBe(200);
    expect(exported.body.recommendations).toMatchObject({ categories: { home: 2 } });
    const erased = await call(`${shop.api}/me`, { method: 'DELETE', headers: bearer(owner.accessToken) });
    expect(erased.status).toBe(204);
    // The global counts stay: they hold no personal data.
    expect(relatedIds(await related(bowl.id))).toEqual([whisk.id]);
  });
});

describe('bad input to the recommendation routes', () => {
  let customer: Session;
  let product: Product;

  beforeAll(async () => {
    customer = await shop.accounts.newCustomer('bad-input');
    product = await shop.orders.createProduct(admin.accessToken, { name: 'Plain', category: 'garden' });
  });

  it.each([
    ['limit=0', 'query.limit'],
    ['limit=51', 'query.limit'],
    ['limit=ten', 'query.limit'],
    ['window=90d', 'query.window'],
    ['window=', 'query.window'],
    ['category=Cars!', 'query.category'],
    ['sort=units', 'query.sort'],
  ])('GET /products/popular?%s is a 400 naming %s', async (query, path) => {
    const res = await popular(query);
    expectProblem(res, 400);
    expect(errorPaths(res)).toEqual([path]);
  });

  it.each([
    ['limit=0', 'query.limit'],
    ['limit=1.5', 'query.limit'],
    ['cursor=abc', 'query.cursor'],
  ])('GET /products/{productId}/related?%s is a 400 naming %s', async (query, path) => {
    const res = await related(product.id, query);
    expectProblem(res, 400);
    expect(errorPaths(res)).toEqual([path]);
  });

  it('answers 404 for the related products of a product that does not exist, 400 for a malformed id', async () => {
    expectProblem(await related('01KDVDNA00AA3S80T672BC3QY0'), 404);
    const malformed = await related('not-a-product');
    expectProblem(malformed, 400);
    expect(errorPaths(malformed)).toEqual(['path.productId']);
  });

  it.each([
    ['limit=0', 'query.limit'],
    ['limit=-3', 'query.limit'],
    ['userId=someone-else', 'query.userId'],
  ])('GET /me/recommendations?%s is a 400 naming %s', async (query, path) => {
    const res = await recommendations(`Bearer ${customer.accessToken}`, query);
    expectProblem(res, 400);
    expect(errorPaths(res)).toEqual([path]);
  });
});
