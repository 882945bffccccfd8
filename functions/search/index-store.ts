import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { productItemPages } from '../catalog/store.ts';
import { isConditionFailure, putItems, queryAll, table, updateItem } from '../core/db.ts';
import { logger } from '../core/logger.ts';
import { searchDocumentOf } from './documents.ts';
import {
  SEARCH_LOG_PARTITION,
  SNAPSHOT_POINTER_KEY,
  searchLogKey,
  searchLogPosition,
  searchLogTime,
  snapshotChunkKey,
  snapshotPartition,
} from './keys.ts';
import type { SearchDocument } from './model.ts';

/**
 * The search index's durable parts, in the table: the change log the stream consumer appends
 * to, and snapshots (gzipped JSON chunks of one generation, and a pointer to the current one).
 */

/** One product's change as logged: `doc` absent means the product was removed. */
export interface IndexChange {
  readonly id: string;
  /** The stream sequence number of the change: changes apply only over older ones. */
  readonly sequence: string;
  readonly doc?: SearchDocument;
  /** For a removal: when it was logged (ISO), so that it is remembered only as long as needed. */
  readonly removedAt?: string;
}

export interface LoggedChange extends IndexChange {
  /** Its log position (sort key). */
  readonly position: string;
}

/** What a snapshot holds: every product's latest document, and the log position it covers. */
export interface Snapshot {
  readonly generation: string;
  /** Changes logged at or before this position are in it. */
  readonly through: string;
  readonly changes: IndexChange[];
}

/** Log entries outlive any compaction by far (compaction runs every few minutes). */
const LOG_TTL_SECONDS = 7 * 24 * 3600;
/** A superseded snapshot stays readable this long for instances that started loading it. */
const SUPERSEDED_TTL_SECONDS = 3600;
/** Gzipped bytes per chunk item, well under the 400 KB item limit. */
const CHUNK_BYTES = 350_000;

/**
 * A log write that took longer than this (the SDK retries a throttled write inside one call)
 * is written again with a fresh time: readers re-read `OVERLAP_MS` (5 s) of the log behind
 * them, so an entry must land within that of the time in its key, with room for clock skew.
 */
export const LATE_WRITE_MS = 2_000;
const LATE_WRITE_ATTEMPTS = 3;

/**
 * Appends one change to the log, its time taken per attempt (streams deliver at least once and
 * a late write is repeated: a repeat is harmless, sequences decide).
 */
export async function appendChange(change: IndexChange, clock: () => number = Date.now): Promise<void> {
  const { client, tableName } = table();
  for (let attempt = 1; ; attempt++) {
    const now = clock();
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...searchLogKey(new Date(now).toISOString(), change.id, change.sequence),
          entity: 'search-change',
          ...change,
          expiresAtEpoch: Math.floor(now / 1000) + LOG_TTL_SECONDS,
        },
      }),
    );
    const took = clock() - now;
    if (took <= LATE_WRITE_MS) return;
    if (attempt === LATE_WRITE_ATTEMPTS) {
      // Failing the record would only log it later still (and, retried too often, lose it).
      logger.warn('search change logged late', { productId: change.id, ms: took });
      return;
    }
  }
}

/**
 * Logged changes after `position` up to `through` (inclusive), in log order: at most `limit`
 * of them (then the rest follow the last one's position), or all.
 */
export async function readChanges(
  position: string,
  options: { through?: string; limit?: number } = {},
): Promise<LoggedChange[]> {
  const { through, limit } = options;
  const { client, tableName } = table();
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: through ? 'pk = :pk AND sk BETWEEN :from AND :to' : 'pk = :pk AND sk > :from',
        ExpressionAttributeValues: {
          ':pk': SEARCH_LOG_PARTITION,
          ':from': position,
          ...(through ? { ':to': `${through}\uffff` } : {}),
        },
        ...(limit === undefined ? {} : { Limit: limit - items.length }),
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(out.Items ?? []).filter((item) => item.sk !== position));
    start = out.LastEvaluatedKey;
  } while (start && (limit === undefined || items.length < limit));
  return items.map((item) => ({
    position: String(item.sk),
    id: String(item.id),
    sequence: String(item.sequence),
    ...(item.doc ? { doc: item.doc as SearchDocument } : { removedAt: searchLogTime(String(item.sk)) }),
  }));
}

/** The log position of a time (ms): every entry written at or after it sorts after it. */
export const logPositionAt = (ms: number): string =>
  searchLogPosition(new Date(Math.max(0, ms)).toISOString());

export interface Pointer {
  readonly generation: string;
  readonly through: string;
  readonly chunks: number;
}

/** The current snapshot's pointer (generation, position, chunk count), or undefined. */
export async function readSnapshotPointer(): Promise<Pointer | undefined> {
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: SNAPSHOT_POINTER_KEY, ConsistentRead: true }),
  );
  return out.Item as Pointer | undefined;
}

/**
 * A snapshot read that did not find every chunk its pointer counts. It is a storage fault, so
 * `$fault` makes it a 503 like any other (a cold start cannot serve a partial index); a warm
 * instance keeps the index it has.
 */
export class SnapshotIncomplete extends Error {
  override readonly name = 'SnapshotIncomplete';
  readonly $fault = 'server';
}

/** Reads of a snapshot before giving up (the pointer is read again between them: it may have moved on). */
const SNAPSHOT_READ_ATTEMPTS = 3;

/**
 * The snapshot a pointer names (by default the current one), or undefined when none was ever
 * written: one strongly consistent Query of its chunks (the chunks are written before the
 * pointer, so such a read sees them all), checked against the pointer's count.
 */
export async function readSnapshot(pointer?: Pointer): Promise<Snapshot | undefined> {
  let current = pointer ?? (await readSnapshotPointer());
  for (let attempt = 1; current; attempt++) {
    const chunks = await queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': snapshotPartition(current.generation) },
      ConsistentRead: true,
    });
    if (chunks.length === current.chunks) {
      const bytes = gunzipSync(Buffer.concat(chunks.map((chunk) => chunk.data as Uint8Array)));
      const changes = JSON.parse(bytes.toString('utf8')) as IndexChange[];
      return { generation: current.generation, through: current.through, changes };
    }
    if (attempt === SNAPSHOT_READ_ATTEMPTS)
      throw new SnapshotIncomplete(
        `Snapshot ${current.generation}: ${chunks.length} of ${current.chunks} chunks read.`,
      );
    current = await readSnapshotPointer();
  }
  return undefined;
}

/**
 * Writes a snapshot as a new generation and makes it current if the current one is still
 * `previous` (a conditional put: of two compactions at once, one wins and the other's chunks
 * expire). The superseded generation's chunks get a TTL. Returns whether it became current.
 */
export async function writeSnapshot(
  snapshot: Snapshot,
  previous: { generation: string; chunks: number } | undefined,
): Promise<boolean> {
  const { client, tableName } = table();
  const bytes = gzipSync(JSON.stringify(snapshot.changes));
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length || chunks.length === 0; offset += CHUNK_BYTES)
    chunks.push(bytes.subarray(offset, offset + CHUNK_BYTES));
  const expiresAtEpoch = Math.floor(Date.now() / 1000) + SUPERSEDED_TTL_SECONDS;
  await putItems(
    chunks.map((data, index) => ({
      ...snapshotChunkKey(snapshot.generation, index),
      entity: 'search-snapshot-chunk',
      data,
    })),
  );
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...SNAPSHOT_POINTER_KEY,
          entity: 'search-snapshot',
          generation: snapshot.generation,
          through: snapshot.through,
          chunks: chunks.length,
          documents: snapshot.changes.length,
          bytes: bytes.length,
        },
        ConditionExpression: previous ? 'generation = :previous' : 'attribute_not_exists(pk)',
        ...(previous ? { ExpressionAttributeValues: { ':previous': previous.generation } } : {}),
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    await expireChunks(snapshot.generation, chunks.length, expiresAtEpoch);
    return false;
  }
  if (previous) await expireChunks(previous.generation, previous.chunks, expiresAtEpoch);
  return true;
}

async function expireChunks(generation: string, count: number, expiresAtEpoch: number): Promise<void> {
  for (let index = 0; index < count; index++)
    await updateItem({
      TableName: table().tableName,
      Key: snapshotChunkKey(generation, index),
      UpdateExpression: 'SET expiresAtEpoch = :at',
      ExpressionAttributeValues: { ':at': expiresAtEpoch },
    });
}

/** Whether anything was logged after `position` (one Query of at most one item). */
export async function changedSince(position: string): Promise<boolean> {
  const { client, tableName } = table();
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND sk > :from',
      ExpressionAttributeValues: { ':pk': SEARCH_LOG_PARTITION, ':from': position },
      Limit: 1,
    }),
  );
  return (out.Items ?? []).length > 0;
}

/** Every product's document, from the catalog itself (a bootstrap, or a rebuild after a loss). */
export async function catalogChanges(): Promise<IndexChange[]> {
  const changes: IndexChange[] = [];
  for await (const page of productItemPages())
    for (const item of page) {
      const doc = searchDocumentOf(item);
      // Sequence 0: any logged change of the product is newer than the catalog read.
      if (doc) changes.push({ id: doc.id, sequence: '0', doc });
    }
  return changes;
}
