import { deleteKeys, INDEX, isConditionFailure, queryAll, table, updateItem } from '../core/db.ts';
import {
  conversationFromMembership,
  getConversationItem,
  membershipItemsOf,
  messageFromItem,
  present,
} from './items.ts';
import {
  blockedIndex,
  blocksBy,
  clientMessagePrefix,
  conversationKey,
  conversationPartition,
  MESSAGE_PREFIX,
  membershipKey,
  messageKey,
  pairKey,
  ratePartition,
  supportMessagesBy,
} from './keys.ts';
import { DELETED_BODY, DELETED_USER } from './model.ts';

/* The messages domain's part of a user's personal data: its export and its erasure. */

const messageItemsOf = (conversationId: string, senderId?: string) =>
  queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :messages)',
    ...(senderId ? { FilterExpression: 'senderId = :sender' } : {}),
    ExpressionAttributeValues: {
      ':pk': conversationPartition(conversationId),
      ':messages': MESSAGE_PREFIX,
      ...(senderId ? { ':sender': senderId } : {}),
    },
    ConsistentRead: true,
  });

/** Messages the user wrote as support in conversations they are not part of (gsi2). */
const supportMessageItemsOf = (adminId: string) =>
  queryAll({
    IndexName: INDEX.gsi2,
    KeyConditionExpression: 'gsi2pk = :pk',
    ExpressionAttributeValues: { ':pk': supportMessagesBy(adminId) },
  });

const blockItemsBy = (userId: string) =>
  queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': blocksBy(userId) },
    ConsistentRead: true,
  });

/**
 * Everything the messages domain holds about a user: their conversations with all messages
 * (both directions, oldest first), the messages they wrote as support, and whom they block.
 */
export async function exportMessagesOf(userId: string): Promise<Record<string, unknown>> {
  const conversations = [];
  for (const membership of await membershipItemsOf(userId)) {
    conversations.push({
      ...conversationFromMembership(membership),
      messages: (await messageItemsOf(membership.conversationId)).map(messageFromItem),
    });
  }
  return {
    conversations,
    supportMessages: (await supportMessageItemsOf(userId)).map(messageFromItem),
    blocks: (await blockItemsBy(userId)).map((item) => ({
      userId: String(item.sk),
      createdAt: String(item.createdAt),
    })),
  };
}

/** Ignores a condition failure: the update no longer applies (nothing to do). */
async function updateIfStill(input: Parameters<typeof updateItem>[0]): Promise<void> {
  try {
    await updateItem(input);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** Replaces the previews of a conversation (its item, the given memberships) that quote the user. */
async function scrubPreviews(userId: string, keys: readonly { pk: string; sk: string }[]): Promise<void> {
  for (const key of keys) {
    await updateIfStill({
      TableName: table().tableName,
      Key: key,
      UpdateExpression: 'SET lastMessage.body = :deleted, lastMessage.senderId = :null',
      ConditionExpression: 'lastMessage.senderId = :user',
      ExpressionAttributeValues: { ':deleted': DELETED_BODY, ':null': null, ':user': userId },
    });
  }
}

/** Turns the user's messages into `[deleted]` without an author, and forgets their clientMessageIds. */
async function anonymizeMessages(
  userId: string,
  conversationId: string,
  messages: readonly Record<string, unknown>[],
): Promise<void> {
  for (const message of messages) {
    await updateIfStill({
      TableName: table().tableName,
      Key: messageKey(conversationId, String(message.id)),
      UpdateExpression:
        'SET body = :deleted, deleted = :true, senderId = :null REMOVE clientMessageId, gsi2pk, gsi2sk',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':deleted': DELETED_BODY, ':true': true, ':null': null },
    });
  }
  const claims = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: {
      ':pk': conversationPartition(conversationId),
      ':prefix': clientMessagePrefix(userId),
    },
    ProjectionExpression: 'pk, sk',
    ConsistentRead: true,
  });
  await deleteKeys(claims.map((claim) => ({ pk: String(claim.pk), sk: String(claim.sk) })));
}

/**
 * Account erasure. First every membership of the user is marked `erasing`, which no send
 * accepts (to or from it), so no new message of theirs can appear behind the clean-up. Then,
 * per conversation: their messages become `[deleted]` without an author, previews quoting them
 * are scrubbed, their id in `participantIds` becomes null, the counterpart sees a "Deleted
 * user", and the pair item and their membership go (last, so a failed run is found again by
 * the next). Support messages are found on gsi2. Blocks by and against the user and their
 * send-rate counters are deleted. The other participant keeps their own messages.
 */
export async function eraseMessagesOf(userId: string): Promise<void> {
  const { tableName } = table();
  const memberships = await membershipItemsOf(userId);
  for (const membership of memberships) {
    await updateIfStill({
      TableName: tableName,
      Key: membershipKey(userId, membership.conversationId),
      UpdateExpression: 'SET erasing = :true',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':true': true },
    });
  }
  for (const membership of memberships) {
    const { conversationId, participantIds, orderId } = membership;
    const counterpart = membership.other.id;
    const position = participantIds.indexOf(userId);
    await anonymizeMessages(userId, conversationId, await messageItemsOf(conversationId, userId));
    const forgetParticipant = (key: { pk: string; sk: string }, extra = '') =>
      updateIfStill({
        TableName: tableName,
        Key: key,
        UpdateExpression: `SET participantIds[${position}] = :null${extra}`,
        ConditionExpression: 'attribute_exists(pk)',
        ...(extra ? { ExpressionAttributeNames: { '#other': 'other' } } : {}),
        ExpressionAttributeValues: { ':null': null, ...(extra ? { ':deletedUser': DELETED_USER } : {}) },
      });
    if (position >= 0) await forgetParticipant(conversationKey(conversationId));
    const previews = [conversationKey(conversationId)];
    if (counterpart) {
      const theirs = membershipKey(counterpart, conversationId);
      if (position >= 0) {
        await forgetParticipant(theirs, ', #other = :deletedUser REMOVE otherProfileUpdatedAt');
      }
      previews.push(theirs);
    }
    await scrubPreviews(userId, previews);
    if (counterpart) await deleteKeys([pairKey(userId, counterpart, orderId ?? null)]);
    await deleteKeys([membershipKey(userId, conversationId)]);
  }

  const support = new Map<string, Record<string, unknown>[]>();
  for (const message of await supportMessageItemsOf(userId)) {
    const conversationId = String(message.conversationId);
    support.set(conversationId, [...(support.get(conversationId) ?? []), message]);
  }
  for (const [conversationId, messages] of support) {
    await anonymizeMessages(userId, conversationId, messages);
    const conversation = await getConversationItem(conversationId);
    await scrubPreviews(userId, [
      conversationKey(conversationId),
      ...(conversation?.participantIds ?? [])
        .filter(present)
        .map((participant) => membershipKey(participant, conversationId)),
    ]);
  }

  const [blocks, blockedBy, counters] = await Promise.all([
    blockItemsBy(userId),
    queryAll({
      IndexName: INDEX.gsi1,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': blockedIndex(userId) },
    }),
    queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': ratePartition(userId) },
      ProjectionExpression: 'pk, sk',
      ConsistentRead: true,
    }),
  ]);
  await deleteKeys(
    [...blocks, ...blockedBy, ...counters].map((item) => ({ pk: String(item.pk), sk: String(item.sk) })),
  );
}
