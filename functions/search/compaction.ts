import { newId } from '../core/ids.ts';
import {
  catalogChanges,
  changedSince,
  type IndexChange,
  logPositionAt,
  readChanges,
  readSnapshot,
  readSnapshotPointer,
  writeSnapshot,
} from './index-store.ts';

/**
 * Changes logged in the last seconds are left to the readers: a log entry may land a little
 * after the time in its sort key (the writer's clock, then the write), and a snapshot must not
 * claim a position it may not have seen everything before.
 */
export const SETTLE_MS = 10_000;
/**
 * Readers re-read this much of the log before where they last read, for the same reason: a log
 * write that takes longer than `LATE_WRITE_MS` (2 s) is written again with a fresh time, so every
 * entry lands within 2 s of its key's time and 3 s are left for clock skew.
 */
export const OVERLAP_MS = 5_000;

/**
 * How long a removal is remembered, in snapshots and in memory: until no copy of an older
 * change of the product can reach the log any more. DynamoDB Streams keep a record 24 hours,
 * and `SearchIndexProducts` gives up on records older than its `maxRecordAgeSeconds` (24 hours):
 * their sum, 48 hours, bounds how late a redelivery can be logged (a unit test holds the
 * consumer's setting to it). Without a bound, every product ever removed stayed forever.
 */
export const REMOVAL_MEMORY_MS = 48 * 3600 * 1000;

/**
 * Snapshot changes without the removals older than `REMOVAL_MEMORY_MS`; a removal from a
 * snapshot written before removals had a time is timed now, so it too goes in 48 hours.
 */
function withoutOldRemovals(changes: readonly IndexChange[], now: number): IndexChange[] {
  const stamp = new Date(now).toISOString();
  return changes.flatMap((change) => {
    if (change.doc) return [change];
    const removedAt = change.removedAt ?? stamp;
    return Date.parse(removedAt) < now - REMOVAL_MEMORY_MS ? [] : [{ ...change, removedAt }];
  });
}

/** The later of two changes of one product by stream sequence number. */
export function newer(a: IndexChange | undefined, b: IndexChange): boolean {
  return a === undefined || BigInt(b.sequence) > BigInt(a.sequence);
}

export type CompactionOutcome =
  | { readonly outcome: 'unchanged' }
  | {
      readonly outcome: 'written' | 'lost-race';
      readonly source: 'catalog' | 'log';
      readonly documents: number;
    };

/**
 * Folds the change log into a new snapshot: the current snapshot plus the changes logged since
 * (up to `SETTLE_MS` ago), or, when there is no snapshot yet, every product read from the
 * catalog (the bootstrap of an existing shop). Nothing to do when nothing was logged since.
 */
export async function compactIndex(now = Date.now()): Promise<CompactionOutcome> {
  const through = logPositionAt(now - SETTLE_MS);
  const pointer = await readSnapshotPointer();
  let changes: IndexChange[];
  if (!pointer) {
    changes = await catalogChanges();
  } else {
    if (!(await changedSince(pointer.through))) return { outcome: 'unchanged' };
    const snapshot = await readSnapshot();
    const latest = new Map((snapshot?.changes ?? []).map((change) => [change.id, change]));
    const since = logPositionAt(Date.parse(pointer.through) - OVERLAP_MS);
    for (const change of await readChanges(since, { through })) {
      const { position: _position, ...kept } = change;
      if (newer(latest.get(change.id), kept)) latest.set(change.id, kept);
    }
    changes = withoutOldRemovals([...latest.values()], now);
  }
  const written = await writeSnapshot({ generation: newId(now), through, changes }, pointer);
  return {
    outcome: written ? 'written' : 'lost-race',
    source: pointer ? 'log' : 'catalog',
    documents: changes.filter((change) => change.doc).length,
  };
}
