import {
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { type FilterCriteria, matchesFilterCriteria } from './event-filter.ts';
import { type Entry, entryOf, lambdaRecord, seq } from './records.ts';
import { readErrorBackoffMs } from './retry-policy.ts';

/** GetRecords returns at most this many records (more is a ValidationException). */
export const GET_RECORDS_LIMIT = 1000;

/** Where to start reading a shard. */
export type Position =
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'AFTER'; readonly sequenceNumber: string };

export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

/** What a shard reader needs from its mapping: the stream, the filter, the log, the clock. */
export interface ReaderHost {
  readonly streams: DynamoDBStreamsClient;
  readonly streamArn: string;
  readonly filter: FilterCriteria | undefined;
  readonly pollIntervalMs: number;
  say(line: string): void;
  /** Logs a failed call once (until it succeeds again). */
  reportError(operation: string, error: unknown): void;
  /** A call succeeded: the last error is over. */
  clearError(): void;
  sleep(ms: number): Promise<void>;
  /** Records up to `sequenceNumber` are done with. */
  checkpoint(reader: ShardReader, sequenceNumber: string): void;
}

/** The position after the newest record of an open shard (TRIM_HORIZON when it has none). */
export async function latestPosition(
  streams: DynamoDBStreamsClient,
  streamArn: string,
  shardId: string,
): Promise<Position> {
  let iterator = (
    await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    )
  ).ShardIterator;
  let last: string | undefined;
  while (iterator) {
    const page = await streams.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: GET_RECORDS_LIMIT }),
    );
    const records = page.Records ?? [];
    if (records.length === 0) break;
    last = records.at(-1)?.dynamodb?.SequenceNumber ?? last;
    iterator = page.NextShardIterator;
  }
  return last ? { type: 'AFTER', sequenceNumber: last } : { type: 'TRIM_HORIZON' };
}

/**
 * One shard read by one mapping: its iterator, the matching records read and not yet delivered
 * (in order), and how far it got. Reading survives what DynamoDB Local's stream does to a long
 * reader: expired iterators are reopened where reading stopped, trimmed records are skipped.
 */
export class ShardReader {
  readonly shardId: string;
  /** Where to open an iterator when there is none (start, after expiry). */
  position: Position;
  iterator: string | undefined;
  /** Matching records read and not yet delivered, in order. */
  readonly buffer: Entry[] = [];
  lastReadSequence: string | undefined;
  checkpoint: string | undefined;
  /** The shard is closed and was read to its end. */
  ended: boolean;
  finished: boolean;
  /** `performance.now()` when the last read that found nothing new started (buffer empty). */
  idleSince = Number.NEGATIVE_INFINITY;
  inFlight: string | undefined;
  running: Promise<void> | undefined;
  private readonly host: ReaderHost;

  constructor(host: ReaderHost, shardId: string, position: Position, finished: boolean) {
    this.host = host;
    this.shardId = shardId;
    this.position = position;
    this.checkpoint = position.type === 'AFTER' ? position.sequenceNumber : undefined;
    this.ended = finished;
    this.finished = finished;
  }

  /** Reads one page into the buffer; answers the number of records read (-1 on an error). */
  async read(): Promise<number> {
    const { host } = this;
    try {
      this.iterator ??= await this.openIterator();
      if (!this.iterator) return 0;
      const page = await host.streams.send(
        new GetRecordsCommand({ ShardIterator: this.iterator, Limit: GET_RECORDS_LIMIT }),
      );
      const readAt = Date.now();
      const records = page.Records ?? [];
      for (const raw of records) {
        const record = lambdaRecord(raw, host.streamArn);
        this.lastReadSequence = record.dynamodb.SequenceNumber;
        if (matchesFilterCriteria(record, host.filter)) this.buffer.push(entryOf(record, readAt));
      }
      this.iterator = page.NextShardIterator;
      if (!this.iterator) this.ended = true;
      // Records the filter dropped are done: with nothing pending before them, move past them.
      if (this.buffer.length === 0 && this.lastReadSequence) host.checkpoint(this, this.lastReadSequence);
      host.clearError();
      return records.length;
    } catch (error) {
      return this.readFailed(error);
    }
  }

  /** What a failed read means for the shard; -1 (neither answer says the shard has nothing new) or 0. */
  private async readFailed(error: unknown): Promise<number> {
    const name = errorName(error);
    if (name === 'ExpiredIteratorException') {
      // Iterators live 15 minutes; a long retry outlives the one held. Reopen where reading stopped.
      this.iterator = undefined;
      return -1;
    }
    if (name === 'TrimmedDataAccessException') {
      // DynamoDB Local can hand out an iterator after a record whose successors are trimmed and
      // refuse only the read; the records it would have read are gone.
      this.skipTrimmed();
      return -1;
    }
    if (name === 'ResourceNotFoundException') {
      this.host.say(`shard ${this.shardId} is gone from the stream; it is not read further`);
      this.iterator = undefined;
      this.ended = true;
      return 0;
    }
    this.host.reportError('GetRecords', error);
    await this.host.sleep(readErrorBackoffMs(this.host.pollIntervalMs));
    return -1;
  }

  private async openIterator(): Promise<string | undefined> {
    const after =
      this.lastReadSequence ?? (this.position.type === 'AFTER' ? this.position.sequenceNumber : undefined);
    const request = (type: 'TRIM_HORIZON' | 'AFTER_SEQUENCE_NUMBER') =>
      this.host.streams.send(
        new GetShardIteratorCommand({
          StreamArn: this.host.streamArn,
          ShardId: this.shardId,
          ShardIteratorType: type,
          ...(type === 'AFTER_SEQUENCE_NUMBER' ? { SequenceNumber: after } : {}),
        }),
      );
    try {
      return (await request(after ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON')).ShardIterator;
    } catch (error) {
      if (errorName(error) !== 'TrimmedDataAccessException') throw error;
      this.skipTrimmed();
      return (await request('TRIM_HORIZON')).ShardIterator;
    }
  }

  /** Records older than 24 hours were trimmed before they were read: go on from the oldest left. */
  private skipTrimmed(): void {
    const after =
      this.lastReadSequence ?? (this.position.type === 'AFTER' ? this.position.sequenceNumber : undefined);
    this.host.say(
      `records of shard ${this.shardId} after ${seq(after)} were trimmed (older than 24 hours) before they were read; continuing at TRIM_HORIZON`,
    );
    this.position = { type: 'TRIM_HORIZON' };
    this.lastReadSequence = undefined;
    this.iterator = undefined;
  }
}
