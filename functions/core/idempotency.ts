import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { deleteKeys, queryAll, table } from './db.ts';
import { RuleViolation } from './domain-errors.ts';
import { idempotencyPartition, idempotencyRecordKey } from './keys.ts';

/** Keys are kept twice the promised 24 hours: TTL deletion may lag, never lead. */
export const IDEMPOTENCY_TTL_SECONDS = 48 * 3600;

export interface IdempotencyRecord {
  /** Hash of the request the key was first used with. */
  readonly requestHash: string;
  /** What that request created (order id, payment attempt), to answer a replay with. */
  readonly resourceId: string;
}

/** A stable hash of a request's meaningful parts (key order does not matter). */
export function requestHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('base64url');
}

/**
 * The transaction item that claims an idempotency key for the caller. It goes into the same
 * TransactWriteItems as the effect itself, so either both happen or neither: two concurrent
 * requests with one key cannot both create something.
 */
export function claimIdempotencyKey(scope: string, userId: string, key: string, record: IdempotencyRecord) {
  return {
    Put: {
      TableName: table().tableName,
      Item: {
        ...idempotencyRecordKey(scope, userId, key),
        entity: 'idempotency',
        ...record,
        createdAt: new Date().toISOString(),
        expiresAtEpoch: Math.floor(Date.now() / 1000) + IDEMPOTENCY_TTL_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * What an earlier request with this key created, or undefined for a new key. The same key
 * with a different request is a client bug: 422.
 */
export async function replayOf(
  scope: string,
  userId: string,
  key: string,
  hash: string,
): Promise<string | undefined> {
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({
      TableName: tableName,
      Key: idempotencyRecordKey(scope, userId, key),
      ConsistentRead: true,
    }),
  );
  const record = out.Item as IdempotencyRecord | undefined;
  if (!record) return undefined;
  if (record.requestHash !== hash) {
    throw new RuleViolation(
      'idempotency-key-reused',
      'This Idempotency-Key was already used with a different request. Use a new key for a new request.',
    );
  }
  return record.resourceId;
}

/** A caller's idempotency records still kept (export): scope, key and when it was first used. */
export async function idempotencyRecordsOf(
  userId: string,
): Promise<{ scope: string; key: string; createdAt: string }[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': idempotencyPartition(userId) },
    ConsistentRead: true,
  });
  return items.map((item) => {
    const sk = String(item.sk);
    const split = sk.indexOf('#');
    return { scope: sk.slice(0, split), key: sk.slice(split + 1), createdAt: String(item.createdAt) };
  });
}

/** Deletes every idempotency record of a caller (account erasure): the keys may be personal. */
export async function forgetIdempotencyRecordsOf(userId: string): Promise<void> {
  await deleteKeys(
    (await idempotencyRecordsOf(userId)).map(({ scope, key }) => idempotencyRecordKey(scope, userId, key)),
  );
}
