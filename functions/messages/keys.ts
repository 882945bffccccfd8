/*
 * Key templates of the messages domain, the only place they are spelled; see
 * docs/access-patterns.md ("Messages and real time"). Everything about one conversation lives in
 * its partition: `~META` sorts after every `MESSAGE#`, so a descending Query returns it first,
 * then the newest messages.
 */

export const conversationPartition = (conversationId: string) => `CONVERSATION#${conversationId}`;
export const META = '~META';
export const MESSAGE_PREFIX = 'MESSAGE#';
export const conversationKey = (conversationId: string) => ({
  pk: conversationPartition(conversationId),
  sk: META,
});
export const messageKey = (conversationId: string, messageId: string) => ({
  pk: conversationPartition(conversationId),
  sk: `${MESSAGE_PREFIX}${messageId}`,
});
/** A sender's `clientMessageId` claims, in the conversation's partition. */
export const clientMessagePrefix = (senderId: string) => `CLIENT_MESSAGE#${senderId}#`;
export const clientMessageKey = (conversationId: string, senderId: string, clientMessageId: string) => ({
  pk: conversationPartition(conversationId),
  sk: `${clientMessagePrefix(senderId)}${clientMessageId}`,
});
/** A participant's memberships (their inbox): table partition and gsi1 partition. */
export const inbox = (userId: string) => `INBOX#${userId}`;
export const membershipKey = (userId: string, conversationId: string) => ({
  pk: inbox(userId),
  sk: `CONVERSATION#${conversationId}`,
});
/** Support's listing of order conversations (gsi1). */
export const ORDER_CONVERSATIONS = 'ORDER_CONVERSATIONS';
/** The gsi1 sort key of the inbox and support listings: latest activity first. */
export const activitySortKey = (at: string, conversationId: string) => `${at}#${conversationId}`;
/** One item per unordered pair of users and topic: the uniqueness of "a conversation between A and B about X". */
export function pairKey(a: string, b: string, orderId: string | null) {
  const [lo, hi] = a < b ? [a, b] : [b, a];
  return { pk: `CONVERSATION_PAIR#${lo}#${hi}`, sk: orderId ? `ORDER#${orderId}` : 'GENERAL' };
}
export const blocksBy = (blocker: string) => `BLOCKS#${blocker}`;
export const blockKey = (blocker: string, blocked: string) => ({ pk: blocksBy(blocker), sk: blocked });
/** Who blocked a user (gsi1 of the block items), for the user's erasure. */
export const blockedIndex = (blocked: string) => `BLOCKED#${blocked}`;
/** Messages an admin wrote as support (gsi2 of the message items), for the admin's erasure. */
export const supportMessagesBy = (adminId: string) => `SUPPORT_MESSAGES_BY#${adminId}`;
/** A sender's message counter per minute (the rate limit). */
export const ratePartition = (userId: string) => `MESSAGE_RATE#${userId}`;
export const rateKey = (userId: string, epochMinute: number) => ({
  pk: ratePartition(userId),
  sk: String(epochMinute),
});
