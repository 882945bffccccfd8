import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { decodeTime } from 'ulid';
import { getProfileSnapshot, isOpenProfile, type ProfileSnapshot, profileExists } from '../accounts/store.ts';
import type { Caller } from '../core/auth.ts';
import { type CursorPosition, decodeCursor, encodeCursor } from '../core/cursor.ts';
import {
  deleteKeys,
  INDEX,
  isConditionFailure,
  queryAll,
  table,
  transactWrite,
  updateItem,
} from '../core/db.ts';
import {
  Blocked,
  Conflict,
  Forbidden,
  InvalidInput,
  NotFound,
  RateLimited,
  ruleViolationAt,
} from '../core/domain-errors.ts';
import { newId, ULID_PATTERN } from '../core/ids.ts';
import { logger } from '../core/logger.ts';
import { getOrder } from '../orders/store.ts';
import {
  activitySortKey,
  blockedIndex,
  blockKey,
  blocksBy,
  clientMessageKey,
  clientMessagePrefix,
  conversationKey,
  conversationPartition,
  inbox,
  MESSAGE_PREFIX,
  META,
  membershipKey,
  messageKey,
  ORDER_CONVERSATIONS,
  pairKey,
  rateKey,
  ratePartition,
  supportMessagesBy,
} from './keys.ts';
import {
  CLIENT_MESSAGE_TTL_SECONDS,
  CONVERSATION_ENTITY,
  type Conversation,
  type Counterpart,
  type CreateConversationInput,
  DELETED_BODY,
  DELETED_USER,
  MAX_MESSAGES_PER_MINUTE,
  MEMBERSHIP_ENTITY,
  MESSAGE_ENTITY,
  type Message,
  type MessagePreview,
  previewOf,
  type ReadState,
  type SendMessageInput,
  type SupportConversation,
} from './model.ts';

/** Who acts: a signed-in user, who may be an admin (support). */
export type Actor = Pick<Caller, 'userId' | 'isAdmin'>;

interface ConversationItem {
  id: string;
  orderId: string | null;
  subject: string | null;
  participantIds: (string | null)[];
  lastMessage: MessagePreview | null;
  /** The newest message's id: every send is conditional on being newer, so commit order is id order. */
  lastMessageId?: string;
  lastActivityAt: string;
  createdAt: string;
}

interface MembershipItem {
  userId: string;
  conversationId: string;
  orderId: string | null;
  subject: string | null;
  participantIds: (string | null)[];
  other: Counterpart;
  /** The counterpart profile's `updatedAt` the snapshot was taken at: sync-profiles never goes back. */
  otherProfileUpdatedAt?: string;
  lastMessage: MessagePreview | null;
  unreadCount: number;
  /** Absent until the first read (a NULL would fail `lastReadId < :id`); always an existing message's id. */
  lastReadId?: string;
  lastActivityAt: string;
  createdAt: string;
  /** Set while the participant's account is being erased: no message can be sent to or from it. */
  erasing?: boolean;
}

interface ClientMessageClaim {
  messageId: string;
  bodyHash: string;
}

const unknownUser = (userId: string, path: string) =>
  ruleViolationAt('unknown-user', `There is no user ${userId} (any more).`, path);
const accountGone = () => new NotFound('This account no longer exists.');
const noConversation = (conversationId: string) => new NotFound(`No conversation with id ${conversationId}.`);
const blocked = () => new Blocked('This user does not accept messages from you.');
const recipientGone = () =>
  ruleViolationAt(
    'recipient-gone',
    'The other participant’s account no longer exists; the conversation can be read, not answered.',
  );
const invalidCursor = () =>
  new InvalidInput('The cursor is not valid for this listing.', [
    { path: 'query.cursor', message: 'Invalid cursor.' },
  ]);

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
const nowIso = () => new Date().toISOString();
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const present = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;

/** An unmarshalled message item (stored, or a stream image) in the API's shape. */
export function messageFromItem(item: Record<string, unknown>): Message {
  const { id, conversationId, senderId, fromSupport, body, createdAt, deleted, clientMessageId } =
    item as unknown as Message;
  return {
    id,
    conversationId,
    senderId: senderId ?? null,
    fromSupport: fromSupport === true,
    body,
    createdAt,
    deleted: deleted === true,
    ...(clientMessageId ? { clientMessageId } : {}),
  };
}

/** A membership item's read state (stored, or a stream image): what a participant's devices sync. */
export function readStateFromItem(item: Record<string, unknown>): {
  userId: string;
  conversationId: string;
  lastReadId: string | null;
  unreadCount: number;
} {
  const { userId, conversationId, lastReadId, unreadCount } = item as unknown as MembershipItem;
  return { userId, conversationId, lastReadId: lastReadId ?? null, unreadCount: Number(unreadCount ?? 0) };
}

/** What a participant's row and support's listing both show of a conversation. */
function conversationFields(item: ConversationItem | MembershipItem) {
  return {
    orderId: item.orderId ?? null,
    subject: item.subject ?? null,
    participantIds: item.participantIds,
    lastMessage: item.lastMessage ?? null,
    lastActivityAt: item.lastActivityAt,
    createdAt: item.createdAt,
  };
}

/** A membership item as its participant sees the conversation. */
function conversationFromMembership(item: Record<string, unknown>): Conversation {
  const m = item as unknown as MembershipItem;
  return {
    id: m.conversationId,
    ...conversationFields(m),
    other: { id: m.other.id ?? null, displayName: m.other.displayName, bio: m.other.bio },
    unreadCount: Number(m.unreadCount ?? 0),
    lastReadId: m.lastReadId ?? null,
  };
}

/** A conversation item as support lists it. */
function supportConversationFromItem(item: Record<string, unknown>): SupportConversation {
  const c = item as unknown as ConversationItem;
  return { id: c.id, ...conversationFields(c) };
}

/** How the actor may use a conversation: as a participant, as support (an admin, order conversations only), or not at all. */
function accessOf(
  who: Actor,
  conversation: ConversationItem | undefined,
): 'participant' | 'support' | undefined {
  if (!conversation) return undefined;
  if (conversation.participantIds.includes(who.userId)) return 'participant';
  return who.isAdmin && conversation.orderId ? 'support' : undefined;
}

async function getItem(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
  const { client, tableName } = table();
  const out = await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  return out.Item;
}

const getConversationItem = async (conversationId: string) =>
  (await getItem(conversationKey(conversationId))) as ConversationItem | undefined;

/**
 * The ids of a conversation's participants whose accounts still exist (one GetItem), e.g. for
 * the real-time consumer to find whom to push to. Empty for an unknown conversation.
 */
export async function conversationParticipants(conversationId: string): Promise<string[]> {
  return ((await getConversationItem(conversationId))?.participantIds ?? []).filter(present);
}

/** The item DynamoDB returned for a failed transaction item (`ReturnValuesOnConditionCheckFailure`). */
function cancelledItem(error: unknown, index: number): Record<string, unknown> | undefined {
  const reasons = (error as { CancellationReasons?: { Item?: Record<string, AttributeValue> }[] })
    .CancellationReasons;
  const item = reasons?.[index]?.Item;
  return item ? unmarshall(item) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Starting a conversation

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

// ---------------------------------------------------------------------------------------------
// Listings

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

// ---------------------------------------------------------------------------------------------
// Sending

/** Attempts at a fresh, later id when a newer message or a read position is already past ours. */
const MAX_ID_ATTEMPTS = 10;
/**
 * Conflict retries of one send. Every send in a conversation writes the same conversation
 * item and memberships; 20 at once on one conversation need more patience than the default.
 */
const SEND_CONFLICT_RETRIES = 8;

type SendRole = 'message' | 'conversation' | 'recipient' | 'sender' | 'block' | 'rate' | 'claim';

/** The current fixed one-minute window of a sender's counter, and the seconds left in it. */
function rateWindow(now: number): { minute: number; retryAfter: number; expiresAtEpoch: number } {
  const minute = Math.floor(now / 60_000);
  return {
    minute,
    retryAfter: Math.max(1, Math.ceil(((minute + 1) * 60_000 - now) / 1000)),
    // Kept a minute past its window, so TTL never deletes a live counter.
    expiresAtEpoch: (minute + 2) * 60,
  };
}

/** Everything one send writes and checks, in one transaction; roles tell failed conditions apart. */
function sendTransaction(send: {
  who: Actor;
  access: 'participant' | 'support';
  conversation: ConversationItem;
  recipients: readonly string[];
  message: Message;
  bodyHash: string;
  now: number;
}): { role: SendRole; item: Record<string, unknown> }[] {
  const { who, access, conversation, recipients, message, now } = send;
  const { tableName } = table();
  const { id, conversationId, createdAt } = message;
  const window = rateWindow(now);
  const activity = {
    ':preview': previewOf(message),
    ':at': createdAt,
    ':activity': activitySortKey(createdAt, conversationId),
  };
  const touch = 'SET lastMessage = :preview, lastActivityAt = :at, gsi1sk = :activity';
  const items: { role: SendRole; item: Record<string, unknown> }[] = [
    {
      role: 'message',
      item: {
        Put: {
          TableName: tableName,
          Item: {
            ...messageKey(conversationId, id),
            entity: MESSAGE_ENTITY,
            ...message,
            ...(access === 'support' ? { gsi2pk: supportMessagesBy(who.userId), gsi2sk: id } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    },
    {
      role: 'conversation',
      item: {
        Update: {
          TableName: tableName,
          Key: conversationKey(conversationId),
          // Only order conversations are on gsi1 (the support listing).
          UpdateExpression: `SET lastMessage = :preview, lastMessageId = :id, lastActivityAt = :at${
            conversation.orderId ? ', gsi1sk = :activity' : ''
          }`,
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(lastMessageId) OR lastMessageId < :id)',
          ExpressionAttributeValues: {
            ':preview': activity[':preview'],
            ':id': id,
            ':at': createdAt,
            ...(conversation.orderId ? { ':activity': activity[':activity'] } : {}),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    },
    ...recipients.map((recipient) => ({
      role: 'recipient' as const,
      item: {
        Update: {
          TableName: tableName,
          Key: membershipKey(recipient, conversationId),
          UpdateExpression: `${touch} ADD unreadCount :one`,
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(erasing) AND (attribute_not_exists(lastReadId) OR lastReadId < :id)',
          ExpressionAttributeValues: { ...activity, ':one': 1, ':id': id },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    })),
    {
      role: 'sender',
      item:
        access === 'participant'
          ? {
              Update: {
                TableName: tableName,
                Key: membershipKey(who.userId, conversationId),
                UpdateExpression: touch,
                ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(erasing)',
                ExpressionAttributeValues: activity,
              },
            }
          : profileExists(who.userId),
    },
    ...recipients.map((recipient) => ({
      role: 'block' as const,
      item: {
        ConditionCheck: {
          TableName: tableName,
          Key: blockKey(recipient, who.userId),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    })),
    {
      role: 'rate',
      item: {
        Update: {
          TableName: tableName,
          Key: rateKey(who.userId, window.minute),
          UpdateExpression: 'SET entity = :entity, expiresAtEpoch = :expires ADD sent :one',
          ConditionExpression: 'attribute_not_exists(sent) OR sent < :max',
          ExpressionAttributeValues: {
            ':entity': 'message-rate',
            ':expires': window.expiresAtEpoch,
            ':one': 1,
            ':max': MAX_MESSAGES_PER_MINUTE,
          },
        },
      },
    },
  ];
  if (message.clientMessageId) {
    items.push({
      role: 'claim',
      item: {
        Put: {
          TableName: tableName,
          Item: {
            ...clientMessageKey(conversationId, who.userId, message.clientMessageId),
            entity: 'client-message',
            messageId: id,
            bodyHash: send.bodyHash,
            createdAt,
            expiresAtEpoch: Math.floor(now / 1000) + CLIENT_MESSAGE_TTL_SECONDS,
          } satisfies ClientMessageClaim & Record<string, unknown>,
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    });
  }
  return items;
}

/**
 * Sends a message: ONE transaction writes the message, claims the `clientMessageId`, moves the
 * conversation's and both memberships' last activity and preview, adds one to the recipient's
 * unread count (to both participants' for a support message), checks that the recipient has not
 * blocked the sender and counts the sender's messages this minute. The sender must be a
 * participant (their membership must exist, checked inside the transaction) or support.
 *
 * The message id must be newer than the conversation's last message and the recipient's read
 * position; if another instance's clock made either later, the message takes a fresh id past
 * it. So messages commit in id order, previews never go back, and `unreadCount` is always the
 * number of others' messages after `lastReadId`.
 */
export async function sendMessage(
  who: Actor,
  conversationId: string,
  input: SendMessageInput,
): Promise<{ message: Message; replayed: boolean }> {
  const bodyHash = sha256(input.body);
  const [conversation, replay] = await Promise.all([
    getConversationItem(conversationId),
    input.clientMessageId ? replayOf(conversationId, who.userId, input.clientMessageId, bodyHash) : undefined,
  ]);
  const access = accessOf(who, conversation);
  if (!conversation || !access) throw noConversation(conversationId);
  if (replay) return { message: replay, replayed: true };
  const others = conversation.participantIds.filter((id) => id !== who.userId);
  // A participant whose counterpart was erased, or support in a conversation with nobody left.
  if (access === 'participant' ? !others.every(present) : !others.some(present)) throw recipientGone();
  const recipients = others.filter(present);
  let notBefore = 0;
  for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
    const now = Date.now();
    const id = newId(Math.max(now, notBefore));
    const message: Message = {
      id,
      conversationId,
      senderId: who.userId,
      fromSupport: access === 'support',
      body: input.body,
      createdAt: new Date(decodeTime(id)).toISOString(),
      deleted: false,
      ...(input.clientMessageId ? { clientMessageId: input.clientMessageId } : {}),
    };
    const items = sendTransaction({ who, access, conversation, recipients, message, bodyHash, now });
    try {
      const out = await transactWrite(
        { TransactItems: items.map(({ item }) => item), ReturnConsumedCapacity: 'TOTAL' },
        { conflictRetries: SEND_CONFLICT_RETRIES },
      );
      logger.info('message sent', {
        conversationId,
        messageId: id,
        support: access === 'support',
        attempt,
        consumedCapacity: out.ConsumedCapacity,
      });
      return { message, replayed: false };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const failed = items.flatMap(({ role }, index) =>
        isConditionFailure(error, index) ? [{ role, old: cancelledItem(error, index) }] : [],
      );
      const has = (role: SendRole) => failed.some((f) => f.role === role);
      if (has('claim') && input.clientMessageId) {
        // A concurrent request with this clientMessageId won: answer as its replay.
        const first = await replayOf(conversationId, who.userId, input.clientMessageId, bodyHash);
        if (first) return { message: first, replayed: true };
        throw new Conflict('The same clientMessageId is being sent right now. Try again.');
      }
      if (has('sender')) throw access === 'participant' ? noConversation(conversationId) : accountGone();
      const stale = failed.filter((f) => f.role === 'conversation' || f.role === 'recipient');
      if (stale.some((f) => f.role === 'conversation' && !f.old)) throw noConversation(conversationId);
      if (has('block')) throw blocked();
      if (stale.some((f) => f.role === 'recipient' && (!f.old || f.old.erasing))) throw recipientGone();
      if (has('rate')) {
        const { retryAfter } = rateWindow(now);
        throw new RateLimited(
          `You can send ${MAX_MESSAGES_PER_MINUTE} messages a minute. Try again in ${retryAfter} s.`,
          retryAfter,
        );
      }
      // A newer message or read position is past our id: take an id after it.
      const past = stale
        .map((f) => String((f.role === 'conversation' ? f.old?.lastMessageId : f.old?.lastReadId) ?? ''))
        .filter((blocking) => ULID_PATTERN.test(blocking) && blocking >= id);
      if (past.length === 0 && !has('message')) throw error;
      notBefore = Math.max(notBefore, ...past.map((blocking) => decodeTime(blocking) + 1));
      logger.info('message id behind the conversation; sending again with a later id', {
        conversationId,
        id,
      });
    }
  }
  throw new Conflict('The conversation is very busy right now. Try again.');
}

/** The message an earlier send with this clientMessageId made, if any; the same id with another body is a 422. */
async function replayOf(
  conversationId: string,
  senderId: string,
  clientMessageId: string,
  bodyHash: string,
): Promise<Message | undefined> {
  const claim = (await getItem(clientMessageKey(conversationId, senderId, clientMessageId))) as
    | ClientMessageClaim
    | undefined;
  if (!claim) return undefined;
  if (claim.bodyHash !== bodyHash) {
    throw ruleViolationAt(
      'client-message-id-reused',
      'This clientMessageId was already used for another message. Use a new one for a new message.',
      'body.clientMessageId',
    );
  }
  const message = await getItem(messageKey(conversationId, claim.messageId));
  return message ? messageFromItem(message) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Reading

function toReadState(item: Record<string, unknown>): ReadState {
  const { conversationId, lastReadId, unreadCount } = readStateFromItem(item);
  return { conversationId, lastReadId, unreadCount };
}

const MAX_READ_ATTEMPTS = 8;

/**
 * Moves the caller's read position to `upTo` (or to the newest message before it) and takes
 * the others' messages in between off their unread count. The position only moves forward
 * and only to a message that exists: the count is taken up to the last message the caller's
 * membership had seen (every message up to it is committed, since messages commit in id
 * order), and the update holds only if the position is still the one counted from, so two
 * devices racing never count a message twice, move it backwards, or go below zero.
 */
export async function markRead(who: Actor, conversationId: string, upTo: string): Promise<ReadState> {
  const { tableName } = table();
  for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
    const item = await getItem(membershipKey(who.userId, conversationId));
    if (!item || item.erasing) {
      const conversation = item ? undefined : await getConversationItem(conversationId);
      if (accessOf(who, conversation) === 'support') {
        throw new Forbidden(
          'Support reads order conversations without a read position; only participants mark them read.',
        );
      }
      throw noConversation(conversationId);
    }
    const membership = item as unknown as MembershipItem;
    const state = toReadState(item);
    const from = membership.lastReadId;
    const latest = membership.lastMessage?.id;
    const bound = latest && latest < upTo ? latest : upTo;
    if (!latest || (from !== undefined && bound <= from)) return state;
    const read = await queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': conversationPartition(conversationId),
        ':from': messageKey(conversationId, from ?? '').sk,
        ':to': messageKey(conversationId, bound).sk,
      },
      ProjectionExpression: 'id, senderId',
      ConsistentRead: true,
    });
    const newer = read.filter((message) => from === undefined || String(message.id) > from);
    const last = newer.at(-1);
    if (!last) return state;
    let count = newer.filter((message) => message.senderId !== who.userId).length;
    for (let clamp = 0; clamp < 2; clamp++) {
      try {
        const out = await updateItem({
          TableName: tableName,
          Key: membershipKey(who.userId, conversationId),
          UpdateExpression: 'SET lastReadId = :to, unreadCount = unreadCount - :count',
          ConditionExpression: `attribute_exists(pk) AND ${
            from === undefined ? 'attribute_not_exists(lastReadId)' : 'lastReadId = :from'
          } AND unreadCount >= :count`,
          ExpressionAttributeValues: {
            ':to': String(last.id),
            ':count': count,
            ...(from === undefined ? {} : { ':from': from }),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        });
        return toReadState(out.Attributes ?? {});
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const old = (error as { Item?: Record<string, AttributeValue> }).Item;
        const current = old ? (unmarshall(old) as Partial<MembershipItem>) : undefined;
        if (!current || current.lastReadId !== from) break;
        // Same position but fewer unread than counted: never below zero.
        logger.warn('unread count below the messages read; clamping at zero', { conversationId, count });
        count = Math.min(count, Number(current.unreadCount ?? 0));
      }
    }
  }
  throw new Conflict('The read position kept changing. Try again.');
}

// ---------------------------------------------------------------------------------------------
// Blocks

const selfBlock = () => ruleViolationAt('self-block', 'You cannot block or unblock yourself.', 'path.userId');

/**
 * Blocks a user: they can no longer start a conversation with, or send a message to, the
 * caller. Idempotent (blocking twice keeps the first block). Unknown users are a 422; the
 * caller's own account must still exist, so a token that outlives an erasure writes nothing.
 */
export async function blockUser(blocker: string, blocked: string): Promise<void> {
  if (blocker === blocked) throw selfBlock();
  try {
    await transactWrite({
      TransactItems: [
        profileExists(blocked),
        profileExists(blocker),
        {
          Put: {
            TableName: table().tableName,
            Item: {
              ...blockKey(blocker, blocked),
              entity: 'block',
              gsi1pk: blockedIndex(blocked),
              gsi1sk: blocker,
              blockerId: blocker,
              blockedId: blocked,
              createdAt: nowIso(),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
    });
  } catch (error) {
    if (isConditionFailure(error, 0)) throw unknownUser(blocked, 'path.userId');
    if (isConditionFailure(error, 1)) throw accountGone();
    // Already blocked: nothing to do.
    if (!isConditionFailure(error, 2)) throw error;
  }
}

/** Lifts a block; idempotent (there may be none, or the user may be gone). */
export async function unblockUser(blocker: string, blocked: string): Promise<void> {
  if (blocker === blocked) throw selfBlock();
  // A transaction of one, for its conflict retries: sends check this very item in theirs.
  await transactWrite({
    TransactItems: [{ Delete: { TableName: table().tableName, Key: blockKey(blocker, blocked) } }],
  });
}

// ---------------------------------------------------------------------------------------------
// Personal data: export and erasure

const membershipItemsOf = (userId: string) =>
  queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': inbox(userId) },
    ConsistentRead: true,
  }) as Promise<(MembershipItem & Record<string, unknown>)[]>;

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

// ---------------------------------------------------------------------------------------------
// Profile snapshots

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
