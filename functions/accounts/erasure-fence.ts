import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, table, transactWrite, updateItem } from '../core/db.ts';
import { profileKey } from './keys.ts';

/*
 * The fence that makes an account's erasure complete (docs/access-patterns.md, "Erasure"): the
 * erasure marks the profile first, and every write about a user, in any domain, checks in its
 * own transaction that the profile exists and carries no mark.
 */

/** While an account is being erased its profile carries this attribute (the erasure's start time). */
const ERASING = 'erasing';

export const OPEN_ACCOUNT = `attribute_exists(pk) AND attribute_not_exists(${ERASING})`;

/**
 * A transaction item that holds only while the user's account exists and is not being erased:
 * every domain that writes something about a user puts it into that write's transaction (an
 * order, a session, a conversation with the user, a block, the purchase summary), so nothing
 * new is written once `beginErasure` has marked the profile, and what was written before the
 * mark is already in the table for the erasure's consistent reads to find. With `updatedAt` it
 * also holds only while the profile is unchanged since that snapshot; the old item then comes
 * back with the cancellation (`isOpenProfile` tells a changed profile from a closing account).
 */
export function profileExists(userId: string, updatedAt?: string) {
  return {
    ConditionCheck: {
      TableName: table().tableName,
      Key: profileKey(userId),
      ...(updatedAt === undefined
        ? { ConditionExpression: OPEN_ACCOUNT }
        : {
            ConditionExpression: `${OPEN_ACCOUNT} AND updatedAt = :updatedAt`,
            ExpressionAttributeValues: { ':updatedAt': updatedAt },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          }),
    },
  };
}

/** Whether a profile item (e.g. returned with a cancelled `profileExists`) is of an open account. */
export const isOpenProfile = (item: Record<string, unknown> | undefined): boolean =>
  item !== undefined && item[ERASING] === undefined;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Writes `items` in one transaction whose item 0 is `profileExists(userId)`: for writes whose
 * only question about the account is whether it is still open. False, with nothing written,
 * when it is gone or being erased (each caller decides what that means: a 404, no session).
 * Any other failure is thrown as is, for the caller to read its own conditions: their
 * cancellation reasons are at 1, 2, ... in the order of `items`.
 */
export async function writeWhileAccountOpen(
  userId: string,
  items: readonly TransactItem[],
): Promise<boolean> {
  try {
    await transactWrite({ TransactItems: [profileExists(userId), ...items] });
    return true;
  } catch (error) {
    if (isConditionFailure(error, 0)) return false;
    throw error;
  }
}

/**
 * The first step of an account's erasure: marks the profile, so that every later write about
 * the user fails its `profileExists` check. The mark and those transactions are serialized on
 * the profile item: a write either committed before the mark (and the erasure's reads, which
 * come after it, find it) or fails. Idempotent; an account already gone stays gone.
 */
export async function beginErasure(userId: string): Promise<void> {
  try {
    await updateItem({
      TableName: table().tableName,
      Key: profileKey(userId),
      UpdateExpression: `SET #erasing = if_not_exists(#erasing, :now)`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#erasing': ERASING },
      ExpressionAttributeValues: { ':now': new Date().toISOString() },
    });
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
