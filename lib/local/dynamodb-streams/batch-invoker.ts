import type { InvokeOutcome } from '../lambda/outcome.ts';
import type { MappingConfig } from './mapping-config.ts';
import type { DiscardCondition } from './on-failure.ts';
import { type Entry, range, seq } from './records.ts';
import { backoffMs, bisect, expiredCount, type Segment, type Verdict, verdictOf } from './retry-policy.ts';
import type { ShardReader } from './shard-reader.ts';

/** Lambda's limit on a synchronous invocation's payload; a batch never exceeds it. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** What delivering a mapping's batches needs from the mapping. */
export interface InvokerHost {
  readonly config: MappingConfig;
  readonly pollIntervalMs: number;
  isStopped(): boolean;
  say(line: string): void;
  sleep(ms: number): Promise<void>;
  checkpoint(reader: ShardReader, sequenceNumber: string): void;
  discard(
    reader: ShardReader,
    entries: readonly Entry[],
    condition: DiscardCondition,
    segment: Segment,
  ): Promise<void>;
}

const describe = (segment: Segment) =>
  `batch of ${segment.entries.length} record${segment.entries.length === 1 ? '' : 's'} (${range(segment.entries)})`;

const lastSequence = (entries: readonly Entry[]) => (entries.at(-1) as Entry).sequenceNumber;

/**
 * Delivers a mapping's batches to its function as Lambda does: retried until they succeed or
 * their retries (or record age) run out, bisected on function errors when asked, partially
 * checkpointed on partial batch responses, throttled invocations retried without counting.
 */
export class BatchInvoker {
  private readonly host: InvokerHost;

  constructor(host: InvokerHost) {
    this.host = host;
  }

  /** Takes the next batch off the reader's buffer and delivers it until it is done or discarded. */
  async deliverNext(reader: ShardReader): Promise<void> {
    const batch: Entry[] = [];
    let size = 0;
    for (const entry of reader.buffer) {
      if (batch.length >= this.host.config.batchSize) break;
      if (batch.length > 0 && size + entry.size > MAX_PAYLOAD_BYTES) break;
      batch.push(entry);
      size += entry.size;
    }
    const delivered = await this.deliver(reader, batch);
    if (!delivered) return; // stopped between retries: the batch stays for the next start
    reader.buffer.splice(0, batch.length);
    const last = reader.buffer.length === 0 ? reader.lastReadSequence : batch.at(-1)?.sequenceNumber;
    if (last) this.host.checkpoint(reader, last);
  }

  /** Delivers one batch; answers false when stopped before the batch was done. */
  private async deliver(reader: ShardReader, batch: Entry[]): Promise<boolean> {
    const { host } = this;
    const segments: Segment[] = [{ entries: [...batch], retries: 0, invokes: 0, last: undefined }];
    try {
      while (segments.length > 0) {
        if (host.isStopped()) return false;
        const segment = segments[0] as Segment;
        if (await this.dropExpired(reader, segment)) {
          segments.shift();
          continue;
        }
        const outcome = await this.invoke(reader, segment);
        if (!outcome.ok && outcome.throttled) {
          // The function never ran (its concurrency is used up): the batch waits and goes again,
          // without counting as a failed attempt.
          await host.sleep(backoffMs(1, host.pollIntervalMs));
          continue;
        }
        segment.invokes += 1;
        segment.last = outcome;
        const verdict = verdictOf(outcome, segment.entries, host.config.reportBatchItemFailures);
        if (host.isStopped()) {
          // Functions are stopped along with the runtime: an error now is not the batch's fault.
          // What succeeded is checkpointed; the rest is delivered again on the next start.
          if (verdict.kind === 'success') host.checkpoint(reader, lastSequence(segment.entries));
          return false;
        }
        if (verdict.kind === 'success') {
          host.checkpoint(reader, lastSequence(segment.entries));
          segments.shift();
          continue;
        }
        await this.afterFailure(reader, segments, segment, verdict);
      }
      return true;
    } finally {
      reader.inFlight = undefined;
    }
  }

  /** Discards the records at the head of a segment that outlived `MaximumRecordAgeInSeconds`; true when none is left. */
  private async dropExpired(reader: ShardReader, segment: Segment): Promise<boolean> {
    const { maxRecordAgeMs } = this.host.config;
    if (maxRecordAgeMs === undefined) return false;
    const expired = expiredCount(segment.entries, Date.now(), maxRecordAgeMs);
    if (expired === 0) return false;
    const old = segment.entries.splice(0, expired);
    await this.host.discard(reader, old, 'RecordAgeExceeded', segment);
    this.host.checkpoint(reader, lastSequence(old));
    return segment.entries.length === 0;
  }

  private async invoke(reader: ShardReader, segment: Segment): Promise<InvokeOutcome> {
    reader.inFlight = `batch of ${segment.entries.length} (${range(segment.entries)}), attempt ${segment.retries + 1}`;
    const outcome = await this.host.config.fn.invoke({
      Records: segment.entries.map((entry) => entry.record),
    });
    reader.inFlight = undefined;
    return outcome;
  }

  /** A failed attempt: partial success checkpointed, then a bisect, a retry after backoff, or a discard. */
  private async afterFailure(
    reader: ShardReader,
    segments: Segment[],
    segment: Segment,
    verdict: Exclude<Verdict, { kind: 'success' }>,
  ): Promise<void> {
    const described = `${describe(segment)} failed on attempt ${segment.retries + 1}`;
    if (verdict.kind === 'partial') {
      // Records before the lowest reported failure are done; the rest is retried (with bisect
      // on, the batch is split there and only the remaining records are retried: the same).
      const done = segment.entries.splice(0, verdict.index);
      if (done.length > 0) this.host.checkpoint(reader, lastSequence(done));
      const failed = `${described}: item ${seq(verdict.identifier)} reported failed`;
      return this.retryOrDiscard(reader, segments, segment, failed, (delay) => {
        return `retrying ${segment.entries.length} records from it in ${delay} ms`;
      });
    }
    if (this.host.config.bisect && segment.entries.length > 1) {
      // Splitting does not count towards the retry quota.
      const halves = bisect(segment);
      this.host.say(
        `${described}: ${verdict.reason}; bisecting into ${halves[0].entries.length} + ${halves[1].entries.length}`,
      );
      segments.splice(0, 1, ...halves);
      return;
    }
    return this.retryOrDiscard(reader, segments, segment, `${described}: ${verdict.reason}`, (delay) => {
      return `retrying in ${delay} ms`;
    });
  }

  /** Counts a failed attempt: past `MaximumRetryAttempts` the segment is discarded, else retried after backoff. */
  private async retryOrDiscard(
    reader: ShardReader,
    segments: Segment[],
    segment: Segment,
    failed: string,
    retrying: (delayMs: number) => string,
  ): Promise<void> {
    segment.retries += 1;
    if (segment.retries > this.host.config.maxRetries) {
      this.host.say(`${failed}; retries exhausted`);
      await this.host.discard(reader, segment.entries, 'RetryAttemptsExhausted', segment);
      this.host.checkpoint(reader, lastSequence(segment.entries));
      segments.shift();
      return;
    }
    const delay = backoffMs(segment.retries, this.host.pollIntervalMs);
    this.host.say(`${failed}; ${retrying(delay)}`);
    await this.host.sleep(delay);
  }
}
