import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { isOpenProfile, profileExists } from '../accounts/erasure-fence.ts';
import { getProfileSnapshot, type ProfileSnapshot } from '../accounts/profile-store.ts';
import { type CursorPosition, decodeCursor, encodeCursor } from '../core/cursor.ts';
import { INDEX, isConditionFailure, table, transactWrite } from '../core/db.ts';
import { Conflict, ruleViolationAt } from '../core/domain-errors.ts';
import { newId, ULID_PATTERN } from '../core/ids.ts';
import { getOrder } from '../orders/store.ts';
import {
  type Actor,
  accessOf,
  accountGone,
  blocked,
  type ConversationItem,
  cancelledItem,
  conversationFromMembership,
  getItem,
  invalidCursor,
  type MembershipItem,
  messageFromItem,
  noConversation,
  supportConversationFromItem,
  unknownUser,
} from './items.ts';
import {
  activitySortKey,
  blockKey,
  conversationKey,
  conversationPartition,
  inbox,
  MESSAGE_PREFIX,
  META,
  membershipKey,
  messageKey,
  ORDER_CONVERSATIONS,
  pairKey,
} from './keys.ts';
import {
  CONVERSATION_ENTITY,
  type Conversation,
  type CreateConversationInput,
  MEMBERSHIP_ENTITY,
  type Message,
  type SupportConversation,
} from './model.ts';

/* Starting conversations, and reading them: the inbox, support's listing, a conversation's messages. */

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The conversation between the caller and a participant about an order (or about nothing):
 * the existing one (`created: false`) or a new one. The pair item, the conversation, both
 * memberships, the check that the participant has not blocked the caller and that both
 * accounts exist (unchanged since their profiles were snapshotted) are ONE transaction, so two
 * racing requests create one conversation and the other answers with it.
 */
export async function startConversation(
  who: Actor,
  input: CreateConversationInput,
): Promise<{ conversation: Conversation; created: boolean }> {
  const { participantId } = input;
  const orderId = input.orderId ?? null;
  if (participantId === who.userId) {
    throw ruleViolationAt(
      'self-conversation',
      'You cannot start a conversation with yourself.',
      'body.participantId',
    );
  }
  if (orderId) {
    const order = await getOrder(orderId);
    // Unknown and not-yours read the same, so the answer does not reveal others' orders.
    if (!order || (order.userId !== who.userId && !who.isAdmin)) {
      throw ruleViolationAt('unknown-order', `You have no order ${orderId}.`, 'body.orderId');
    }
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await existingConversation(who.userId, participantId, orderId);
    if (existing) return { conversation: existing, created: false };
    const [them, me] = await Promise.all([getProfileSnapshot(participantId), getProfileSnapshot(who.userId)]);
    if (!them) throw unknownUser(participantId, 'body.participantId');
    if (!me) throw accountGone();
    const now = Date.now();
    const id = newId(now);
    const at = new Date(now).toISOString();
    const conversation: ConversationItem = {
      id,
      orderId,
      subject: input.subject ?? null,
      participantIds: [who.userId, participantId],
      lastMessage: null,
      lastActivityAt: at,
      createdAt: at,
    };
    const membership = (
      userId: string,
      other: ProfileSnapshot,
    ): MembershipItem & Record<string, unknown> => ({
      ...membershipKey(userId, id),
      entity: MEMBERSHIP_ENTITY,
      gsi1pk: inbox(userId),
      gsi1sk: activitySortKey(at, id),
      userId,
      conversationId: id,
      orderId,
      subject: conversation.subject,
      participantIds: conversation.participantIds,
      other: { id: other.profile.id, displayName: other.profile.displayName, bio: other.profile.bio },
      otherProfileUpdatedAt: other.updatedAt,
      lastMessage: null,
      unreadCount: 0,
      lastActivityAt: at,
      createdAt: at,
    });
    const mine = membership(who.userId, them);
    const { tableName } = table();
    const put = (Item: Record<string, unknown>) => ({
      Put: { TableName: tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' },
    });
    const [PAIR, BLOCK, THEM, ME] = [0, 4, 5, 6];
    try {
      await transactWrite({
        TransactItems: [
          put({
            ...pairKey(who.userId, participantId, orderId),
            entity: 'conversation-pair',
            conversationId: id,
            createdAt: at,
          }),
          put({
            ...conversationKey(id),
            entity: CONVERSATION_ENTITY,
            ...conversation,
            ...(orderId ? { gsi1pk: ORDER_CONVERSATIONS, gsi1sk: activitySortKey(at, id) } : {}),
          }),
          put(mine),
          put(membership(participantId, me)),
          {
            ConditionCheck: {
              TableName: tableName,
              Key: blockKey(participantId, who.userId),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          profileExists(participantId, them.updatedAt),
          profileExists(who.userId, me.updatedAt),
        ],
      });
      return { conversation: conversationFromMembership(mine), created: true };
    } catch (error) {
      if (isConditionFailure(error, BLOCK)) throw blocked();
      // A profile that is gone or being erased (not merely changed since the snapshot).
      if (isConditionFailure(error, THEM) && !isOpenProfile(cancelledItem(error, THEM))) {
        throw unknownUser(participantId, 'body.participantId');
      }
      if (isConditionFailure(error, ME) && !isOpenProfile(cancelledItem(error, ME))) throw accountGone();
      // Otherwise a concurrent request created the conversation first (the pair exists now),
      // or a profile changed since its snapshot: look again.
      if (![PAIR, THEM, ME].some((index) => isConditionFailure(error, index))) throw error;
    }
  }
  throw new Conflict('The conversation changed while it was being started. Try again.');
}

/** The caller's existing conversation with a participant about an order (or nothing); 403 if the participant blocked the caller. */
async function existingConversation(
  userId: string,
  participantId: string,
  orderId: string | null,
): Promise<Conversation | undefined> {
  const pair = await getItem(pairKey(userId, participantId, orderId));
  if (!pair) return undefined;
  const [block, membership] = await Promise.all([
    getItem(blockKey(participantId, userId)),
    getItem(membershipKey(userId, String(pair.conversationId))),
  ]);
  if (block) throw blocked();
  // The pair outlives a membership only while the caller's own account is being erased.
  if (!membership) throw accountGone();
  return conversationFromMembership(membership);
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * One page of a gsi1 partition sorted by `<lastActivityAt>#<conversationId>`, latest first.
 * The cursor holds the last row's activity time and conversation id, signed for `scope`.
 */
async function activityPage<T>(
  partition: string,
  scope: string,
  tableKeyOf: (conversationId: string) => { pk: string; sk: string },
  idOf: (item: Record<string, unknown>) => string,
  map: (item: Record<string, unknown>) => T,
  limit: number,
  cursor: string | undefined,
): Promise<Page<T>> {
  const { client, tableName } = table();
  let exclusiveStartKey: Record<string, string> | undefined;
  if (cursor) {
    const { at, id } = await decodeCursor(scope, cursor);
    if (typeof id !== 'string' || !ULID_PATTERN.test(id) || typeof at !== 'string' || !ISO_TIME.test(at)) {
      throw invalidCursor();
    }
    exclusiveStartKey = { ...tableKeyOf(id), gsi1pk: partition, gsi1sk: activitySortKey(at, id) };
  }
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: INDEX.gsi1,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': partition },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: exclusiveStartKey,
    }),
  );
  const items = out.Items ?? [];
  const last = items.at(-1);
  const position = (item: Record<string, unknown>): CursorPosition => ({
    at: String(item.lastActivityAt),
    id: idOf(item),
  });
  return {
    items: items.map(map),
    nextCursor: out.LastEvaluatedKey && last ? await encodeCursor(scope, position(last)) : null,
  };
}

/**
 * The caller's conversations, latest activity first, each with the counterpart's profile, a
 * preview of the last message and the caller's unread count: ONE Query of their memberships.
 */
export function listConversations(
  userId: string,
  limit: number,
  cursor?: string,
): Promise<Page<Conversation>> {
  return activityPage(
    inbox(userId),
    `conversations:${userId}`,
    (conversationId) => membershipKey(userId, conversationId),
    (item) => String(item.conversationId),
    conversationFromMembership,
    limit,
    cursor,
  );
}

/** Every order conversation, latest activity first (support): ONE Query on gsi1. */
export function listOrderConversations(limit: number, cursor?: string): Promise<Page<SupportConversation>> {
  return activityPage(
    ORDER_CONVERSATIONS,
    'conversations:orders',
    conversationKey,
    (item) => String(item.id),
    supportConversationFromItem,
    limit,
    cursor,
  );
}

/**
 * A conversation's messages, newest first. The first page is ONE Query that returns the
 * conversation item (`~META` sorts last, so it comes first descending) with the messages, and
 * the caller's right to read is decided on it; anyone else gets 404. Later pages continue from
 * a cursor signed for this caller, conversation and role, so it proves that right was checked.
 */
export async function listMessages(
  who: Actor,
  conversationId: string,
  limit: number,
  cursor?: string,
): Promise<Page<Message>> {
  const { client, tableName } = table();
  const scope = `messages:${conversationId}:${who.userId}:${who.isAdmin ? 'admin' : 'user'}`;
  let exclusiveStartKey: Record<string, string> | undefined;
  if (cursor) {
    const { id } = await decodeCursor(scope, cursor);
    if (typeof id !== 'string' || !ULID_PATTERN.test(id)) throw invalidCursor();
    exclusiveStartKey = messageKey(conversationId, id);
  }
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND sk >= :messages',
      ExpressionAttributeValues: {
        ':pk': conversationPartition(conversationId),
        ':messages': MESSAGE_PREFIX,
      },
      ScanIndexForward: false,
      // The first page also holds the conversation item.
      Limit: cursor ? limit : limit + 1,
      ExclusiveStartKey: exclusiveStartKey,
      // A sender reads their own message right after sending it.
      ConsistentRead: true,
    }),
  );
  let items = out.Items ?? [];
  if (!cursor) {
    const [meta, ...messages] = items;
    if (meta?.sk !== META || !accessOf(who, meta as unknown as ConversationItem)) {
      throw noConversation(conversationId);
    }
    items = messages;
  }
  const last = items.at(-1);
  return {
    items: items.map(messageFromItem),
    nextCursor: out.LastEvaluatedKey && last ? await encodeCursor(scope, { id: String(last.id) }) : null,
  };
}
