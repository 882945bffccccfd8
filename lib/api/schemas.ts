import * as z from 'zod/mini';
import {
  accountSchema,
  preferencesBody,
  publicProfileSchema,
  sessionSchema,
} from '../../functions/accounts/model.ts';
import { productPageSchema, productSchema } from '../../functions/catalog/model.ts';
import {
  conversationPageSchema,
  conversationSchema,
  messagePageSchema,
  messageSchema,
  readStateSchema,
  supportConversationPageSchema,
} from '../../functions/messages/model.ts';
import { idempotentHeaders, orderPageSchema, orderSchema } from '../../functions/orders/model.ts';
import { clientFrame } from '../../functions/realtime/model.ts';

// Schemas of responses no handler validates (they are built, not parsed), kept here so they
// reach only the OpenAPI document and the contract tests, never a function's bundle.

export const healthSchema = z.object({ status: z.literal('ok') });

/** This document itself; its own schema is the OpenAPI 3.1 specification's. */
export const openApiSchema = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

export const openIdConfigurationSchema = z.looseObject({
  issuer: z.string(),
  jwks_uri: z.string(),
  token_endpoint: z.string(),
  response_types_supported: z.array(z.string()),
  subject_types_supported: z.array(z.string()),
  id_token_signing_alg_values_supported: z.array(z.string()),
  scopes_supported: z.array(z.string()),
  claims_supported: z.array(z.string()),
});

export const jwksSchema = z.object({
  keys: z.array(
    z.looseObject({
      kty: z.literal('RSA'),
      kid: z.string(),
      alg: z.literal('RS256'),
      use: z.literal('sig'),
      n: z.string(),
      e: z.string(),
    }),
  ),
});

/** One member per part of `PERSONAL_DATA_PARTS` (orders, messages, account, ...), open-ended. */
export const accountExportSchema = z.looseObject({ exportedAt: z.iso.datetime(), userId: z.string() });

/** What API Gateway itself answers (no function ran): a refused token, throttling, a crash, a timeout. */
export const gatewayMessageSchema = z.object({ message: z.string() });

/** `If-Match: "<etag>"` makes a change conditional (412 when stale). */
export const ifMatchHeaders = z.object({
  'if-match': z.optional(z.string().check(z.regex(/^(?:W\/)?"\d{1,15}"$/))),
});

export { idempotentHeaders };

/**
 * Response schemas that become named components (`#/components/schemas/<Name>`), so clients
 * generated from the document get readable type names. Any other schema is inlined.
 */
export const NAMED_SCHEMAS: ReadonlyMap<z.ZodMiniType, string> = new Map<z.ZodMiniType, string>([
  [productSchema, 'Product'],
  [productPageSchema, 'ProductPage'],
  [accountSchema, 'Account'],
  [sessionSchema, 'Session'],
  [publicProfileSchema, 'PublicProfile'],
  [preferencesBody, 'Preferences'],
  [orderSchema, 'Order'],
  [orderPageSchema, 'OrderPage'],
  [conversationSchema, 'Conversation'],
  [conversationPageSchema, 'ConversationPage'],
  [supportConversationPageSchema, 'SupportConversationPage'],
  [messageSchema, 'Message'],
  [messagePageSchema, 'MessagePage'],
  [readStateSchema, 'ReadState'],
  [healthSchema, 'Health'],
  [openIdConfigurationSchema, 'OpenIdConfiguration'],
  [jwksSchema, 'JsonWebKeySet'],
  [accountExportSchema, 'AccountExport'],
  [gatewayMessageSchema, 'GatewayMessage'],
]);

/** What `POST /webhooks/payments` answers the provider. */
export const webhookReceiptSchema = z.object({
  received: z.literal(true),
  outcome: z.enum(['processed', 'duplicate', 'ignored']),
});

/** Frames a WebSocket client may send (`functions/realtime/model.ts`). */
export const clientFrameSchema = clientFrame;

/** Frames the WebSocket API sends (the `ServerFrame` type of `functions/realtime/model.ts`). */
export const serverFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), conversationId: z.string(), message: messageSchema }),
  z.object({
    type: z.literal('read'),
    conversationId: z.string(),
    userId: z.string(),
    lastReadId: z.nullable(z.string()),
    /** Only in frames to the reader's own devices. */
    unreadCount: z.optional(z.int().check(z.nonnegative())),
  }),
  z.object({ type: z.literal('pong') }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
