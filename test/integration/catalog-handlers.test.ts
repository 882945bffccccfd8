import { beforeAll, describe, expect, it } from 'vitest';
import { handler as getProduct } from '../../functions/catalog/get-product.ts';
import { handler as listProducts } from '../../functions/catalog/list-products.ts';
import { putProduct } from '../../functions/catalog/store.ts';
import { newId } from '../../functions/core/ids.ts';
import { httpEvent, lambdaContext } from '../support/events.ts';
import { useFreshTable } from '../support/table.ts';

const product = (overrides: Partial<Parameters<typeof putProduct>[0]> = {}) => {
  const now = new Date().toISOString();
  return {
    id: newId(),
    name: 'Kettle',
    description: 'Boils water.',
    category: 'home' as const,
    price: 2999,
    currency: 'EUR',
    stock: 5,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
};

describe('catalog handlers', () => {
  beforeAll(async () => {
    await useFreshTable();
  });

  it('GET /products/{productId} returns a stored product', async () => {
    const stored = product();
    await putProduct(stored);
    const res = await getProduct(
      httpEvent('GET /products/{productId}', { pathParameters: { productId: stored.id } }),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(String(res.body))).toEqual(stored);
  });

  it('GET /products pages newest first with a cursor', async () => {
    for (let i = 0; i < 3; i++) await putProduct(product({ category: 'toys', name: `Toy ${i}` }));
    const first = await listProducts(
      httpEvent('GET /products', { query: { category: 'toys', limit: '2' } }),
      lambdaContext(),
    );
    const page = JSON.parse(String(first.body));
    expect(page.items.map((p: { name: string }) => p.name)).toEqual(['Toy 2', 'Toy 1']);
    expect(page.nextCursor).toEqual(expect.any(String));
    const second = await listProducts(
      httpEvent('GET /products', { query: { category: 'toys', limit: '2', cursor: page.nextCursor } }),
      lambdaContext(),
    );
    expect(JSON.parse(String(second.body)).items.map((p: { name: string }) => p.name)).toEqual(['Toy 0']);
  });
});
