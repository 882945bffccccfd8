import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchPath, pathSpecificity } from '../../functions/core/paths.ts';

/** One non-empty segment value: any Unicode text, which a client sends percent-encoded. */
const segmentValue = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });
/** A literal path segment as route tables spell them. */
const literal = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);

describe('matchPath', () => {
  it('matches a literal path exactly and yields no parameters', () => {
    expect(matchPath('/health', '/health')).toEqual({});
    expect(matchPath('/openapi.json', '/openapi.json')).toEqual({});
  });

  it('does not match a different literal, a prefix or a longer path', () => {
    expect(matchPath('/health', '/healthz')).toBeUndefined();
    expect(matchPath('/products', '/products/123')).toBeUndefined();
    expect(matchPath('/products/{productId}', '/products')).toBeUndefined();
    expect(matchPath('/products/{productId}', '/products/1/reviews')).toBeUndefined();
  });

  it('is case-sensitive, as API Gateway routes are', () => {
    expect(matchPath('/products', '/Products')).toBeUndefined();
  });

  it('captures a path parameter and percent-decodes it', () => {
    expect(matchPath('/products/{productId}', '/products/01ARZ3NDEKTSV4RRFFQ69G5FAV')).toEqual({
      productId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
    });
    expect(matchPath('/users/{name}', '/users/J%C3%BCrgen%20M')).toEqual({ name: 'Jürgen M' });
    expect(matchPath('/files/{name}', '/files/a%2Fb')).toEqual({ name: 'a/b' });
  });

  it('keeps a segment that is not valid percent-encoding as it came', () => {
    expect(matchPath('/users/{name}', '/users/100%')).toEqual({ name: '100%' });
  });

  it('captures several parameters between literals', () => {
    expect(matchPath('/users/{userId}/orders/{orderId}', '/users/u1/orders/o2')).toEqual({
      userId: 'u1',
      orderId: 'o2',
    });
    expect(matchPath('/users/{userId}/orders/{orderId}', '/users/u1/messages/o2')).toBeUndefined();
  });

  it('lets a greedy parameter take the rest of the path, but not nothing', () => {
    expect(matchPath('/files/{key+}', '/files/a/b/c.txt')).toEqual({ key: 'a/b/c.txt' });
    expect(matchPath('/files/{key+}', '/files/one')).toEqual({ key: 'one' });
    expect(matchPath('/files/{key+}', '/files')).toBeUndefined();
    expect(matchPath('/static/{key+}', '/files/a')).toBeUndefined();
  });

  it('round-trips any segment values a client percent-encodes (property)', () => {
    fc.assert(
      fc.property(literal, segmentValue, literal, segmentValue, (first, a, second, b) => {
        const template = `/${first}/{a}/${second}/{b}`;
        const path = `/${first}/${encodeURIComponent(a)}/${second}/${encodeURIComponent(b)}`;
        expect(matchPath(template, path)).toEqual({ a, b });
      }),
    );
  });

  it('never matches a path whose literal segment differs (property)', () => {
    fc.assert(
      fc.property(literal, literal, segmentValue, (routeLiteral, requestLiteral, value) => {
        fc.pre(routeLiteral !== requestLiteral);
        expect(matchPath(`/${routeLiteral}/{id}`, `/${requestLiteral}/${encodeURIComponent(value)}`)).toBe(
          undefined,
        );
      }),
    );
  });

  it('never matches a path with more or fewer segments than a template without a greedy parameter (property)', () => {
    fc.assert(
      fc.property(
        fc.array(literal, { minLength: 1, maxLength: 5 }),
        fc.array(literal, { minLength: 1, maxLength: 3 }),
        (segments, extra) => {
          const template = `/${segments.join('/')}`;
          expect(matchPath(template, `/${[...segments, ...extra].join('/')}`)).toBeUndefined();
          if (segments.length > 1)
            expect(matchPath(template, `/${segments.slice(0, -1).join('/')}`)).toBeUndefined();
        },
      ),
    );
  });
});

describe('pathSpecificity', () => {
  it('scores literal segments over parameters over greedy parameters', () => {
    expect(pathSpecificity('/products')).toEqual([2]);
    expect(pathSpecificity('/products/{productId}')).toEqual([2, 1]);
    expect(pathSpecificity('/files/{key+}')).toEqual([2, 0]);
    expect(pathSpecificity('/')).toEqual([]);
  });

  it('orders /products/featured before /products/{productId} before /products/{proxy+}', () => {
    const byDescendingSpecificity = (a: string, b: string) => {
      const sa = pathSpecificity(a);
      const sb = pathSpecificity(b);
      for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
        const d = (sb[i] ?? -1) - (sa[i] ?? -1);
        if (d !== 0) return d;
      }
      return 0;
    };
    expect(
      ['/products/{proxy+}', '/products/{productId}', '/products/featured'].sort(byDescendingSpecificity),
    ).toEqual(['/products/featured', '/products/{productId}', '/products/{proxy+}']);
  });
});
