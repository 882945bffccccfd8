import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isConditionFailure, queryAll, table, updateItem } from '../core/db.ts';
import { Conflict, Forbidden } from '../core/domain-errors.ts';
import { logger } from '../core/logger.ts';
import {
  type Actor,
  accessOf,
  getConversationItem,
  getItem,
  type MembershipItem,
  noConversation,
  readStateFromItem,
} from './items.ts';
import { conversationPartition, membershipKey, messageKey } from './keys.ts';
import type { ReadState } from './model.ts';

/* A participant's read position in a conversation and the unread count it implies. */

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
