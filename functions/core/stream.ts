import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { lambda } from './lambda.ts';
import { logger } from './logger.ts';
import { BUSINESS_METRICS } from './metric-names.ts';
import { countMetric } from './metrics.ts';

/** One change of one item, as a stream consumer sees it: plain objects, not DynamoDB JSON. */
export interface StreamChange {
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  /** The item after the change (absent for REMOVE). */
  readonly newImage?: Record<string, unknown>;
  /** The item before the change (absent for INSERT). */
  readonly oldImage?: Record<string, unknown>;
  readonly sequenceNumber: string;
  /** When the change was written (epoch seconds), as the stream reports it. */
  readonly approximateCreationTime?: number;
}

export type StreamHandler = (event: DynamoDBStreamEvent, context?: Context) => Promise<DynamoDBBatchResponse>;

/** Thrown by a record handler for a record it can never process (malformed); it is reported like any failure. */
export class PoisonRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonRecordError';
  }
}

/** A stream image (DynamoDB JSON, as Lambda passes it) as a plain object. */
function image(value: object | undefined): Record<string, unknown> | undefined {
  return value ? unmarshall(value as Record<string, AttributeValue>) : undefined;
}

/** Turns a Lambda stream record into a `StreamChange`; throws `PoisonRecordError` when it is not one. */
export function toChange(record: DynamoDBRecord): StreamChange {
  const data = record.dynamodb;
  const sequenceNumber = data?.SequenceNumber;
  if (!sequenceNumber) throw new PoisonRecordError('The record has no sequence number.');
  if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY' && record.eventName !== 'REMOVE') {
    throw new PoisonRecordError(`Unknown eventName ${String(record.eventName)}.`);
  }
  return {
    eventName: record.eventName,
    newImage: image(data.NewImage),
    oldImage: image(data.OldImage),
    sequenceNumber,
    approximateCreationTime: data.ApproximateCreationDateTime,
  };
}

/**
 * Wraps a per-record handler into a DynamoDB Streams consumer with partial batch responses
 * (`ReportBatchItemFailures`). Records are handled one after another, in stream order (the
 * order of changes to one item matters), and every record is attempted even after one fails:
 * Lambda retries from the lowest failed sequence number, so the records after a poison record
 * are still delivered now, not only after the poison record has exhausted its retries and gone
 * to the dead-letter queue. Effects must therefore be idempotent (streams deliver at least once).
 * Each failed record counts as `StreamRecordFailed`.
 */
export function streamHandler(handle: (change: StreamChange) => Promise<void>): StreamHandler {
  const wrapped = lambda<DynamoDBStreamEvent, DynamoDBBatchResponse>(async (event) => {
    const failures: { itemIdentifier: string }[] = [];
    for (const record of event.Records ?? []) {
      const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
      try {
        await handle(toChange(record));
      } catch (error) {
        logger.error('stream record failed', {
          sequenceNumber,
          eventName: record.eventName,
          poison: error instanceof PoisonRecordError,
          error: error instanceof Error ? error : String(error),
        });
        // A record without a sequence number cannot be named; an empty identifier fails the
        // whole batch, which Lambda retries (and bisects) until it isolates it.
        failures.push({ itemIdentifier: sequenceNumber });
        countMetric(BUSINESS_METRICS.StreamRecordFailed);
      }
    }
    return { batchItemFailures: failures };
  });
  // Without a context (tests), middy supplies an empty one.
  return (event, context) => wrapped(event, context as Context);
}
