import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Caller } from '../core/auth.ts';
import { queryAll, table } from '../core/db.ts';
import { Blocked, InvalidInput, NotFound, ruleViolationAt } from '../core/domain-errors.ts';
import { conversationKey, inbox } from './keys.ts';
import type { Conversation, Counterpart, Message, MessagePreview, SupportConversation } from './model.ts';

/*
 * The items of the messages domain (conversations, memberships, messages), how the API shows
 * them, and what every part of its store shares: point reads, who may use a conversation, and
 * the errors they answer with. Key templates: keys.ts; the parts: conversations-store.ts,
 * sending-store.ts, read-state-store.ts, blocks-store.ts, personal-data-store.ts,
 * profile-snapshots-store.ts.
 */

/** Who acts: a signed-in user, who may be an admin (support). */
export type Actor = Pick<Caller, 'userId' | 'isAdmin'>;

export interface ConversationItem {
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

export interface MembershipItem {
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

export interface ClientMessageClaim {
  messageId: string;
  bodyHash: string;
}

export const unknownUser = (userId: string, path: string) =>
  ruleViolationAt('unknown-user', `There is no user ${userId} (any more).`, path);

export const accountGone = () => new NotFound('This account no longer exists.');

export const noConversation = (conversationId: string) =>
  new NotFound(`No conversation with id ${conversationId}.`);

export const blocked = () => new Blocked('This user does not accept messages from you.');

export const recipientGone = () =>
  ruleViolationAt(
    'recipient-gone',
    'The other participant’s account no longer exists; the conversation can be read, not answered.',
  );

export const invalidCursor = () =>
  new InvalidInput('The cursor is not valid for this listing.', [
    { path: 'query.cursor', message: 'Invalid cursor.' },
  ]);

export const present = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;

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
export function conversationFields(item: ConversationItem | MembershipItem) {
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
export function conversationFromMembership(item: Record<string, unknown>): Conversation {
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
export function supportConversationFromItem(item: Record<string, unknown>): SupportConversation {
  const c = item as unknown as ConversationItem;
  return { id: c.id, ...conversationFields(c) };
}

/** How the actor may use a conversation: as a participant, as support (an admin, order conversations only), or not at all. */
export function accessOf(
  who: Actor,
  conversation: ConversationItem | undefined,
): 'participant' | 'support' | undefined {
  if (!conversation) return undefined;
  if (conversation.participantIds.includes(who.userId)) return 'participant';
  return who.isAdmin && conversation.orderId ? 'support' : undefined;
}

export async function getItem(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
  const { client, tableName } = table();
  const out = await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  return out.Item;
}

export const getConversationItem = async (conversationId: string) =>
  (await getItem(conversationKey(conversationId))) as ConversationItem | undefined;

/**
 * The ids of a conversation's participants whose accounts still exist (one GetItem), e.g. for
 * the real-time consumer to find whom to push to. Empty for an unknown conversation.
 */
export async function conversationParticipants(conversationId: string): Promise<string[]> {
  return ((await getConversationItem(conversationId))?.participantIds ?? []).filter(present);
}

/** The item DynamoDB returned for a failed transaction item (`ReturnValuesOnConditionCheckFailure`). */
export function cancelledItem(error: unknown, index: number): Record<string, unknown> | undefined {
  const reasons = (error as { CancellationReasons?: { Item?: Record<string, AttributeValue> }[] })
    .CancellationReasons;
  const item = reasons?.[index]?.Item;
  return item ? unmarshall(item) : undefined;
}

export const membershipItemsOf = (userId: string) =>
  queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': inbox(userId) },
    ConsistentRead: true,
  }) as Promise<(MembershipItem & Record<string, unknown>)[]>;
