import { profileSnapshotFromItem } from '../accounts/profile-store.ts';
import { logger } from '../core/logger.ts';
import { streamHandler } from '../core/stream.ts';
import { syncProfileSnapshots } from './profile-snapshots-store.ts';

/**
 * DynamoDB Streams consumer: when a profile's `displayName` or `bio` changes, rewrites the
 * snapshot that the user's counterparts keep in their memberships, so the inbox stays one
 * Query. Idempotent and order-safe (see `syncProfileSnapshots`): redeliveries and late records
 * never put an older profile back.
 */
export const handler = streamHandler(async (change) => {
  if (change.eventName !== 'MODIFY' || !change.newImage || !change.oldImage) return;
  const next = profileSnapshotFromItem(change.newImage);
  const previous = profileSnapshotFromItem(change.oldImage);
  if (!next || !previous) return;
  if (
    next.profile.displayName === previous.profile.displayName &&
    next.profile.bio === previous.profile.bio
  ) {
    return;
  }
  const updated = await syncProfileSnapshots(next);
  logger.info('profile snapshots synced', { userId: next.profile.id, updated });
});
