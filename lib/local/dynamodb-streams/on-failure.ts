import { randomUUID } from 'node:crypto';
import type { LocalSqs } from '../sqs/index.ts';
import type { MappingConfig } from './mapping-config.ts';
import { type Entry, range } from './records.ts';
import type { Segment } from './retry-policy.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export type DiscardCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** Where a mapping's discarded records are reported. */
export interface OnFailureTarget {
  readonly config: MappingConfig;
  readonly sqs: LocalSqs;
  readonly streamArn: string;
  readonly say: (line: string) => void;
}

/** The invocation record Lambda sends to an on-failure destination for records of a stream. */
function invocationRecord(
  target: OnFailureTarget,
  shardId: string,
  entries: readonly Entry[],
  condition: DiscardCondition,
  segment: Segment,
) {
  const first = entries[0] as Entry;
  const last = entries.at(-1) as Entry;
  const lastOutcome = segment.last;
  return {
    requestContext: {
      requestId: lastOutcome?.requestId ?? randomUUID(),
      functionArn: target.config.functionArn,
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
      shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: isoSeconds(first.createdMs),
      approximateArrivalOfLastRecord: isoSeconds(last.createdMs),
      batchSize: entries.length,
      streamArn: target.streamArn,
    },
  };
}

/** Moves past records whose retries or age ran out, sending the on-failure record (SQS destinations only). */
export async function discard(
  target: OnFailureTarget,
  shardId: string,
  entries: readonly Entry[],
  condition: DiscardCondition,
  segment: Segment,
): Promise<void> {
  const { say } = target;
  const what = `${entries.length} record${entries.length === 1 ? '' : 's'} (${range(entries)})`;
  const { destination } = target.config;
  if (!destination) {
    say(`discarded ${what} (${condition}); no on-failure destination`);
    return;
  }
  if (!destination.startsWith('arn:aws:sqs:')) {
    say(`discarded ${what} (${condition}); on-failure destination ${destination} is not emulated locally`);
    return;
  }
  try {
    target.sqs.send(
      destination,
      JSON.stringify(invocationRecord(target, shardId, entries, condition, segment)),
    );
    say(
      `discarded ${what} after ${segment.invokes} invocation${segment.invokes === 1 ? '' : 's'} (${condition}); on-failure record sent to ${destination.split(':').at(-1)}`,
    );
  } catch (error) {
    say(
      `discarded ${what} (${condition}); sending the on-failure record failed: ${(error as Error).message}`,
    );
  }
}
