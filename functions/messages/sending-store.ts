import { createHash } from 'node:crypto';
import { decodeTime } from 'ulid';
import { profileExists } from '../accounts/erasure-fence.ts';
import { isConditionFailure, table, transactWrite } from '../core/db.ts';
import { Conflict, RateLimited, ruleViolationAt } from '../core/domain-errors.ts';
import { newId, ULID_PATTERN } from '../core/ids.ts';
import { logger } from '../core/logger.ts';
import {
  type Actor,
  accessOf,
  accountGone,
  blocked,
  type ClientMessageClaim,
  type ConversationItem,
  cancelledItem,
  getConversationItem,
  getItem,
  messageFromItem,
  noConversation,
  present,
  recipientGone,
} from './items.ts';
import {
  activitySortKey,
  blockKey,
  clientMessageKey,
  conversationKey,
  membershipKey,
  messageKey,
  rateKey,
  supportMessagesBy,
} from './keys.ts';
import {
  CLIENT_MESSAGE_TTL_SECONDS,
  MAX_MESSAGES_PER_MINUTE,
  MESSAGE_ENTITY,
  type Message,
  previewOf,
  type SendMessageInput,
} from './model.ts';

/* Sending a message: one transaction with its previews, unread counts, block check and rate counter. */

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

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

/** One send: who sends what where, and what the transaction checks it against. */
interface Send {
  readonly who: Actor;
  readonly access: 'participant' | 'support';
  readonly conversation: ConversationItem;
  readonly recipients: readonly string[];
  readonly message: Message;
  readonly bodyHash: string;
  readonly now: number;
}

/** The sender's counter of this minute goes up by one, only while under the limit. */
function rateCount(userId: string, now: number): Record<string, unknown> {
  const window = rateWindow(now);
  return {
    Update: {
      TableName: table().tableName,
      Key: rateKey(userId, window.minute),
      UpdateExpression: 'SET entity = :entity, expiresAtEpoch = :expires ADD sent :one',
      ConditionExpression: 'attribute_not_exists(sent) OR sent < :max',
      ExpressionAttributeValues: {
        ':entity': 'message-rate',
        ':expires': window.expiresAtEpoch,
        ':one': 1,
        ':max': MAX_MESSAGES_PER_MINUTE,
      },
    },
  };
}

/** The claim of the message's `clientMessageId` (a retry with it answers this message). */
function clientMessageClaim(send: Send, clientMessageId: string): Record<string, unknown> {
  const { who, message, now } = send;
  return {
    Put: {
      TableName: table().tableName,
      Item: {
        ...clientMessageKey(message.conversationId, who.userId, clientMessageId),
        entity: 'client-message',
        messageId: message.id,
        bodyHash: send.bodyHash,
        createdAt: message.createdAt,
        expiresAtEpoch: Math.floor(now / 1000) + CLIENT_MESSAGE_TTL_SECONDS,
      } satisfies ClientMessageClaim & Record<string, unknown>,
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** Everything one send writes and checks, in one transaction; roles tell failed conditions apart. */
function sendTransaction(send: Send): { role: SendRole; item: Record<string, unknown> }[] {
  const { who, access, conversation, recipients, message, now } = send;
  const { tableName } = table();
  const { id, conversationId, createdAt } = message;
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
    { role: 'rate', item: rateCount(who.userId, now) },
  ];
  if (message.clientMessageId) {
    items.push({ role: 'claim', item: clientMessageClaim(send, message.clientMessageId) });
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
