import { type CategoryName, categoryNames } from '../catalog/category-store.ts';
import { logger } from '../core/logger.ts';
import { OVERLAP_MS, REMOVAL_MEMORY_MS } from './compaction.ts';
import { SearchIndex } from './engine.ts';
import {
  type IndexChange,
  logPositionAt,
  type Pointer,
  readChanges,
  readSnapshot,
  readSnapshotPointer,
  type Snapshot,
  SnapshotIncomplete,
} from './index-store.ts';

/** A warm instance reads the change log at most this often: the freshness a search can lag by. */
export const POLL_INTERVAL_MS = 1000;
/**
 * One poll reads at most this many log entries (about one 1 MB Query page); an instance with
 * more to read continues with the next request, so no request waits on a long log.
 */
export const MAX_POLL_CHANGES = 1000;
/** A warm instance with a snapshot reads the pointer this often, to see whether it fell behind. */
const SNAPSHOT_CHECK_MS = 60_000;
/** Category names and slugs are read again at most this often (and at once for an unknown id). */
const CATEGORY_REFRESH_MS = 60_000;

/**
 * An unknown slug reads the categories again at most this often: a client sending made-up
 * slugs must not cost a Query of the whole category partition per request, and a category
 * created since the last read is filterable within this.
 */
const UNKNOWN_SLUG_REFRESH_MS = 10_000;

/** The categories a search function knows: slug -> id for filters, id -> names for facets and words. */
export class CategoryMap {
  private byId = new Map<string, CategoryName>();
  private bySlug = new Map<string, CategoryName>();
  private readAt = Number.NEGATIVE_INFINITY;
  private readonly read: () => Promise<CategoryName[]>;

  constructor(read: () => Promise<CategoryName[]> = categoryNames) {
    this.read = read;
  }

  async refresh(now = Date.now()): Promise<void> {
    const names = await this.read();
    this.byId = new Map(names.map((name) => [name.id, name]));
    this.bySlug = new Map(names.map((name) => [name.slug, name]));
    this.readAt = now;
  }

  /** The id a slug names, reading the categories again for an unknown one (rate-limited). */
  async idOfSlug(slug: string, now = Date.now()): Promise<string | undefined> {
    const known = this.idOf(slug);
    if (known !== undefined || now - this.readAt < UNKNOWN_SLUG_REFRESH_MS) return known;
    await this.refresh(now);
    return this.idOf(slug);
  }

  stale(now = Date.now()): boolean {
    return now - this.readAt >= CATEGORY_REFRESH_MS;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  idOf(slug: string): string | undefined {
    return this.bySlug.get(slug)?.id;
  }

  slugOf(id: string): string | undefined {
    return this.byId.get(id)?.slug;
  }

  /** The words a category adds to its products' text: its slug's words and its name. */
  words(id: string): string {
    const name = this.byId.get(id);
    return name ? `${name.slug.replaceAll('-', ' ')} ${name.name}` : '';
  }
}

/** The index of this instance, the categories, and where in the log it has read up to. */
export interface LiveIndex {
  /** Replaced as a whole when a snapshot is (re)loaded. */
  index: SearchIndex;
  readonly categories: CategoryMap;
  /** The snapshot the index was built from; undefined while none had been written. */
  generation: string | undefined;
  /** The next read starts here (a log position). */
  position: string;
  polledAt: number;
  /** When the snapshot pointer was last read. */
  pointerReadAt: number;
}

let live: Promise<LiveIndex> | undefined;

async function applyChanges(state: LiveIndex, changes: readonly IndexChange[]): Promise<void> {
  const unknown = changes.some((change) => change.doc?.categoryPath.some((id) => !state.categories.has(id)));
  if (unknown || state.categories.stale()) await state.categories.refresh();
  for (const change of changes)
    state.index.apply(
      change.id,
      BigInt(change.sequence),
      change.doc,
      change.removedAt === undefined ? undefined : Date.parse(change.removedAt),
    );
}

/**
 * Builds a new index from a snapshot (none: empty) and starts reading the log where it ends,
 * as a cold start does. The new index replaces the old one only when it is complete.
 */
async function buildFrom(state: LiveIndex, snapshot: Snapshot | undefined): Promise<void> {
  const next: LiveIndex = {
    ...state,
    index: new SearchIndex((id) => state.categories.words(id)),
    generation: snapshot?.generation,
    position: logPositionAt(snapshot ? Date.parse(snapshot.through) - OVERLAP_MS : 0),
  };
  await applyChanges(next, snapshot?.changes ?? []);
  Object.assign(state, next);
}

/** Cold start: the snapshot, then the log after it. */
async function load(): Promise<LiveIndex> {
  const started = Date.now();
  const categories = new CategoryMap();
  await categories.refresh();
  const state: LiveIndex = {
    index: new SearchIndex(),
    categories,
    generation: undefined,
    position: logPositionAt(0),
    polledAt: 0,
    pointerReadAt: started,
  };
  await buildFrom(state, await readSnapshot());
  await readLog(state, Date.now());
  logger.info('search index loaded', {
    documents: state.index.size,
    words: state.index.vocabularySize,
    snapshot: state.generation ?? null,
    ms: Date.now() - started,
  });
  return state;
}

/**
 * Reads the log from where the last read started, less the overlap, and applies it: at most
 * `MAX_POLL_CHANGES` entries, and when there were more, the next request reads on from the last
 * (or from the overlap, if that is earlier: an entry may still land there).
 */
async function readLog(state: LiveIndex, now: number): Promise<void> {
  const changes = await readChanges(state.position, { limit: MAX_POLL_CHANGES });
  await applyChanges(state, changes);
  const overlap = logPositionAt(now - OVERLAP_MS);
  const last = changes.at(-1);
  const more = changes.length === MAX_POLL_CHANGES && last !== undefined;
  state.position = more && last.position < overlap ? last.position : overlap;
  state.polledAt = more ? 0 : now;
}

/** The log position from which a reader of a snapshot's pointer must read the log. */
const logStartOf = (pointer: Pointer) => logPositionAt(Date.parse(pointer.through) - OVERLAP_MS);

/**
 * Whether to build the index again from the current snapshot: when this instance loaded before
 * any snapshot existed (it holds only what was logged, not the catalog from before the stream
 * consumer ran), or when its log position is older than where the snapshot ends (it idled, or
 * the snapshot was rebuilt): reading the snapshot is then bounded, reading the log is not.
 */
async function snapshotToLoad(state: LiveIndex, now: number): Promise<Pointer | undefined> {
  if (state.generation !== undefined && now - state.pointerReadAt < SNAPSHOT_CHECK_MS) return undefined;
  state.pointerReadAt = now;
  const pointer = await readSnapshotPointer();
  if (!pointer || pointer.generation === state.generation) return undefined;
  return state.generation === undefined || state.position < logStartOf(pointer) ? pointer : undefined;
}

/**
 * Brings the index up to date: from a snapshot when `snapshotToLoad` says so (until one exists,
 * an instance looks on every poll; later once a minute, one GetItem), then from the log.
 */
async function poll(state: LiveIndex, now: number): Promise<void> {
  const pointer = await snapshotToLoad(state, now);
  if (pointer) {
    try {
      await buildFrom(state, await readSnapshot(pointer));
      logger.info('search index rebuilt from a newer snapshot', {
        documents: state.index.size,
        snapshot: state.generation ?? null,
      });
    } catch (error) {
      if (!(error instanceof SnapshotIncomplete)) throw error;
      // Keep the index this instance has; the next pointer check tries again.
      logger.warn('search snapshot incomplete, index kept', { error: error.message });
    }
  }
  await readLog(state, now);
  state.index.forgetRemovalsBefore(now - REMOVAL_MEMORY_MS);
}

/**
 * This instance's index, current to within `POLL_INTERVAL_MS`: loaded once per instance (a
 * failed load is retried by the next request), then brought up to date from the log.
 */
export async function liveIndex(now = Date.now()): Promise<LiveIndex> {
  live ??= load().catch((error: unknown) => {
    live = undefined;
    throw error;
  });
  const state = await live;
  if (now - state.polledAt >= POLL_INTERVAL_MS) await poll(state, now);
  return state;
}

/** Forgets this process's index (tests that point the stores at another table). */
export function forgetLiveIndex(): void {
  live = undefined;
}
