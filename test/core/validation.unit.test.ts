import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { listProductsQuery, productPath } from '../../functions/catalog/model.ts';
import { HttpError } from '../../functions/core/errors.ts';
import { type InputSource, parseInput } from '../../functions/core/validation.ts';

/** Runs parseInput expecting it to throw; returns the HttpError. */
function rejection(schema: z.ZodMiniType, input: unknown, source: InputSource): HttpError {
  try {
    parseInput(schema, input, source);
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    return error as HttpError;
  }
  throw new Error('parseInput accepted the input');
}

const order = z.strictObject({
  quantity: z.int().check(z.minimum(1)),
  items: z.array(z.strictObject({ sku: z.string().check(z.minLength(1)), quantity: z.int() })),
  note: z.optional(z.string().check(z.maxLength(5))),
});

describe('parseInput', () => {
  it('returns the parsed output, with defaults and coercion applied', () => {
    expect(parseInput(listProductsQuery, {}, 'query')).toEqual({ limit: 20 });
    expect(parseInput(listProductsQuery, { limit: '7', category: 'books' }, 'query')).toEqual({
      limit: 7,
      category: 'books',
    });
  });

  it('throws a 400 validation problem naming the field as query.limit', () => {
    const error = rejection(listProductsQuery, { limit: '0' }, 'query');
    expect(error.statusCode).toBe(400);
    expect(error.slug).toBe('validation-error');
    expect(error.expose).toBe(true);
    expect(error.errors).toEqual([{ path: 'query.limit', message: 'Must be at least 1.' }]);
  });

  it('says how big a value may be', () => {
    expect(rejection(listProductsQuery, { limit: '101' }, 'query').errors).toEqual([
      { path: 'query.limit', message: 'Must be at most 100.' },
    ]);
    expect(rejection(order, { quantity: 1, items: [], note: 'too long' }, 'body').errors).toEqual([
      { path: 'body.note', message: 'Must be at most 5 characters.' },
    ]);
  });

  it('lists each unknown field under its own path, e.g. query.foo', () => {
    const error = rejection(listProductsQuery, { foo: '1', bar: '2' }, 'query');
    expect(error.errors?.map((e) => e.path).sort()).toEqual(['query.bar', 'query.foo']);
    expect(error.errors?.every((e) => e.message === 'Unknown field.')).toBe(true);
  });

  it('lists every bad field at once, not just the first', () => {
    const error = rejection(listProductsQuery, { limit: '0', category: 'Cars', extra: 'x' }, 'query');
    expect(error.errors?.map((e) => e.path).sort()).toEqual(['query.category', 'query.extra', 'query.limit']);
    expect(error.message).toBe('The query has invalid fields.');
  });

  it('names the allowed values of an enum', () => {
    // Categories are data now (a slug); the enum of the product's old categories stands in.
    const enumQuery = z.strictObject({ category: z.enum(['electronics', 'books']) });
    const [issue] = rejection(enumQuery, { category: 'cars' }, 'query').errors ?? [];
    expect(issue?.path).toBe('query.category');
    expect(issue?.message).toContain('electronics');
  });

  it('addresses nested fields with dotted paths, array indexes included', () => {
    const error = rejection(
      order,
      {
        quantity: 1,
        items: [
          { sku: 'a', quantity: 1 },
          { sku: '', quantity: 2, price: 0 },
        ],
      },
      'body',
    );
    expect(error.errors).toEqual(
      expect.arrayContaining([
        { path: 'body.items.1.sku', message: 'Must be at least 1 characters.' },
        { path: 'body.items.1.price', message: 'Unknown field.' },
      ]),
    );
  });

  it('reports a missing required field as Required', () => {
    expect(rejection(productPath, {}, 'path').errors).toEqual([
      { path: 'path.productId', message: 'Required.' },
    ]);
  });

  it('uses the schema message of a failed pattern check', () => {
    expect(rejection(productPath, { productId: 'nope' }, 'path').errors).toEqual([
      { path: 'path.productId', message: 'Must be a product id (ULID).' },
    ]);
  });

  it('describes a value of the wrong type as what was expected, not as missing', () => {
    expect(rejection(listProductsQuery, { limit: 'abc' }, 'query').errors).toEqual([
      { path: 'query.limit', message: 'Must be a whole number in decimal digits.' },
    ]);
    expect(rejection(order, { quantity: 'two', items: [] }, 'body').errors?.[0]?.message).not.toBe(
      'Required.',
    );
  });

  it('names the source itself when the whole input has the wrong shape', () => {
    expect(rejection(order, 'not an object', 'body').errors?.map((e) => e.path)).toEqual(['body']);
  });
});
