import * as z from 'zod/mini';
import { ULID_PATTERN } from '../core/ids.ts';
import { NOT_BLANK, queryInteger, trimmedText } from '../core/validation.ts';

/** `entity` of a conversation's `~META` item; stream consumers filter on these. */
export const CONVERSATION_ENTITY = 'conversation';
/** `entity` of a message item. */
export const MESSAGE_ENTITY = 'message';
/** `entity` of a participant's membership (inbox row) of a conversation. */
export const MEMBERSHIP_ENTITY = 'membership';

export const MAX_BODY_LENGTH = 4000;
export const MAX_SUBJECT_LENGTH = 120;
/** Characters of a message that an inbox row shows. */
export const PREVIEW_LENGTH = 140;
/** Messages one sender may send per (fixed, clock) minute; the 31st within one is a 429. */
export const MAX_MESSAGES_PER_MINUTE = 30;
/** How long a `clientMessageId` is remembered: twice a day of flaky-phone retries, like Idempotency-Keys. */
export const CLIENT_MESSAGE_TTL_SECONDS = 48 * 3600;
/** What an erased user's messages say instead of what they said. */
export const DELETED_BODY = '[deleted]';
/** The counterpart snapshot of a participant whose account was erased. */
export const DELETED_USER = { id: null, displayName: 'Deleted user', bio: '' } as const;

const ulid = (what: string) => z.string().check(z.regex(ULID_PATTERN, `Must be ${what} id (ULID).`));
const pageQuery = (defaultLimit: number, maxLimit: number) =>
  z.strictObject({
    limit: queryInteger(1, maxLimit, defaultLimit),
    cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  });

export const createConversationBody = z.strictObject({
  participantId: ulid('a user'),
  orderId: z.optional(ulid('an order')),
  subject: z.optional(trimmedText(MAX_SUBJECT_LENGTH)),
});
export type CreateConversationInput = z.infer<typeof createConversationBody>;

export const conversationPath = z.strictObject({ conversationId: ulid('a conversation') });

export const listConversationsQuery = pageQuery(20, 50);
export const listMessagesQuery = pageQuery(30, 100);

export const sendMessageBody = z.strictObject({
  body: z.string().check(
    z.minLength(1),
    z.maxLength(MAX_BODY_LENGTH),
    // An empty body is minLength's to report, once; as a pattern the document shows the rule.
    z.regex(NOT_BLANK, 'Must not be only whitespace.'),
  ),
  clientMessageId: z.optional(
    z.string().check(z.regex(/^[A-Za-z0-9._:-]{1,64}$/, 'Must be 1 to 64 of A-Z a-z 0-9 . _ : -')),
  ),
});
export type SendMessageInput = z.infer<typeof sendMessageBody>;

export const markReadBody = z.strictObject({ upTo: ulid('a message') });

export const messageSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  /** null once the author's account was erased. */
  senderId: z.nullable(z.string()),
  /** Written by an admin who is not a participant (support, in an order conversation). */
  fromSupport: z.boolean(),
  body: z.string(),
  createdAt: z.string(),
  deleted: z.boolean(),
  clientMessageId: z.optional(z.string()),
});
export type Message = z.infer<typeof messageSchema>;

const lastMessageSchema = z.nullable(
  z.object({ id: z.string(), senderId: z.nullable(z.string()), body: z.string(), createdAt: z.string() }),
);
export type MessagePreview = NonNullable<z.infer<typeof lastMessageSchema>>;

/** A conversation as one of its participants sees it (one inbox row). */
export const conversationSchema = z.object({
  id: z.string(),
  orderId: z.nullable(z.string()),
  subject: z.nullable(z.string()),
  participantIds: z.array(z.nullable(z.string())),
  other: z.object({ id: z.nullable(z.string()), displayName: z.string(), bio: z.string() }),
  lastMessage: lastMessageSchema,
  unreadCount: z.int(),
  lastReadId: z.nullable(z.string()),
  lastActivityAt: z.string(),
  createdAt: z.string(),
});
export type Conversation = z.infer<typeof conversationSchema>;
export type Counterpart = Conversation['other'];

/** An order conversation as support lists it. */
export const supportConversationSchema = z.object({
  id: z.string(),
  orderId: z.nullable(z.string()),
  subject: z.nullable(z.string()),
  participantIds: z.array(z.nullable(z.string())),
  lastMessage: lastMessageSchema,
  lastActivityAt: z.string(),
  createdAt: z.string(),
});
export type SupportConversation = z.infer<typeof supportConversationSchema>;

export const readStateSchema = z.object({
  conversationId: z.string(),
  lastReadId: z.nullable(z.string()),
  unreadCount: z.int(),
});
export type ReadState = z.infer<typeof readStateSchema>;

const page = <T extends z.ZodMiniType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.nullable(z.string()) });
export const conversationPageSchema = page(conversationSchema);
export const supportConversationPageSchema = page(supportConversationSchema);
export const messagePageSchema = page(messageSchema);

/** The first PREVIEW_LENGTH characters (code points, so an emoji is never cut in half). */
export function previewOf(message: Pick<Message, 'id' | 'senderId' | 'body' | 'createdAt'>): MessagePreview {
  return {
    id: message.id,
    senderId: message.senderId,
    body: Array.from(message.body).slice(0, PREVIEW_LENGTH).join(''),
    createdAt: message.createdAt,
  };
}
