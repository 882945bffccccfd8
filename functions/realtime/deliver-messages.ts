import { PoisonRecordError, streamHandler } from '../core/stream.ts';
import { conversationParticipants, messageFromItem, readStateFromItem } from '../messages/items.ts';
import { MEMBERSHIP_ENTITY, MESSAGE_ENTITY } from '../messages/model.ts';
import { pushToUsers } from './push.ts';

/**
 * Real-time delivery, driven by the table's stream (nothing is pushed from request handlers):
 * a new message goes to every connection of every participant; a membership whose
 * `lastReadId` moved becomes a `read` frame (with the unread count for the reader's own
 * devices, a receipt without it for the other participant). The event source mapping's
 * filter lets only new `message` items and modified `membership` items through.
 */
export const handler = streamHandler(async (change) => {
  const item = change.newImage;
  if (!item) return;
  if (item.entity === MESSAGE_ENTITY && change.eventName === 'INSERT') {
    const message = messageFromItem(item);
    if (!message.conversationId) throw new PoisonRecordError('A message without a conversation.');
    const participants = await conversationParticipants(message.conversationId);
    await pushToUsers(participants, { type: 'message', conversationId: message.conversationId, message });
    return;
  }
  if (item.entity === MEMBERSHIP_ENTITY && change.eventName === 'MODIFY') {
    const after = readStateFromItem(item);
    const before = change.oldImage ? readStateFromItem(change.oldImage) : undefined;
    if (before?.lastReadId === after.lastReadId) return;
    const { conversationId, userId, lastReadId, unreadCount } = after;
    const others = (await conversationParticipants(conversationId)).filter((id) => id !== userId);
    await Promise.all([
      pushToUsers([userId], { type: 'read', conversationId, userId, lastReadId, unreadCount }),
      pushToUsers(others, { type: 'read', conversationId, userId, lastReadId }),
    ]);
  }
});
