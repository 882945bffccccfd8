import { describe, expect, it } from 'vitest';
import { rawPathname } from '../../lib/api/contract.ts';
import { contractViolations, type Exchange, frameViolations, operationFor } from '../support/contract.ts';

const product = {
  id: '01KDVDNA00AA3S80T672BC3QYS',
  name: 'Espresso cup',
  description: '',
  category: 'home',
  price: 1250,
  currency: 'EUR',
  stock: 3,
  images: [],
  createdAt: '2026-01-15T09:30:00.000Z',
  updatedAt: '2026-01-15T09:30:00.000Z',
};
const exchange = (overrides: Partial<Exchange>): Exchange => ({
  method: 'GET',
  url: `http://localhost:3000/products/${product.id}`,
  status: 200,
  contentType: 'application/json; charset=utf-8',
  text: JSON.stringify(product),
  ...overrides,
});
const problem = (status: number, type: string) =>
  JSON.stringify({ type, title: 'x', status, detail: 'x', instance: 'r-1' });

describe('the contract check of e2e responses', () => {
  it('accepts a response the document describes', () => {
    expect(contractViolations(exchange({}))).toEqual([]);
  });

  it('finds the most specific operation, as API Gateway routes', () => {
    expect(operationFor('GET', '/products/01KDVDNA00AA3S80T672BC3QYS').template).toBe(
      '/products/{productId}',
    );
    expect(operationFor('GET', '/nope').template).toBe('$default');
  });

  it('refuses a status the operation does not list', () => {
    expect(contractViolations(exchange({ status: 418 }))[0]).toMatch(
      /answered 418, which the document does not list/,
    );
  });

  it('refuses a field the schema does not have', () => {
    const text = JSON.stringify({ ...product, secret: 'x' });
    expect(contractViolations(exchange({ text })).join()).toMatch(/additional properties \(secret\)/);
  });

  it('refuses a missing field and a wrong type', () => {
    const { stock: _stock, ...rest } = product;
    expect(contractViolations(exchange({ text: JSON.stringify({ ...rest, price: '12.50' }) })).length).toBe(
      2,
    );
  });

  it('refuses a content type the status does not have', () => {
    expect(contractViolations(exchange({ contentType: 'text/plain' }))[0]).toMatch(/as 'text\/plain'/);
  });

  it('refuses a problem type the response does not list', () => {
    const text = problem(404, '/problems/insufficient-stock');
    const violations = contractViolations(
      exchange({ status: 404, contentType: 'application/problem+json', text }),
    );
    expect(violations.join()).toMatch(/body\/type must be equal to one of the allowed values/);
  });

  it("accepts API Gateway's own 401 on a protected route", () => {
    const answer = exchange({
      url: 'http://localhost:3000/me',
      status: 401,
      text: '{"message":"Unauthorized"}',
    });
    expect(contractViolations(answer)).toEqual([]);
  });

  it('holds requests no route matches to the catch-all answers: 404 or 405 problems', () => {
    const notFound = exchange({
      url: 'http://localhost:3000/nope',
      status: 404,
      contentType: 'application/problem+json',
      text: problem(404, '/problems/not-found'),
    });
    expect(contractViolations(notFound)).toEqual([]);
    expect(
      contractViolations({ ...notFound, status: 200, contentType: 'application/json', text: '{}' }),
    ).not.toEqual([]);
  });

  describe('the request side of a success', () => {
    const list = (query: string, request: Exchange['request'] = { headers: {} }) =>
      exchange({
        url: `http://localhost:3000/products${query}`,
        text: JSON.stringify({ items: [], nextCursor: null }),
        request,
      });

    it('accepts a request the document describes', () => {
      expect(contractViolations(list('?limit=10&category=books'))).toEqual([]);
    });

    it('refuses a success for a body on an operation that takes none', () => {
      expect(contractViolations(exchange({ request: { headers: {}, body: '{}' } })).join()).toMatch(
        /accepted a body of 2 bytes; the document describes none/,
      );
      expect(contractViolations(exchange({ request: { headers: {}, body: '' } }))).toEqual([]);
    });

    it.each(['0x10', '1e1', '010', ' 10 ', '+5', '-0', '10.5'])(
      'refuses a success for the query integer %j, which is not plain decimal digits',
      (value) => {
        expect(contractViolations(list(`?limit=${encodeURIComponent(value)}`)).join()).toMatch(
          /accepted query\.limit=.*which the document refuses/,
        );
      },
    );

    it('refuses a success for a query value outside its schema (a malformed category)', () => {
      expect(contractViolations(list('?category=Nope!')).join()).toMatch(/query\.category/);
    });

    it('refuses a success without a required header, and judges no refusal', () => {
      const paid = {
        url: 'http://localhost:3000/orders/01KDVDNA00AA3S80T672BC3QYS/payments',
        method: 'POST',
        text: '{}',
        request: { headers: {}, body: '{"paymentMethod":"pm_card_visa"}' },
      };
      expect(contractViolations(exchange(paid)).join()).toMatch(
        /without the required header Idempotency-Key/,
      );
      const refused = exchange({
        ...paid,
        status: 400,
        contentType: 'application/problem+json',
        text: problem(400, '/problems/validation-error'),
      });
      expect(contractViolations(refused)).toEqual([]);
    });

    it('checks nothing of the request when the caller does not say what it sent', () => {
      expect(
        contractViolations(
          exchange({
            url: 'http://localhost:3000/products?limit=0x10',
            text: '{"items":[],"nextCursor":null}',
          }),
        ),
      ).toEqual([]);
    });
  });

  it('holds WebSocket frames to the ServerFrame schema', () => {
    expect(frameViolations({ type: 'pong' })).toEqual([]);
    expect(frameViolations({ type: 'read', conversationId: 'c', userId: 'u', lastReadId: null })).toEqual([]);
    expect(frameViolations({ type: 'pong', extra: 1 })).not.toEqual([]);
    expect(frameViolations({ type: 'typing' })).not.toEqual([]);
  });
});

describe('rawPathname', () => {
  it('keeps dot segments as sent (the API routes the raw path), without query or fragment', () => {
    expect(rawPathname('http://127.0.0.1:3000/orders/../payments?x=1')).toBe('/orders/../payments');
    expect(rawPathname('http://127.0.0.1:3000/a/./b#f')).toBe('/a/./b');
    expect(rawPathname('http://127.0.0.1:3000')).toBe('/');
  });
});
