import { describe, expect, it } from 'vitest';
import { REMOVAL_MEMORY_MS } from '../../functions/search/compaction.ts';
import { sameDocument, searchDocumentOf } from '../../functions/search/documents.ts';
import { SearchIndex, type SearchRequest } from '../../functions/search/engine.ts';
import type { SearchDocument } from '../../functions/search/model.ts';
import { matchAll, TextIndex } from '../../functions/search/text-index.ts';
import { deletions, normalize, queryTokens, tokenize, withinOneEdit } from '../../functions/search/tokens.ts';
import { STREAM_CONSUMERS } from '../../lib/api/stream-consumers.ts';

describe('tokenize', () => {
  it('lower-cases, strips accents and splits on anything but letters and digits', () => {
    expect(tokenize('Crème-Brûlée SET, 2x  (XL)')).toEqual(['creme', 'brulee', 'set', '2x', 'xl']);
    expect(normalize('ÅNGSTRÖM')).toBe('angstrom');
  });

  it('drops words over 40 characters and repeated query words', () => {
    expect(tokenize(`a ${'x'.repeat(41)} b`)).toEqual(['a', 'b']);
    expect(queryTokens('lamp Lamp LAMP desk')).toEqual(['lamp', 'desk']);
  });

  it('keeps the first 8 distinct words of a query: each word costs a lookup', () => {
    expect(queryTokens('a b c d e f g h i j a k')).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  });
});

describe('withinOneEdit', () => {
  it.each([
    ['blanket', 'blnket', true],
    ['blanket', 'blankets', true],
    ['blanket', 'blanker', true],
    ['kettle', 'kettel', true],
    ['blanket', 'blanket', true],
    ['blanket', 'bnlkaet', false],
    ['blanket', 'blnkt', false],
    ['lamp', 'clamps', false],
  ])('%s ~ %s: %s', (a, b, expected) => {
    expect(withinOneEdit(a, b)).toBe(expected);
    expect(withinOneEdit(b, a)).toBe(expected);
  });

  it('deletions are the one-character removals', () => {
    expect([...deletions('abc')].sort()).toEqual(['ab', 'ac', 'bc']);
  });
});

describe('TextIndex', () => {
  const index = new TextIndex();
  index.add(0, { name: 'Desk Lamp', description: 'A lamp for the desk' });
  index.add(1, { name: 'Wool Blanket', description: 'Warm, with a lampshade pattern' });
  index.add(2, { name: 'Lampshade', description: 'Fits any lamp' });

  it('finds a word by its beginning and ranks the whole word above longer ones', () => {
    const matches = index.match('lam');
    expect([...matches.keys()].sort()).toEqual([0, 1, 2]);
    expect(matches.get(0)).toBeGreaterThan(matches.get(2) as number);
  });

  it('finds words one edit away from 5 letters on, not shorter', () => {
    expect([...index.match('blnket').keys()]).toEqual([1]);
    expect([...index.match('lmap').keys()]).toEqual([]);
  });

  it('ranks a word in the name above the same word in the description', () => {
    const matches = index.match('lamp');
    expect(matches.get(0)).toBeGreaterThan(matches.get(1) as number);
  });

  it('expands a word within a budget of postings, the shortest completions first', () => {
    const many = new TextIndex();
    for (let slot = 0; slot < 100; slot++) many.add(slot, { name: `lamp${slot}` });
    const budgeted = many.match('lamp', 10);
    expect([...budgeted.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The default budget is far above this, and every word of a query has its own.
    expect(many.match('lamp').size).toBe(100);
    expect(matchAll(many, ['lam', 'lamp']).size).toBe(100);
  });

  it('forgets a removed document and words nobody else has', () => {
    const words = index.add(3, { name: 'Zebra rug' });
    expect(index.match('zebra').size).toBe(1);
    index.remove(3, words);
    expect(index.match('zebra').size).toBe(0);
    expect(index.match('zebr').size).toBe(0);
  });
});

const doc = (id: string, fields: Partial<SearchDocument>): SearchDocument => ({
  id,
  name: 'Thing',
  description: '',
  categoryPath: ['home'],
  price: 1000,
  inStock: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...fields,
});
// ULIDs in time order: A < B < C < D.
const [A, B, C, D] = [
  '01JAAAAAAAAAAAAAAAAAAAAAAA',
  '01JBBBBBBBBBBBBBBBBBBBBBBB',
  '01JCCCCCCCCCCCCCCCCCCCCCCC',
  '01JDDDDDDDDDDDDDDDDDDDDDDD',
] as const;

function catalog(): SearchIndex {
  const index = new SearchIndex((id) => ({ home: 'home Home', lighting: 'lighting Lighting' })[id] ?? '');
  index.apply(A, 1n, doc(A, { name: 'Desk Lamp', categoryPath: ['home', 'lighting'], price: 2999 }));
  index.apply(
    B,
    1n,
    doc(B, { name: 'Wool Blanket', description: 'Goes with any lamp', price: 4999, inStock: false }),
  );
  index.apply(
    C,
    1n,
    doc(C, {
      name: 'Floor Lamp',
      categoryPath: ['home', 'lighting'],
      price: 8999,
      createdAt: '2026-02-01T00:00:00.000Z',
    }),
  );
  index.apply(
    D,
    1n,
    doc(D, { name: 'Kettle', categoryPath: ['kitchen'], price: 500, options: ['Red', 'Steel'] }),
  );
  return index;
}
const request = (fields: Partial<SearchRequest>): SearchRequest => ({
  tokens: [],
  sort: 'relevance',
  limit: 10,
  ...fields,
});

describe('SearchIndex', () => {
  it('puts name matches first, then the newest among equals', () => {
    expect(catalog().search(request({ tokens: ['lamp'] })).ids).toEqual([C, A, B]);
  });

  it('requires every word (AND), matching category words and option values', () => {
    const index = catalog();
    expect(index.search(request({ tokens: ['lamp', 'lighting'] })).ids).toEqual([C, A]);
    expect(index.search(request({ tokens: ['red', 'kettle'] })).ids).toEqual([D]);
  });

  it('filters by category with descendants, price and stock; facets ignore their own filter', () => {
    const hits = catalog().search(request({ categoryId: 'home', minPrice: 3000, inStock: true }));
    expect(hits.ids).toEqual([C]);
    expect(hits.facets.category).toEqual(
      expect.arrayContaining([
        { id: 'home', count: 1 },
        { id: 'lighting', count: 1 },
      ]),
    );
    // Without the price filter: A (2999) and C (8999) in stock in home.
    expect(hits.facets.price).toEqual([
      { min: 2500, max: 5000, count: 1 },
      { min: 5000, max: 10000, count: 1 },
    ]);
  });

  it('sorts by price and age and pages with positions that continue exactly', () => {
    const index = catalog();
    expect(index.search(request({ sort: 'price_asc' })).ids).toEqual([D, A, B, C]);
    expect(index.search(request({ sort: 'price_desc' })).ids).toEqual([C, B, A, D]);
    const first = index.search(request({ sort: 'price_asc', limit: 3 }));
    expect(first.ids).toEqual([D, A, B]);
    const second = index.search(request({ sort: 'price_asc', limit: 3, after: first.next }));
    expect(second.ids).toEqual([C]);
    expect(second.next).toBeUndefined();
  });

  it('applies a change only over an older one, deletions included', () => {
    const index = catalog();
    expect(index.apply(A, 3n)).toBe(true);
    expect(index.apply(A, 2n, doc(A, { name: 'Desk Lamp' }))).toBe(false);
    expect(index.search(request({ tokens: ['desk'] })).ids).toEqual([]);
    expect(index.apply(B, 2n, doc(B, { name: 'Cotton Blanket', inStock: true }))).toBe(true);
    expect(index.search(request({ tokens: ['wool'] })).ids).toEqual([]);
    expect(index.search(request({ tokens: ['cotton'], inStock: true })).ids).toEqual([B]);
    expect(index.size).toBe(3);
  });
});

describe('removals', () => {
  it('are remembered until forgotten, so an older copy of a change cannot bring a product back', () => {
    const index = catalog();
    const removedAt = Date.parse('2026-03-01T00:00:00.000Z');
    expect(index.apply(A, 3n, undefined, removedAt)).toBe(true);
    index.forgetRemovalsBefore(removedAt);
    expect(index.apply(A, 2n, doc(A, { name: 'Desk Lamp' }))).toBe(false);
    expect(index.removalsHeld).toBe(1);
    index.forgetRemovalsBefore(removedAt + 1);
    expect(index.removalsHeld).toBe(0);
    expect(index.apply(A, 2n, doc(A, { name: 'Desk Lamp' }))).toBe(true);
  });

  it('are kept at least as long as the search consumer may deliver a record, plus the stream retention', () => {
    const consumer = STREAM_CONSUMERS.find((definition) => definition.id === 'SearchIndexProducts');
    const streamRetentionMs = 24 * 3600 * 1000;
    expect(REMOVAL_MEMORY_MS).toBeGreaterThanOrEqual(
      streamRetentionMs + (consumer?.maxRecordAgeSeconds ?? Number.POSITIVE_INFINITY) * 1000,
    );
  });
});

describe('searchDocumentOf', () => {
  const item = {
    id: A,
    name: 'Desk Lamp',
    description: 'x'.repeat(2000),
    category: 'desk-lamps',
    price: 100,
    stock: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    gsi2pk: 'CATEGORY#home',
    gsi2sk: `01JLIGHTING/01JDESKLAMPS/${A}`,
    options: [{ name: 'Colour', values: ['Red', 'Blue'] }],
  };

  it('takes the category path from the index keys, stock as inStock, option values', () => {
    const mapped = searchDocumentOf(item);
    expect(mapped).toMatchObject({
      categoryPath: ['home', '01JLIGHTING', '01JDESKLAMPS'],
      inStock: false,
      options: ['Red', 'Blue'],
    });
    expect(mapped?.description).toHaveLength(1000);
    expect(searchDocumentOf({ ...item, price: 'free' })).toBeUndefined();
  });

  it('sees no change in a stock change that stays in stock', () => {
    expect(
      sameDocument(searchDocumentOf({ ...item, stock: 5 }), searchDocumentOf({ ...item, stock: 4 })),
    ).toBe(true);
    expect(
      sameDocument(searchDocumentOf({ ...item, stock: 1 }), searchDocumentOf({ ...item, stock: 0 })),
    ).toBe(false);
  });
});
