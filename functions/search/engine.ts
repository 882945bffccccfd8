import type { SearchDocument, SearchSort } from './model.ts';
import { matchAll, TextIndex } from './text-index.ts';

/** Edges of the price facet's buckets, minor units (the last bucket is open-ended). */
export const PRICE_EDGES = [0, 1000, 2500, 5000, 10_000, 25_000, 50_000] as const;

/** A position in a result order: the sort key and the id that breaks ties. */
export interface SearchPosition {
  readonly key: number;
  readonly id: string;
}

export interface SearchRequest {
  /** Query words (`queryTokens`); none: every document, in the order asked. */
  readonly tokens: readonly string[];
  /** A category id: the category and its descendants. */
  readonly categoryId?: string;
  readonly minPrice?: number;
  readonly maxPrice?: number;
  readonly inStock?: boolean;
  readonly sort: SearchSort;
  readonly limit: number;
  /** Continue after this position (the last of the previous page). */
  readonly after?: SearchPosition;
}

export interface SearchHits {
  readonly ids: string[];
  readonly facets: {
    readonly category: { id: string; count: number }[];
    readonly price: { min: number; max: number | null; count: number }[];
  };
  /** The position of the page's last hit when more follow. */
  readonly next?: SearchPosition;
}

interface Entry {
  readonly doc: SearchDocument;
  readonly words: string[];
  readonly createdAtMs: number;
}

interface Hit extends SearchPosition {
  readonly slot: number;
}

/** a before b in a result order: by key, then newest id first (ids are ULIDs). */
const compare = (a: SearchPosition, b: SearchPosition): number =>
  a.key - b.key || (a.id > b.id ? -1 : a.id < b.id ? 1 : 0);

function sortKey(sort: SearchSort, entry: Entry, score: number): number {
  switch (sort) {
    case 'relevance':
      return -score;
    case 'price_asc':
      return entry.doc.price;
    case 'price_desc':
      return -entry.doc.price;
    case 'newest':
      return -entry.createdAtMs;
  }
}

/** Keeps the `size` first hits of an order, sorted: O(n log size) however many hits there are. */
function insertBounded(top: Hit[], hit: Hit, size: number): void {
  if (top.length === size && compare(hit, top[size - 1] as Hit) >= 0) return;
  let low = 0;
  let high = top.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compare(top[mid] as Hit, hit) < 0) low = mid + 1;
    else high = mid;
  }
  top.splice(low, 0, hit);
  if (top.length > size) top.pop();
}

function priceBucket(price: number): number {
  let bucket = 0;
  while (bucket + 1 < PRICE_EDGES.length && price >= (PRICE_EDGES[bucket + 1] as number)) bucket++;
  return bucket;
}

/**
 * The catalog's search index, in memory: documents by slot, their words in a `TextIndex`, and
 * the stream sequence number of the last change applied per product (deletions included), so
 * changes apply idempotently and in any order of delivery. `categoryText` gives the words a
 * category contributes (its slug and name) when a document is added.
 */
export class SearchIndex {
  private readonly entries: (Entry | undefined)[] = [];
  private readonly slots = new Map<string, number>();
  private readonly free: number[] = [];
  private readonly applied = new Map<string, bigint>();
  private readonly text = new TextIndex();

  private readonly categoryText: (categoryId: string) => string;

  constructor(categoryText: (categoryId: string) => string = () => '') {
    this.categoryText = categoryText;
  }

  /** Documents held. */
  get size(): number {
    return this.slots.size;
  }

  /** Distinct words indexed. */
  get vocabularySize(): number {
    return this.text.size;
  }

  /**
   * Applies one product's change (`doc` absent: removed) if it is newer than the last applied
   * for that product; returns whether it was.
   */
  apply(id: string, sequence: bigint, doc?: SearchDocument): boolean {
    const known = this.applied.get(id);
    if (known !== undefined && sequence <= known) return false;
    this.applied.set(id, sequence);
    const slot = this.slots.get(id);
    if (slot !== undefined) {
      this.text.remove(slot, (this.entries[slot] as Entry).words);
      this.entries[slot] = undefined;
      this.slots.delete(id);
      this.free.push(slot);
    }
    if (doc) this.add(doc);
    return true;
  }

  private add(doc: SearchDocument): void {
    const slot = this.free.pop() ?? this.entries.length;
    const words = this.text.add(slot, {
      name: doc.name,
      description: doc.description,
      category: doc.categoryPath.map((id) => this.categoryText(id)).join(' '),
      options: (doc.options ?? []).join(' '),
    });
    this.entries[slot] = { doc, words, createdAtMs: Date.parse(doc.createdAt) };
    this.slots.set(doc.id, slot);
  }

  /** The page of hits a request asks for, and facets over every hit. */
  search(request: SearchRequest): SearchHits {
    const matches = request.tokens.length > 0 ? matchAll(this.text, request.tokens) : undefined;
    const categoryCounts = new Map<string, number>();
    const priceCounts = new Array<number>(PRICE_EDGES.length).fill(0);
    const top: Hit[] = [];
    const visit = (slot: number, score: number) => {
      const entry = this.entries[slot];
      if (!entry) return;
      const { doc } = entry;
      const inCategory = !request.categoryId || doc.categoryPath.includes(request.categoryId);
      const inPrice =
        (request.minPrice === undefined || doc.price >= request.minPrice) &&
        (request.maxPrice === undefined || doc.price <= request.maxPrice);
      if (request.inStock !== undefined && doc.inStock !== request.inStock) return;
      if (inPrice)
        for (const id of doc.categoryPath) categoryCounts.set(id, (categoryCounts.get(id) ?? 0) + 1);
      if (inCategory) {
        const bucket = priceBucket(doc.price);
        priceCounts[bucket] = (priceCounts[bucket] ?? 0) + 1;
      }
      if (!inCategory || !inPrice) return;
      const hit = { slot, key: sortKey(request.sort, entry, score), id: doc.id };
      if (request.after && compare(hit, request.after) <= 0) return;
      insertBounded(top, hit, request.limit + 1);
    };
    if (matches) for (const [slot, score] of matches) visit(slot, score);
    else for (const slot of this.slots.values()) visit(slot, 0);
    const page = top.slice(0, request.limit);
    const last = page.at(-1);
    return {
      ids: page.map((hit) => hit.id),
      facets: {
        category: [...categoryCounts].map(([id, count]) => ({ id, count })),
        price: priceCounts.flatMap((count, bucket) =>
          count > 0
            ? [{ min: PRICE_EDGES[bucket] as number, max: PRICE_EDGES[bucket + 1] ?? null, count }]
            : [],
        ),
      },
      next: top.length > request.limit && last ? { key: last.key, id: last.id } : undefined,
    };
  }
}
