/*
 * Key templates of the search domain, the only place they are spelled. The change log is one
 * partition in write order (ISO time, then product id and stream sequence number), read by
 * every search function instance from where it left off. A snapshot is a pointer item and the
 * gzipped chunks of one generation, in a partition of their own. See docs/access-patterns.md.
 */

export const SEARCH_LOG_PARTITION = 'SEARCH#LOG';
export const searchLogKey = (at: string, productId: string, sequence: string) => ({
  pk: SEARCH_LOG_PARTITION,
  sk: `${at}#${productId}#${sequence}`,
});
/** The time (ISO) in a log sort key. */
export const searchLogTime = (sk: string) => sk.slice(0, sk.indexOf('#'));
/** The smallest log sort key written at or after `at` (an ISO time). */
export const searchLogPosition = (at: string) => at;

export const SNAPSHOT_POINTER_KEY = { pk: 'SEARCH#SNAPSHOT', sk: 'CURRENT' };
export const snapshotPartition = (generation: string) => `SEARCH#SNAPSHOT#${generation}`;
export const snapshotChunkKey = (generation: string, index: number) => ({
  pk: snapshotPartition(generation),
  sk: `CHUNK#${String(index).padStart(5, '0')}`,
});
