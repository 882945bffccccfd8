import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, table } from '../core/db.ts';
import { sentMarkerKey } from './keys.ts';

/*
 * Exactly-once sending over an at-least-once stream: before sending, a conditional Put claims
 * the event's marker (`sending`, with a lease); after SES accepted the message it becomes
 * `sent`. A redelivered record finds the marker and sends nothing. If the send fails, the claim
 * is released so the retry sends; if the function dies between SES accepting and the marker
 * turning `sent`, the lease lets a retry after it send again: the one window for a duplicate,
 * a crash of a few milliseconds, which SES (no idempotency token) cannot close.
 */

const LEASE_SECONDS = 120;
/** Markers outlive every redelivery: the stream keeps records 24 hours. */
const MARKER_TTL_SECONDS = 7 * 24 * 3600;
const nowEpoch = () => Math.floor(Date.now() / 1000);

/** Claims the right to send the email of `eventKey`; false when it was sent (or is being sent). */
export async function claimSend(eventKey: string): Promise<boolean> {
  const now = nowEpoch();
  try {
    await table().client.send(
      new PutCommand({
        TableName: table().tableName,
        Item: {
          ...sentMarkerKey(eventKey),
          entity: 'sent-email',
          state: 'sending',
          leaseUntilEpoch: now + LEASE_SECONDS,
          expiresAtEpoch: now + MARKER_TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :sending AND leaseUntilEpoch < :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':sending': 'sending', ':now': now },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Records that SES accepted the email (with its message id). */
export async function markSent(eventKey: string, messageId: string): Promise<void> {
  await table().client.send(
    new UpdateCommand({
      TableName: table().tableName,
      Key: sentMarkerKey(eventKey),
      UpdateExpression: 'SET #state = :sent, messageId = :id REMOVE leaseUntilEpoch',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':sent': 'sent', ':id': messageId },
    }),
  );
}

/** Gives a claim back after a failed send, so the record's retry sends. */
export async function releaseClaim(eventKey: string): Promise<void> {
  await table()
    .client.send(
      new DeleteCommand({
        TableName: table().tableName,
        Key: sentMarkerKey(eventKey),
        ConditionExpression: '#state = :sending',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':sending': 'sending' },
      }),
    )
    .catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
}
