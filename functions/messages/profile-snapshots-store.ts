import type { ProfileSnapshot } from '../accounts/profile-store.ts';
import { isConditionFailure, table, updateItem } from '../core/db.ts';
import { membershipItemsOf } from './items.ts';
import { membershipKey } from './keys.ts';

/* The counterpart's public profile that every membership keeps, so the inbox is one Query. */

/**
 * Rewrites the snapshot of a user's public profile in the memberships of their counterparts
 * (found through the user's own memberships, which name them). Idempotent and order-safe: a
 * snapshot is only replaced by one of a later `updatedAt`, and never once the user is gone
 * from the conversation (`other.id` no longer theirs).
 */
export async function syncProfileSnapshots(snapshot: ProfileSnapshot): Promise<number> {
  const { profile, updatedAt } = snapshot;
  let updated = 0;
  for (const membership of await membershipItemsOf(profile.id)) {
    const counterpart = membership.other.id;
    if (!counterpart) continue;
    try {
      await updateItem({
        TableName: table().tableName,
        Key: membershipKey(counterpart, membership.conversationId),
        UpdateExpression: 'SET #other = :other, otherProfileUpdatedAt = :updatedAt',
        ConditionExpression:
          'attribute_exists(pk) AND #other.id = :id AND (attribute_not_exists(otherProfileUpdatedAt) OR otherProfileUpdatedAt < :updatedAt)',
        ExpressionAttributeNames: { '#other': 'other' },
        ExpressionAttributeValues: {
          ':other': { id: profile.id, displayName: profile.displayName, bio: profile.bio },
          ':updatedAt': updatedAt,
          ':id': profile.id,
        },
      });
      updated++;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
  return updated;
}
