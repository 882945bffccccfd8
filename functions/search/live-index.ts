import { type CategoryName, categoryNames } from '../catalog/category-store.ts';
import { logger } from '../core/logger.ts';
import { OVERLAP_MS } from './compaction.ts';
import { SearchIndex } from './engine.ts';
import { type IndexChange, logPositionAt, readChanges, readSnapshot } from './index-store.ts';

/** A warm instance reads the change log at most this often: the freshness a search can lag by. */
export const POLL_INTERVAL_MS = 1000;
/** Category names and slugs are read again at most this often (and at once for an unknown id). */
const CATEGORY_REFRESH_MS = 60_000;

/** The categories a search function knows: slug -> id for filters, id -> names for facets and words. */
export class CategoryMap {
  private byId = new Map<string, CategoryName>();
  private bySlug = new Map<string, CategoryName>();
  private readAt = 0;

  async refresh(now = Date.now()): Promise<void> {
    const names = await categoryNames();
    this.byId = new Map(names.map((name) => [name.id, name]));
    this.bySlug = new Map(names.map((name) => [name.slug, name]));
    this.readAt = now;
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
  readonly index: SearchIndex;
  readonly categories: CategoryMap;
  /** The next read starts here (a log position). */
  position: string;
  polledAt: number;
}

let live: Promise<LiveIndex> | undefined;

async function applyChanges(state: LiveIndex, changes: readonly IndexChange[]): Promise<void> {
  const unknown = changes.some((change) => change.doc?.categoryPath.some((id) => !state.categories.has(id)));
  if (unknown || state.categories.stale()) await state.categories.refresh();
  for (const change of changes) state.index.apply(change.id, BigInt(change.sequence), change.doc);
}

/** Cold start: the snapshot, then the log after it. */
async function load(): Promise<LiveIndex> {
  const started = Date.now();
  const categories = new CategoryMap();
  await categories.refresh();
  const index = new SearchIndex((id) => categories.words(id));
  const snapshot = await readSnapshot();
  const state: LiveIndex = {
    index,
    categories,
    position: logPositionAt(snapshot ? Date.parse(snapshot.through) - OVERLAP_MS : 0),
    polledAt: 0,
  };
  await applyChanges(state, snapshot?.changes ?? []);
  await poll(state, Date.now());
  logger.info('search index loaded', {
    documents: index.size,
    words: index.vocabularySize,
    snapshot: snapshot?.generation ?? null,
    ms: Date.now() - started,
  });
  return state;
}

/** Reads the log from where the last read started, less the overlap, and applies it. */
async function poll(state: LiveIndex, now: number): Promise<void> {
  const changes = await readChanges(state.position);
  await applyChanges(state, changes);
  state.position = logPositionAt(now - OVERLAP_MS);
  state.polledAt = now;
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
