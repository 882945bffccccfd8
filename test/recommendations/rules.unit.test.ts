import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Category, Product } from '../../functions/catalog/model.ts';
import {
  addBounded,
  addPurchases,
  type Contribution,
  type Counters,
  daysOfWindow,
  EMPTY_PURCHASES,
  MAX_PAIR_LINES,
  pairProducts,
  RECENT_CAP,
  rankedIds,
  removePurchases,
  subtractCounters,
  unitsByScope,
} from '../../functions/recommendations/model.ts';
import {
  candidateIds,
  type RankingSignals,
  rankRecommendations,
} from '../../functions/recommendations/ranking.ts';

const id = (n: number) => `P${String(n).padStart(3, '0')}`;

describe('pairProducts', () => {
  it('keeps the 10 lines with the largest amount (quantity x price), ties by product id', () => {
    const lines = Array.from({ length: 50 }, (_, i) => ({
      productId: id(i),
      quantity: 1,
      unitPrice: i % 25,
    }));
    const pairs = pairProducts(lines);
    expect(pairs).toHaveLength(MAX_PAIR_LINES);
    // Prices 24 (P024, P049), 23 (P023, P048), ... 20 (P020, P045).
    expect(pairs).toEqual(['P024', 'P049', 'P023', 'P048', 'P022', 'P047', 'P021', 'P046', 'P020', 'P045']);
  });

  it('counts each product once', () => {
    expect(
      pairProducts([
        { productId: 'A', quantity: 1, unitPrice: 5 },
        { productId: 'A', quantity: 2, unitPrice: 5 },
        { productId: 'B', quantity: 1, unitPrice: 1 },
      ]),
    ).toEqual(['A', 'B']);
  });
});

describe('addBounded (Space-Saving counters)', () => {
  it('adds to existing counters and creates new ones while there is room', () => {
    expect(addBounded({ A: 2 }, { A: 1, B: 3 }, 3)).toEqual({ A: 3, B: 3 });
  });

  it('lets a newcomer to a full set replace the smallest counter (ties: the largest id) and start from its count', () => {
    expect(addBounded({ A: 5, B: 1, C: 1 }, { D: 1 }, 3)).toEqual({ A: 5, B: 1, D: 2 });
  });

  it('never holds more than the cap, never loses a count, and keeps every counter above the evicted ones', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), fc.integer({ min: 1, max: 5 })),
          {
            maxLength: 30,
          },
        ),
        fc.integer({ min: 1, max: 5 }),
        (batches, cap) => {
          let counters: Counters = {};
          let total = 0;
          for (const batch of batches) {
            counters = addBounded(counters, batch, cap);
            total += Object.values(batch).reduce((sum, value) => sum + value, 0);
            expect(Object.keys(counters).length).toBeLessThanOrEqual(cap);
          }
          // Space-Saving: the counters sum to everything counted (evicted counts move to newcomers).
          expect(Object.values(counters).reduce((sum, value) => sum + value, 0)).toBe(total);
        },
      ),
    );
  });

  it('takes back what a subtraction names, dropping counters at zero and ignoring evicted ones', () => {
    expect(subtractCounters({ A: 3, B: 1 }, { A: 1, B: 1, C: 4 })).toEqual({ A: 2 });
  });
});

describe('rankedIds', () => {
  it('orders by count, highest first, ties by id', () => {
    expect(rankedIds({ b: 2, a: 2, c: 9, d: 1 })).toEqual(['c', 'a', 'b', 'd']);
  });
});

describe('purchase summaries', () => {
  const contribution = (orderId: string, lines: [string, Category | null, number][]): Contribution => ({
    orderId,
    day: '2026-01-01',
    lines: lines.map(([productId, category, quantity]) => ({ productId, category, quantity })),
    pairProducts: [],
  });

  it('counts units per category and lists products newest order first, each once', () => {
    const first = addPurchases(
      EMPTY_PURCHASES,
      contribution('O1', [
        ['A', 'books', 2],
        ['B', null, 1],
      ]),
    );
    const second = addPurchases(
      first,
      contribution('O2', [
        ['A', 'books', 1],
        ['C', 'home', 1],
      ]),
    );
    expect(second).toEqual({
      categories: { books: 3, home: 1 },
      recent: [
        { productId: 'A', orderId: 'O2' },
        { productId: 'C', orderId: 'O2' },
        { productId: 'B', orderId: 'O1' },
      ],
    });
    expect(
      removePurchases(
        second,
        contribution('O2', [
          ['A', 'books', 1],
          ['C', 'home', 1],
        ]),
      ),
    ).toEqual({
      categories: { books: 2 },
      recent: [{ productId: 'B', orderId: 'O1' }],
    });
  });

  it('remembers at most RECENT_CAP products', () => {
    const big = contribution(
      'O1',
      Array.from({ length: RECENT_CAP + 10 }, (_, i): [string, Category, number] => [id(i), 'toys', 1]),
    );
    expect(addPurchases(EMPTY_PURCHASES, big).recent).toHaveLength(RECENT_CAP);
  });

  it('adds each line to its category and to ALL', () => {
    expect(
      unitsByScope(
        contribution('O1', [
          ['A', 'books', 2],
          ['B', null, 1],
        ]).lines,
      ),
    ).toEqual(
      new Map([
        ['ALL', { A: 2, B: 1 }],
        ['books', { A: 2 }],
      ]),
    );
  });
});

describe('daysOfWindow', () => {
  it('is today and the days before it (UTC), newest first', () => {
    expect(daysOfWindow(3, new Date('2026-03-01T23:59:59Z'))).toEqual([
      '2026-03-01',
      '2026-02-28',
      '2026-02-27',
    ]);
  });
});

describe('ranking recommendations', () => {
  const product = (productId: string, category: Category, stock = 5): Product => ({
    id: productId,
    name: productId,
    description: '',
    category,
    price: 100,
    currency: 'EUR',
    stock,
    images: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  });
  const catalog = new Map(
    [
      product('KETTLE', 'home'),
      product('TEAPOT', 'home'),
      product('TEA', 'grocery'),
      product('NOVEL', 'books'),
      product('ATLAS', 'books'),
      product('GONE', 'home', 0),
    ].map((p) => [p.id, p]),
  );
  const signals = (overrides: Partial<RankingSignals> = {}): RankingSignals => ({
    favoriteCategories: ['books'],
    purchases: { categories: { home: 1 }, recent: [{ productId: 'KETTLE', orderId: 'O1' }] },
    related: new Map([['KETTLE', { TEAPOT: 4, TEA: 2, GONE: 9 }]]),
    popular: new Map<string, Counters>([
      ['ALL', { KETTLE: 9, TEAPOT: 3, NOVEL: 2, ATLAS: 2 }],
      ['books', { NOVEL: 2, ATLAS: 2 }],
    ]) as RankingSignals['popular'],
    ...overrides,
  });

  it('blends bought together, liked categories and popularity, excluding bought and out-of-stock products', () => {
    const ranked = rankRecommendations(signals(), catalog, 10);
    // TEAPOT: 0.6 x 4/9 + 0.25 x 0.5 (home, bought from) + 0.15 x 3/9; a favourite's best
    // sellers: 0.25 x 1 + 0.15 x 1; TEA: 0.6 x 2/9. GONE (out of stock) and KETTLE (bought) never.
    expect(ranked.map((r) => [r.product.id, r.score, r.reason])).toEqual([
      ['TEAPOT', 0.4417, { type: 'bought_together', productId: 'KETTLE' }],
      ['ATLAS', 0.4, { type: 'favorite_category', category: 'books' }],
      ['NOVEL', 0.4, { type: 'favorite_category', category: 'books' }],
      ['TEA', 0.1333, { type: 'bought_together', productId: 'KETTLE' }],
    ]);
  });

  it('is deterministic: the same data gives the same list whatever the order it was read in', () => {
    const reversed = signals({
      popular: new Map([...signals().popular].reverse()),
      related: new Map([['KETTLE', { GONE: 9, TEA: 2, TEAPOT: 4 }]]),
    });
    expect(rankRecommendations(reversed, catalog, 10)).toEqual(rankRecommendations(signals(), catalog, 10));
  });

  it('gives a customer with no history and no preferences the best sellers, reason popular', () => {
    const newcomer = signals({
      favoriteCategories: [],
      purchases: EMPTY_PURCHASES,
      related: new Map(),
      popular: new Map([['ALL', { KETTLE: 9, TEAPOT: 3 }]]),
    });
    expect(
      rankRecommendations(newcomer, catalog, 10).map((r) => [r.product.id, r.reason.type, r.score]),
    ).toEqual([
      ['KETTLE', 'popular', 0.15],
      ['TEAPOT', 'popular', 0.05],
    ]);
  });

  it('reads at most the asked number of candidates, the best first, never a bought one', () => {
    // Before reading products only the categories of the category lists are known.
    expect(candidateIds(signals(), 2)).toEqual(['GONE', 'ATLAS']);
    expect(candidateIds(signals(), 10)).not.toContain('KETTLE');
  });
});
