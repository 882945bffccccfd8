import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTE, ROUTES, routeKey } from '../../lib/api/routes.ts';
import { SCHEDULES } from '../../lib/api/schedules.ts';
import { STREAM_CONSUMERS } from '../../lib/api/stream-consumers.ts';
import { WEBSOCKET_API } from '../../lib/api/websocket.ts';
import { SIGNING_KEY_FUNCTIONS } from '../../lib/stacks/data-stack.ts';

/*
 * A function's id names its CloudFormation resources (`<Id>Function...`), its alarms
 * (`fn-<Id>-errors`), its metrics (`function_name`), its memory setting and its sample event
 * (`events/<Id>.json`). Renaming one replaces the function on AWS, so ids are written down and
 * never derived from where the handler file lives. This is the list as it was when the ids
 * were still derived from the entry path (`functions/catalog/get-product.ts` ->
 * `CatalogGetProduct`); a handler moved since keeps its id, and a new function adds a line.
 */
const ROUTE_IDS: Readonly<Record<string, string>> = {
  'GET /health': 'SystemGetHealth',
  'GET /openapi.json': 'SystemGetOpenapi',
  'GET /docs': 'SystemGetDocs',
  'GET /docs/{asset}': 'SystemGetDocsAsset',
  'GET /products': 'CatalogListProducts',
  'GET /products/{productId}': 'CatalogGetProduct',
  'POST /products': 'CatalogCreateProduct',
  'PATCH /products/{productId}': 'CatalogUpdateProduct',
  'DELETE /products/{productId}': 'CatalogDeleteProduct',
  'GET /categories': 'CatalogListCategories',
  'POST /categories': 'CatalogCreateCategory',
  'PATCH /categories/{categoryId}': 'CatalogUpdateCategory',
  'DELETE /categories/{categoryId}': 'CatalogDeleteCategory',
  'POST /products/{productId}/images': 'CatalogCreateImageUpload',
  'GET /products/{productId}/images': 'CatalogListProductImages',
  'PUT /products/{productId}/images/order': 'CatalogReorderProductImages',
  'DELETE /products/{productId}/images/{imageId}': 'CatalogDeleteProductImage',
  'GET /products/search': 'SearchSearchProducts',
  'GET /products/popular': 'RecommendationsListPopularProducts',
  'GET /products/{productId}/related': 'RecommendationsListRelatedProducts',
  'GET /.well-known/openid-configuration': 'AccountsGetOpenidConfiguration',
  'GET /.well-known/jwks.json': 'AccountsGetJwks',
  'POST /auth/register': 'AccountsRegisterAccount',
  'POST /auth/login': 'AccountsCreateSession',
  'POST /auth/refresh': 'AccountsRefreshSession',
  'POST /auth/logout': 'AccountsRevokeSession',
  'POST /auth/verify-email/request': 'AccountsRequestEmailVerification',
  'POST /auth/verify-email': 'AccountsVerifyEmail',
  'POST /auth/password-reset': 'AccountsRequestPasswordReset',
  'POST /auth/password-reset/confirm': 'AccountsResetPassword',
  'POST /me/email': 'AccountsChangeEmail',
  'POST /me/email/confirm': 'AccountsConfirmEmailChange',
  'POST /email/unsubscribe': 'NotificationsUnsubscribe',
  'GET /me': 'AccountsGetAccount',
  'PATCH /me': 'AccountsUpdateAccount',
  'PUT /me/password': 'AccountsChangePassword',
  'DELETE /me': 'AccountsDeleteAccount',
  'GET /me/export': 'AccountsExportAccount',
  'GET /me/preferences': 'AccountsGetPreferences',
  'PUT /me/preferences': 'AccountsPutPreferences',
  'GET /me/recommendations': 'RecommendationsGetRecommendations',
  'GET /users/{userId}': 'AccountsGetProfile',
  'POST /orders': 'OrdersCreateOrder',
  'GET /orders': 'OrdersListOrders',
  'GET /orders/{orderId}': 'OrdersGetOrder',
  'POST /orders/{orderId}/cancel': 'OrdersCancelOrder',
  'POST /orders/{orderId}/ship': 'OrdersShipOrder',
  'POST /orders/{orderId}/deliver': 'OrdersDeliverOrder',
  'GET /admin/orders': 'OrdersListOrdersByStatus',
  'POST /orders/{orderId}/payments': 'PaymentsCreatePayment',
  'POST /webhooks/payments': 'PaymentsReceiveWebhook',
  'GET /simulated-payments/{providerPaymentId}/challenge': 'PaymentsGetSimulatedChallenge',
  'POST /simulated-payments/{providerPaymentId}/challenge': 'PaymentsAnswerSimulatedChallenge',
  'POST /conversations': 'MessagesCreateConversation',
  'GET /conversations': 'MessagesListConversations',
  'GET /conversations/{conversationId}/messages': 'MessagesListMessages',
  'POST /conversations/{conversationId}/messages': 'MessagesSendMessage',
  'POST /conversations/{conversationId}/read': 'MessagesMarkConversationRead',
  'POST /users/{userId}/block': 'MessagesBlockUser',
  'DELETE /users/{userId}/block': 'MessagesUnblockUser',
  'GET /admin/conversations': 'MessagesListOrderConversations',
  $default: 'SystemRouteNotFound',
};

const SCHEDULE_IDS = [
  'OrdersExpireOrders',
  'SearchCompactIndex',
  'PaymentsReconcilePayments',
  'PaymentsCompleteSimulatedPayments',
];

const WEBSOCKET_IDS: Readonly<Record<string, string>> = {
  authorizer: 'RealtimeAuthorizeConnection',
  $connect: 'RealtimeConnect',
  $disconnect: 'RealtimeDisconnect',
  $default: 'RealtimeReceiveFrame',
};

const CONSUMER_IDS = [
  'RealtimeDeliverMessages',
  'RealtimeCloseConnections',
  'MessagesSyncProfiles',
  'RecommendationsUpdateAggregates',
  'SearchIndexProducts',
  'NotificationsSendEmails',
];

/** The deploy-time functions of the data stack: their construct ids predate the rule, their names do not. */
const SIGNING_KEY_IDS = { init: 'OpsInitSigningKey', rotate: 'OpsRotateSigningKey' };

/** Every function id the app defines, in one list. */
const allIds = (): string[] => [
  ...ROUTES.map((route) => route.id),
  DEFAULT_ROUTE.id,
  ...SCHEDULES.map((job) => job.id),
  WEBSOCKET_API.authorizer.id,
  ...WEBSOCKET_API.routes.map((route) => route.id),
  ...STREAM_CONSUMERS.map((consumer) => consumer.id),
  SIGNING_KEY_FUNCTIONS.init.functionId,
  SIGNING_KEY_FUNCTIONS.rotate.functionId,
];

describe('function ids', () => {
  it('keep every route on the id it had, wherever its handler lives', () => {
    const ids = Object.fromEntries([
      ...ROUTES.map((route) => [routeKey(route), route.id]),
      [DEFAULT_ROUTE.routeKey, DEFAULT_ROUTE.id],
    ]);
    expect(ids).toEqual(ROUTE_IDS);
  });

  it('keep the schedules, the WebSocket API, the stream consumers and the deploy-time functions on theirs', () => {
    expect(SCHEDULES.map((job) => job.id)).toEqual(SCHEDULE_IDS);
    expect({
      authorizer: WEBSOCKET_API.authorizer.id,
      ...Object.fromEntries(WEBSOCKET_API.routes.map((route) => [route.routeKey, route.id])),
    }).toEqual(WEBSOCKET_IDS);
    expect(STREAM_CONSUMERS.map((consumer) => consumer.id)).toEqual(CONSUMER_IDS);
    expect({
      init: SIGNING_KEY_FUNCTIONS.init.functionId,
      rotate: SIGNING_KEY_FUNCTIONS.rotate.functionId,
    }).toEqual(SIGNING_KEY_IDS);
  });

  it('are unique across every kind of function, and PascalCase', () => {
    const ids = allIds();
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Z][A-Za-z0-9]+$/);
  });

  it('are not derived from the handler path: the export and deletion handlers moved above the domains kept theirs', () => {
    const byKey = new Map(ROUTES.map((route) => [routeKey(route), route]));
    for (const key of ['GET /me/export', 'DELETE /me', 'PUT /me/password']) {
      const route = byKey.get(key);
      expect(route?.entry, key).toMatch(/^functions\/privacy\//);
      expect(route?.id, key).toBe(ROUTE_IDS[key]);
    }
    const cancel = byKey.get('POST /orders/{orderId}/cancel');
    expect(cancel?.entry).toMatch(/^functions\/payments\//);
    expect(cancel?.id).toBe('OrdersCancelOrder');
  });
});
