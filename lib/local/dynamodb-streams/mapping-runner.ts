import {
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { LocalSqs } from '../sqs/index.ts';
import { BatchInvoker, MAX_PAYLOAD_BYTES } from './batch-invoker.ts';
import type { CheckpointStore } from './checkpoints.ts';
import type { FilterCriteria } from './event-filter.ts';
import type { MappingConfig } from './mapping-config.ts';
import { type DiscardCondition, discard } from './on-failure.ts';
import { type Entry, payloadSize } from './records.ts';
import type { Segment } from './retry-policy.ts';
import {
  errorName,
  GET_RECORDS_LIMIT,
  latestPosition,
  type Position,
  type ReaderHost,
  ShardReader,
} from './shard-reader.ts';

/** Shards in an order where every parent comes before its children, whatever order DescribeStream lists them in. */
function parentsFirst(shards: readonly Shard[], byId: ReadonlyMap<string, Shard>): Shard[] {
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
  return ordered;
}

/**
 * One event source mapping at work: it finds the table's stream, discovers its shards (parents
 * before children, new ones as they appear), reads each shard with a `ShardReader`, hands full
 * or due batches to its `BatchInvoker`, and checkpoints what is done in the `CheckpointStore`.
 */
export class MappingRunner implements ReaderHost {
  private readonly readers = new Map<string, ShardReader>();
  /** Shards found but not started: their parent has not been read to its end yet. */
  private readonly waiting = new Map<string, string>();
  private readonly sleepers = new Set<() => void>();
  streamArn = '';
  private discoveredAt = Number.NEGATIVE_INFINITY;
  private discovering: Promise<void> | undefined;
  private discoveryLoop: Promise<void> | undefined;
  private stopped = false;
  private lastError: string | undefined;

  readonly config: MappingConfig;
  readonly streams: DynamoDBStreamsClient;
  readonly pollIntervalMs: number;
  private readonly dynamodb: DynamoDBClient;
  private readonly sqs: LocalSqs;
  private readonly checkpoints: CheckpointStore;
  private readonly log: (line: string) => void;
  private readonly invoker = new BatchInvoker(this);

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

  get filter(): FilterCriteria | undefined {
    return this.config.filter;
  }

  say(line: string): void {
    this.log(`[${this.config.logicalId}] ${line}`);
  }

  isStopped(): boolean {
    return this.stopped;
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
    for (const shard of parentsFirst(shards, byId)) {
      const shardId = shard.ShardId as string;
      if (this.readers.has(shardId)) continue;
      const parent = shard.ParentShardId;
      // A parent trimmed away (or never seen) does not hold its children back.
      if (parent && byId.has(parent) && !this.readers.get(parent)?.finished) {
        this.waiting.set(shardId, parent);
        continue;
      }
      this.waiting.delete(shardId);
      const { position, finished } = await this.startingPoint(shard, saved, initial);
      const reader = new ShardReader(this, shardId, position, finished);
      this.readers.set(shardId, reader);
      this.checkpoints.save(this.config.key, this.streamArn, shardId, {
        ...(reader.checkpoint ? { sequenceNumber: reader.checkpoint } : {}),
        ...(finished ? { finished: true } : {}),
      });
      if (!finished) reader.running = this.runShard(reader);
    }
  }

  /** Where a newly found shard is read from: its checkpoint, else the starting position (LATEST at start). */
  private async startingPoint(
    shard: Shard,
    saved: ReturnType<CheckpointStore['shards']>,
    initial: boolean,
  ): Promise<{ position: Position; finished: boolean }> {
    const savedShard = saved?.[shard.ShardId as string];
    if (savedShard) {
      return {
        finished: savedShard.finished === true,
        position: savedShard.sequenceNumber
          ? { type: 'AFTER', sequenceNumber: savedShard.sequenceNumber }
          : { type: 'TRIM_HORIZON' },
      };
    }
    if (initial && !saved && this.config.startingPosition === 'LATEST') {
      // LATEST: closed shards are history; an open one starts after its newest record, resolved
      // now to a sequence number so that a checkpoint file can resume exactly there.
      if (shard.SequenceNumberRange?.EndingSequenceNumber) {
        return { position: { type: 'TRIM_HORIZON' }, finished: true };
      }
      return {
        position: await latestPosition(this.streams, this.streamArn, shard.ShardId as string),
        finished: false,
      };
    }
    // Otherwise TRIM_HORIZON: the starting position asked for, or a shard that appeared since.
    return { position: { type: 'TRIM_HORIZON' }, finished: false };
  }

  /** Reads a shard and delivers its batches, until it is read to its end (closed) or the mapping stops. */
  private async runShard(reader: ShardReader): Promise<void> {
    let firstBufferedAt: number | undefined;
    while (!this.stopped) {
      let fullPage = false;
      if (!reader.ended && reader.buffer.length < this.config.batchSize) {
        const started = performance.now();
        const read = await reader.read();
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
          payloadSize(reader.buffer) >= MAX_PAYLOAD_BYTES;
        if (ready) {
          await this.invoker.deliverNext(reader);
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

  checkpoint(reader: ShardReader, sequenceNumber: string): void {
    reader.checkpoint = sequenceNumber;
    this.checkpoints.save(this.config.key, this.streamArn, reader.shardId, { sequenceNumber });
  }

  discard(
    reader: ShardReader,
    entries: readonly Entry[],
    condition: DiscardCondition,
    segment: Segment,
  ): Promise<void> {
    const target = {
      config: this.config,
      sqs: this.sqs,
      streamArn: this.streamArn,
      say: (line: string) => this.say(line),
    };
    return discard(target, reader.shardId, entries, condition, segment);
  }

  reportError(operation: string, error: unknown): void {
    const line = `${operation} failed: ${errorName(error)}: ${(error as Error)?.message ?? String(error)}`;
    if (line !== this.lastError) this.say(`${line} (retrying)`);
    this.lastError = line;
  }

  clearError(): void {
    this.lastError = undefined;
  }

  sleep(ms: number): Promise<void> {
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
