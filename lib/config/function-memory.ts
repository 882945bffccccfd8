/**
 * Memory per function (MB), by handler entry, chosen from `npm run bench`'s tuning table (see
 * docs/performance.md, "Memory"). Memory buys CPU on Lambda (a full vCPU at 1,769 MB): functions
 * that mostly wait on DynamoDB need little, password hashing needs most of a core, and init
 * (the cold start) is CPU-bound everywhere. Functions not listed (new ones, and those the
 * bench's journey does not invoke: schedules, WebSocket handlers, the deploy-time key
 * initializer) get the environment's `functionMemoryMb` until the bench has measured them.
 *
 * From the run of 2026-12-03 (`npm run bench -- --only cold,journey`), as the rule chose, except
 * get-product: its cold import median in that run (157 ms, against 70-79 ms in the two runs
 * before) alone pushed it to 1536 MB; it takes the 768 MB of the other point reads.
 */
export const FUNCTION_MEMORY_MB: Readonly<Record<string, number>> = {
  'functions/accounts/change-password.ts': 1536,
  'functions/accounts/create-session.ts': 1536,
  'functions/accounts/delete-account.ts': 1536,
  'functions/accounts/export-account.ts': 1536,
  'functions/accounts/get-account.ts': 768,
  'functions/accounts/get-jwks.ts': 768,
  'functions/accounts/get-openid-configuration.ts': 256,
  'functions/accounts/get-preferences.ts': 768,
  'functions/accounts/get-profile.ts': 768,
  'functions/accounts/put-preferences.ts': 768,
  'functions/accounts/refresh-session.ts': 1024,
  'functions/accounts/register-account.ts': 1536,
  'functions/accounts/revoke-session.ts': 768,
  'functions/accounts/update-account.ts': 1024,
  'functions/catalog/create-product.ts': 768,
  'functions/catalog/delete-product.ts': 768,
  'functions/catalog/get-product.ts': 768,
  'functions/catalog/list-products.ts': 768,
  'functions/catalog/update-product.ts': 768,
  'functions/messages/block-user.ts': 768,
  'functions/messages/create-conversation.ts': 1024,
  'functions/messages/list-conversations.ts': 768,
  'functions/messages/list-messages.ts': 768,
  'functions/messages/list-order-conversations.ts': 768,
  'functions/messages/mark-conversation-read.ts': 1024,
  'functions/messages/send-message.ts': 1024,
  'functions/messages/sync-profiles.ts': 768,
  'functions/messages/unblock-user.ts': 768,
  'functions/orders/cancel-order.ts': 1536,
  'functions/orders/create-order.ts': 1024,
  'functions/orders/deliver-order.ts': 1024,
  'functions/orders/get-order.ts': 768,
  'functions/orders/list-orders.ts': 1024,
  'functions/orders/list-orders-by-status.ts': 768,
  'functions/orders/ship-order.ts': 1024,
  'functions/payments/create-payment.ts': 1536,
  'functions/payments/receive-webhook.ts': 1024,
  'functions/realtime/deliver-messages.ts': 1024,
  'functions/system/get-health.ts': 256,
  'functions/system/get-openapi.ts': 512,
  'functions/system/route-not-found.ts': 256,
};
