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

/** A document and what filters and sorts read of it, flat (the hot loop reads these). */
interface Entry {
  readonly doc: SearchDocument;
  readonly words: string[];
  readonly createdAtMs: number;
  readonly price: number;
  readonly bucket: number;
  readonly inStock: boolean;
  /** Category ids as small numbers (`categoryNumbers`): counting them is array arithmetic. */
  readonly path: readonly number[];
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
      return entry.price;
    case 'price_desc':
      return -entry.price;
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
  /** Removed product -> when (ms): its sequence in `applied` is kept until `forgetRemovalsBefore`. */
  private readonly removals = new Map<string, number>();
  private readonly text = new TextIndex();
  private readonly categoryNumbers = new Map<string, number>();
  private readonly categoryIds: string[] = [];

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

  /** Removals remembered (`forgetRemovalsBefore` lets them go). */
  get removalsHeld(): number {
    return this.removals.size;
  }

  /**
   * Applies one product's change (`doc` absent: removed at `removedAt`, ms) if it is newer than
   * the last applied for that product; returns whether it was.
   */
  apply(id: string, sequence: bigint, doc?: SearchDocument, removedAt = Date.now()): boolean {
    const known = this.applied.get(id);
    if (known !== undefined && sequence <= known) return false;
    this.applied.set(id, sequence);
    if (doc) this.removals.delete(id);
    else this.removals.set(id, removedAt);
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

  /**
   * Forgets removals from before `ms`: an older change of such a product applies again, so call
   * it only for removals no older change can follow any more (`REMOVAL_MEMORY_MS`).
   */
  forgetRemovalsBefore(ms: number): void {
    for (const [id, at] of this.removals)
      if (at < ms) {
        this.removals.delete(id);
        this.applied.delete(id);
      }
  }

  private add(doc: SearchDocument): void {
    const slot = this.free.pop() ?? this.entries.length;
    const words = this.text.add(slot, {
      name: doc.name,
      description: doc.description,
      category: doc.categoryPath.map((id) => this.categoryText(id)).join(' '),
      options: (doc.options ?? []).join(' '),
    });
    this.entries[slot] = {
      doc,
      words,
      createdAtMs: Date.parse(doc.createdAt),
      price: doc.price,
      bucket: priceBucket(doc.price),
      inStock: doc.inStock,
      path: doc.categoryPath.map((id) => this.categoryNumber(id)),
    };
    this.slots.set(doc.id, slot);
  }

  private categoryNumber(id: string): number {
    let number = this.categoryNumbers.get(id);
    if (number === undefined) {
      number = this.categoryIds.push(id) - 1;
      this.categoryNumbers.set(id, number);
    }
    return number;
  }

  /** The page of hits a request asks for, and facets over every hit. */
  search(request: SearchRequest): SearchHits {
    const matches = request.tokens.length > 0 ? matchAll(this.text, request.tokens) : undefined;
    const categoryCounts = new Uint32Array(this.categoryIds.length);
    // A category no document is in matches nothing (-1 is in no path).
    const wanted =
      request.categoryId === undefined ? undefined : (this.categoryNumbers.get(request.categoryId) ?? -1);
    const priceCounts = new Uint32Array(PRICE_EDGES.length);
    const top: Hit[] = [];
    const size = request.limit + 1;
    const { minPrice, maxPrice, inStock, after, sort } = request;
    const visit = (slot: number, score: number) => {
      const entry = this.entries[slot];
      if (entry === undefined || (inStock !== undefined && entry.inStock !== inStock)) return;
      const inCategory = wanted === undefined || entry.path.includes(wanted);
      const inPrice =
        (minPrice === undefined || entry.price >= minPrice) &&
        (maxPrice === undefined || entry.price <= maxPrice);
      if (inPrice)
        for (const number of entry.path) categoryCounts[number] = (categoryCounts[number] ?? 0) + 1;
      if (inCategory) priceCounts[entry.bucket] = (priceCounts[entry.bucket] ?? 0) + 1;
      if (!inCategory || !inPrice) return;
      const key = sortKey(sort, entry, score);
      const id = entry.doc.id;
      // Most hits lose to the page so far: decide before allocating anything.
      const worst = top.length === size ? top[size - 1] : undefined;
      if (worst && (key > worst.key || (key === worst.key && id <= worst.id))) return;
      if (after && (key < after.key || (key === after.key && id >= after.id))) return;
      insertBounded(top, { slot, key, id }, size);
    };
    if (matches) for (const [slot, score] of matches) visit(slot, score);
    // Newest slots last, mostly: from the end, the first hits of the usual orders fill the page
    // early and the rest are turned away by one comparison.
    else for (let slot = this.entries.length - 1; slot >= 0; slot--) visit(slot, 0);
    const page = top.slice(0, request.limit);
    const last = page.at(-1);
    return {
      ids: page.map((hit) => hit.id),
      facets: {
        category: [...categoryCounts].flatMap((count, number) =>
          count > 0 ? [{ id: this.categoryIds[number] as string, count }] : [],
        ),
        price: [...priceCounts].flatMap((count, bucket) =>
          count > 0
            ? [{ min: PRICE_EDGES[bucket] as number, max: PRICE_EDGES[bucket + 1] ?? null, count }]
            : [],
        ),
      },
      next: top.length > request.limit && last ? { key: last.key, id: last.id } : undefined,
    };
  }
}
