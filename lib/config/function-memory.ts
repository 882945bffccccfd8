/**
 * Memory per function (MB), by function id (the route table's `id`), chosen from `npm run bench`'s tuning table (see
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
  AccountsChangePassword: 1536,
  AccountsCreateSession: 1536,
  AccountsDeleteAccount: 1536,
  AccountsExportAccount: 1536,
  AccountsGetAccount: 768,
  AccountsGetJwks: 768,
  AccountsGetOpenidConfiguration: 256,
  AccountsGetPreferences: 768,
  AccountsGetProfile: 768,
  AccountsPutPreferences: 768,
  AccountsRefreshSession: 1024,
  AccountsRegisterAccount: 1536,
  AccountsRevokeSession: 768,
  AccountsUpdateAccount: 1024,
  CatalogCreateProduct: 768,
  CatalogDeleteProduct: 768,
  CatalogGetProduct: 768,
  CatalogListProducts: 768,
  // sharp decodes and resizes in libvips threads: CPU-bound, so more memory (more CPU) costs about
  // the same per image and finishes sooner; a 24 MP JPEG peaks at ~260 MB RSS, 40 MP (the pixel
  // limit) at ~400 MB (docs/performance.md, "Images").
  CatalogProcessImage: 1536,
  CatalogUpdateProduct: 768,
  MessagesBlockUser: 768,
  MessagesCreateConversation: 1024,
  MessagesListConversations: 768,
  MessagesListMessages: 768,
  MessagesListOrderConversations: 768,
  MessagesMarkConversationRead: 1024,
  MessagesSendMessage: 1024,
  MessagesSyncProfiles: 768,
  MessagesUnblockUser: 768,
  OrdersCancelOrder: 1536,
  OrdersCreateOrder: 1024,
  OrdersDeliverOrder: 1024,
  OrdersGetOrder: 768,
  OrdersListOrders: 1024,
  OrdersListOrdersByStatus: 768,
  OrdersShipOrder: 1024,
  PaymentsCreatePayment: 1536,
  PaymentsReceiveWebhook: 1024,
  RealtimeDeliverMessages: 1024,
  SystemGetHealth: 256,
  SystemGetOpenapi: 512,
  SystemRouteNotFound: 256,
};
