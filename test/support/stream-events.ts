import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

type Image = Record<string, unknown>;

let sequence = 1000;

const dynamoDbJson = (image: Image) =>
  marshall(image, { removeUndefinedValues: true, convertClassInstanceToMap: true }) as Record<
    string,
    AttributeValue
  > as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'];

/**
 * One stream record as Lambda delivers it (DynamoDB JSON images, NEW_AND_OLD_IMAGES), with a
 * fresh, increasing sequence number unless one is given.
 */
export function streamRecord(change: {
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  oldImage?: Image;
  newImage?: Image;
  sequenceNumber?: string;
}): DynamoDBRecord {
  const image = change.newImage ?? change.oldImage ?? {};
  return {
    eventID: `event-${++sequence}`,
    eventName: change.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/test/stream/2026-01-01T00:00:00.000',
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      Keys: dynamoDbJson({ pk: image.pk, sk: image.sk }),
      ...(change.newImage ? { NewImage: dynamoDbJson(change.newImage) } : {}),
      ...(change.oldImage ? { OldImage: dynamoDbJson(change.oldImage) } : {}),
      SequenceNumber: change.sequenceNumber ?? String(++sequence).padStart(21, '0'),
      SizeBytes: 512,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

/** A batch of stream records, as an event source mapping invokes a consumer. */
export const streamEvent = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

/** A MODIFY record of an item: `before` as the old image, `before` with `changes` as the new one. */
export function modifiedItem(before: Image, changes: Image): DynamoDBRecord {
  return streamRecord({ eventName: 'MODIFY', oldImage: before, newImage: { ...before, ...changes } });
}
