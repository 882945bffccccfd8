import type { _Record, AttributeValue } from '@aws-sdk/client-dynamodb-streams';
import { LOCAL_REGION } from '../account.ts';

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
export interface Entry {
  readonly record: LambdaDynamoDbRecord;
  readonly sequenceNumber: string;
  /** `ApproximateCreationDateTime` in ms, as the stream reports it. */
  readonly createdMs: number;
  /** Best estimate of when the record was written (see the notes on minute rounding above). */
  readonly writtenMs: number;
  readonly readAt: number;
  readonly size: number;
}

/** The entry of a record read at `readAt` (ms). */
export function entryOf(record: LambdaDynamoDbRecord, readAt: number): Entry {
  const createdMs = (record.dynamodb.ApproximateCreationDateTime ?? readAt / 1000) * 1000;
  return {
    record,
    sequenceNumber: record.dynamodb.SequenceNumber,
    createdMs,
    // DynamoDB Local rounds the creation time down to the minute.
    writtenMs: createdMs % 60_000 === 0 ? Math.min(readAt, createdMs + 59_999) : createdMs,
    readAt,
    size: Buffer.byteLength(JSON.stringify(record)),
  };
}

/** The payload a batch of entries makes. */
export function payloadSize(entries: readonly Entry[]): number {
  let size = 0;
  for (const entry of entries) size += entry.size;
  return size;
}

/** Shortens a 21-digit sequence number for log lines. */
export const seq = (sequenceNumber: string | undefined) => (sequenceNumber ?? '?').replace(/^0+(?=\d)/, '');

/** `seq 12` or `seq 12..20`, for log lines. */
export function range(entries: readonly Entry[]): string {
  const first = seq(entries[0]?.sequenceNumber);
  const last = seq(entries.at(-1)?.sequenceNumber);
  return first === last ? `seq ${first}` : `seq ${first}..${last}`;
}
