import type * as z from 'zod/mini';
import {
  accountSchema,
  changeEmailBody,
  changePasswordBody,
  codeRequestedSchema,
  confirmEmailChangeBody,
  emailBody,
  loginBody,
  passwordResetConfirmBody,
  preferencesBody,
  publicProfileSchema,
  refreshBody,
  registerBody,
  sessionSchema,
  updateMeBody,
  userPath,
  verifyEmailBody,
} from '../../functions/accounts/model.ts';
import {
  categoryListHeaders,
  categoryListSchema,
  categoryPath,
  categorySchema,
  createCategoryBody,
  updateCategoryBody,
} from '../../functions/catalog/category-model.ts';
import {
  createProductBody,
  listProductsQuery,
  productPageSchema,
  productPath,
  productSchema,
  updateProductBody,
} from '../../functions/catalog/model.ts';
import {
  conversationPageSchema,
  conversationPath,
  conversationSchema,
  createConversationBody,
  listConversationsQuery,
  listMessagesQuery,
  markReadBody,
  messagePageSchema,
  messageSchema,
  readStateSchema,
  sendMessageBody,
  supportConversationPageSchema,
} from '../../functions/messages/model.ts';
import { unsubscribeBody, unsubscribeQuery } from '../../functions/notifications/model.ts';
import {
  adminListOrdersQuery,
  createOrderBody,
  listOrdersQuery,
  orderPageSchema,
  orderPath,
  orderSchema,
  paymentBody,
} from '../../functions/orders/model.ts';
import { stripeEventSchema, stripeSignatureHeaders } from '../../functions/payments/webhook.ts';
import {
  popularProductListSchema,
  popularProductsQuery,
  recommendationListSchema,
  recommendationsQuery,
  relatedProductListSchema,
  relatedProductsQuery,
} from '../../functions/recommendations/model.ts';
import {
  DOCS_ASSET_FILES,
  DOCS_ASSET_TYPES,
  docsAssetHeaders,
  docsAssetPath,
} from '../../functions/system/model.ts';
import { IMAGE_ROUTES } from './image-routes.ts';
import type { ProblemSlug } from './problems.ts';
import {
  accountExportSchema,
  healthSchema,
  idempotentHeaders,
  ifMatchHeaders,
  jwksSchema,
  openApiSchema,
  openIdConfigurationSchema,
  webhookReceiptSchema,
} from './schemas.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** Who may call a route: anyone, any signed-in user, or users with the `admin` scope. */
export type AuthLevel = 'public' | 'user' | 'admin';
/** What a route's function may do to the table; read-only routes get read-only grants. */
export type TableAccess = 'none' | 'read' | 'readwrite';
/** Secrets a function may read (and is granted `secretsmanager:GetSecretValue` on). */
export type SecretName = 'cursor' | 'signingKey' | 'paymentWebhook' | 'stripeApiKey';

/** Response headers the OpenAPI document describes (`x-request-id` is on every response). */
export type ResponseHeader =
  | 'etag'
  | 'location'
  | 'retry-after'
  | 'idempotent-replayed'
  | 'content-disposition'
  | 'cache-control';

export interface ResponseSpec {
  readonly description: string;
  /** The JSON body (output side); absent for a response without a body or with `contentType`. */
  readonly schema?: z.ZodMiniType;
  /** Media types of a body that is not JSON (`text/html`, ...). */
  readonly contentTypes?: readonly string[];
  /**
   * The problem types (`/problems/<slug>`) this status answers with, beyond those the OpenAPI
   * builder derives from the route's shape; absent: the generic type of the status.
   */
  readonly problems?: readonly ProblemSlug[];
  /** Headers this response carries. */
  readonly headers?: readonly ResponseHeader[];
}

/** One HTTP route and everything derived from it: CDK function and route, OpenAPI operation, sample event. */
export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway path, with `{name}` parameters (the same syntax OpenAPI uses). */
  readonly path: string;
  /**
   * The function's stable id: its construct id (hence its CloudFormation logical ids), its name
   * in metrics and alarms, its memory setting and its sample event (`events/<id>.json`). Written
   * down, never derived from `entry`: moving a handler file must not replace its function.
   */
  readonly id: string;
  /** Handler source relative to the repo root; its export is always `handler`. */
  readonly entry: string;
  readonly summary: string;
  readonly tag: string;
  readonly auth: AuthLevel;
  readonly table: TableAccess;
  readonly secrets?: readonly SecretName[];
  readonly request?: {
    readonly query?: z.ZodMiniType;
    readonly path?: z.ZodMiniType;
    /** Request headers the route reads, lower-case names (`idempotency-key`, `if-match`). */
    readonly headers?: z.ZodMiniType;
    /**
     * The JSON body. A route without one takes no body at all: any is a 413 (`functions/core/
     * http.ts`), and its handler passes no body option to `http()`.
     */
    readonly body?: z.ZodMiniType;
    /**
     * The handler reads the body's exact bytes (`rawBody` in `http()`): a signature covers them,
     * so only its size is checked before, and any media type is accepted; `body` documents them.
     */
    readonly rawBody?: boolean;
  };
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** Files (relative to the repo root) copied next to the function's bundle, read at run time. */
  readonly files?: readonly string[];
  /**
   * Documents built from the route table at synthesis and written next to the function's
   * bundle, so the function reads a file instead of bundling the route table and its schemas
   * (functions never import lib/): `openapi` is the OpenAPI document.
   */
  readonly documents?: readonly SynthesizedDocument[];
  /** The function is told the WebSocket API's URL (`WEBSOCKET_URL`): the reference page names it. */
  readonly webSocketUrl?: boolean;
  /**
   * What the function may do to product image objects (lib/stacks/media-stack.ts): `upload`
   * presigns PUTs of originals (the URL carries the function's own permission), `delete`
   * removes an image's original and renditions. Their buckets arrive as variables.
   */
  readonly images?: 'upload' | 'delete';
}

/** A document the API stack writes at synthesis for a route's function (see `RouteDefinition.documents`). */
export type SynthesizedDocument = 'openapi';

/** The catch-all route: answers 404 or 405 as problem+json for anything no route matches. */
export const DEFAULT_ROUTE = {
  routeKey: '$default',
  id: 'SystemRouteNotFound',
  entry: 'functions/system/route-not-found.ts',
  table: 'none',
  auth: 'public',
} as const;

const health = { description: 'The service is up.' };
const unauthorized = { description: 'No valid access token.' };
const forbidden = { description: 'The token lacks the admin scope.' };
const invalid = { description: 'Invalid input.' };
const noOrder = { description: 'No such order (or not yours).' };
const illegal = { description: 'The order is not in a state that allows this.' };
const noConversation = { description: 'No such conversation, or not one the caller may see.' };
const busy = {
  description: 'Too many concurrent changes of the same data; repeat the request.',
  problems: ['conflict', 'concurrent-update'],
} as const;
const accountGone = { description: 'The caller’s account no longer exists.' };
const tooLarge = { description: 'The body is too large.' };
const badCode = {
  description: 'The code is wrong, expired, used, replaced or out of tries.',
  problems: ['invalid-code'],
} as const;
const tooManyCodes = {
  description: 'Too many codes asked for this address or from this network address; see Retry-After.',
  problems: ['too-many-requests'],
  headers: ['retry-after'],
} as const;
const notJson = { description: 'The body is not application/json.' };

/** THE route table. CDK, OpenAPI, sample events and the local emulator all derive from it. */
export const ROUTES: readonly RouteDefinition[] = [
  {
    method: 'GET',
    path: '/health',
    id: 'SystemGetHealth',
    entry: 'functions/system/get-health.ts',
    summary: 'Liveness check',
    tag: 'system',
    auth: 'public',
    table: 'none',
    responses: { 200: { ...health, schema: healthSchema } },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    id: 'SystemGetOpenapi',
    entry: 'functions/system/get-openapi.ts',
    documents: ['openapi'],
    summary: 'This OpenAPI 3.1 document',
    tag: 'system',
    auth: 'public',
    table: 'none',
    responses: { 200: { description: 'The OpenAPI document.', schema: openApiSchema } },
  },
  {
    method: 'GET',
    path: '/docs',
    id: 'SystemGetDocs',
    entry: 'functions/system/get-docs.ts',
    summary: 'This reference as an interactive page (Swagger UI)',
    tag: 'system',
    auth: 'public',
    table: 'none',
    webSocketUrl: true,
    responses: { 200: { description: 'The HTML page.', contentTypes: ['text/html'] } },
  },
  {
    method: 'GET',
    path: '/docs/{asset}',
    id: 'SystemGetDocsAsset',
    entry: 'functions/system/get-docs-asset.ts',
    summary: 'A script or style sheet of the reference page',
    tag: 'system',
    auth: 'public',
    table: 'none',
    request: { path: docsAssetPath, headers: docsAssetHeaders },
    responses: {
      200: {
        description: 'The file (compressed when the client accepts it).',
        contentTypes: DOCS_ASSET_TYPES,
        headers: ['etag', 'cache-control'],
      },
      304: { description: 'Not modified since the ETag in If-None-Match.', headers: ['etag'] },
      400: invalid,
      404: { description: 'No such file.' },
    },
    files: DOCS_ASSET_FILES,
  },
  {
    method: 'GET',
    path: '/products',
    id: 'CatalogListProducts',
    entry: 'functions/catalog/list-products.ts',
    summary: 'List products, newest first',
    tag: 'catalog',
    auth: 'public',
    table: 'read',
    secrets: ['cursor'],
    request: { query: listProductsQuery },
    responses: {
      200: { description: 'A page of products.', schema: productPageSchema },
      400: { description: 'Invalid query or cursor.' },
    },
  },
  {
    method: 'GET',
    path: '/products/{productId}',
    id: 'CatalogGetProduct',
    entry: 'functions/catalog/get-product.ts',
    summary: 'Get one product',
    tag: 'catalog',
    auth: 'public',
    table: 'read',
    request: { path: productPath },
    responses: {
      200: { description: 'The product.', schema: productSchema },
      400: { description: 'Invalid product id.' },
      404: { description: 'No such product.' },
    },
  },
  {
    method: 'POST',
    path: '/products',
    id: 'CatalogCreateProduct',
    entry: 'functions/catalog/create-product.ts',
    summary: 'Add a product (admin)',
    tag: 'catalog',
    auth: 'admin',
    table: 'readwrite',
    request: { body: createProductBody },
    responses: {
      201: { description: 'The new product.', schema: productSchema, headers: ['etag', 'location'] },
      400: invalid,
      401: unauthorized,
      403: forbidden,
      422: { description: 'No such category.', problems: ['unknown-category'] },
    },
  },
  {
    method: 'PATCH',
    path: '/products/{productId}',
    id: 'CatalogUpdateProduct',
    entry: 'functions/catalog/update-product.ts',
    summary: 'Change a product (admin); If-Match makes it conditional',
    tag: 'catalog',
    auth: 'admin',
    table: 'readwrite',
    request: { path: productPath, headers: ifMatchHeaders, body: updateProductBody },
    responses: {
      200: { description: 'The changed product.', schema: productSchema, headers: ['etag'] },
      400: invalid,
      401: unauthorized,
      403: forbidden,
      404: { description: 'No such product.' },
      412: { description: 'The product changed since the ETag was read.' },
      422: { description: 'No such category.', problems: ['unknown-category'] },
    },
  },
  {
    method: 'DELETE',
    path: '/products/{productId}',
    id: 'CatalogDeleteProduct',
    entry: 'functions/catalog/delete-product.ts',
    summary: 'Remove a product (admin)',
    tag: 'catalog',
    auth: 'admin',
    table: 'readwrite',
    request: { path: productPath },
    responses: {
      204: { description: 'Removed.' },
      401: unauthorized,
      403: forbidden,
      404: { description: 'No such product.' },
    },
  },
  ...IMAGE_ROUTES,
  {
    method: 'GET',
    path: '/categories',
    id: 'CatalogListCategories',
    entry: 'functions/catalog/list-categories.ts',
    summary: 'The category tree with product counts (cacheable)',
    tag: 'catalog',
    auth: 'public',
    table: 'readwrite',
    request: { headers: categoryListHeaders },
    responses: {
      200: {
        description: 'Every category, parents first.',
        schema: categoryListSchema,
        headers: ['etag', 'cache-control'],
      },
      304: {
        description: 'Not modified since the ETag in If-None-Match.',
        headers: ['etag', 'cache-control'],
      },
    },
  },
  {
    method: 'POST',
    path: '/categories',
    id: 'CatalogCreateCategory',
    entry: 'functions/catalog/create-category.ts',
    summary: 'Add a category (admin)',
    tag: 'catalog',
    auth: 'admin',
    table: 'readwrite',
    request: { body: createCategoryBody },
    responses: {
      201: { description: 'The new category.', schema: categorySchema, headers: ['etag', 'location'] },
      400: invalid,
      401: unauthorized,
      403: forbidden,
      409: { description: 'The slug is taken, or the parent changed meanwhile.', problems: ['conflict'] },
      422: {
        description: 'No such parent, or a fourth level.',
        problems: ['unknown-category', 'category-too-deep'],
      },
    },
  },
  {
    method: 'PATCH',
    path: '/categories/{categoryId}',
    id: 'CatalogUpdateCategory',
    entry: 'functions/catalog/update-category.ts',
    summary: 'Change a category (admin); If-Match makes it conditional',
    tag: 'catalog',
    auth: 'admin',
    table: 'readwrite',
    request: { path: categoryPath, headers: ifMatchHeaders, body: updateCategoryBody },
    responses: {
      200: { description: 'The changed category.', schema: categorySchema, headers: ['etag'] },
      400: invalid,
      401: unauthorized,
      403: forbidden,
      404: { description: 'No such category.' },
      409: {
        description: 'The slug is taken, or a new slug or parent for a category that is not empty.',
        problems: ['conflict'],
      },
      412: { description: 'The category changed since the ETag was read.' },
      422: {
        description: 'No such parent, a fourth level, or the category itself as parent.',
        problems: ['unknown-category', 'category-too-deep'],
      },
    },
  },
  {
    method: 'DELETE',
    path: '/categories/{categoryId}',
    id: 'CatalogDeleteCategory',
    entry: 'functions/catalog/delete-category.ts',
    summary: 'Remove an empty category (admin)',
    tag: 'catalog',
    auth: 'admin',
    table: 'readwrite',
    request: { path: categoryPath },
    responses: {
      204: { description: 'Removed.' },
      400: invalid,
      401: unauthorized,
      403: forbidden,
      404: { description: 'No such category.' },
      409: { description: 'The category holds products or subcategories.', problems: ['conflict'] },
    },
  },
  {
    method: 'GET',
    path: '/products/popular',
    id: 'RecommendationsListPopularProducts',
    entry: 'functions/recommendations/list-popular-products.ts',
    summary: 'Best sellers by units in the last 7 or 30 days, overall or in one category (in stock)',
    tag: 'recommendations',
    auth: 'public',
    table: 'read',
    request: { query: popularProductsQuery },
    responses: {
      200: { description: 'Best sellers, most units first.', schema: popularProductListSchema },
      400: invalid,
    },
  },
  {
    method: 'GET',
    path: '/products/{productId}/related',
    id: 'RecommendationsListRelatedProducts',
    entry: 'functions/recommendations/list-related-products.ts',
    summary:
      'Products most often bought together with this one (the category’s best sellers without history)',
    tag: 'recommendations',
    auth: 'public',
    table: 'read',
    request: { path: productPath, query: relatedProductsQuery },
    responses: {
      200: {
        description: 'Related products, most often bought together first.',
        schema: relatedProductListSchema,
      },
      400: invalid,
      404: { description: 'No such product.' },
    },
  },
  {
    method: 'GET',
    path: '/.well-known/openid-configuration',
    id: 'AccountsGetOpenidConfiguration',
    entry: 'functions/accounts/get-openid-configuration.ts',
    summary: 'OpenID discovery document of the token issuer',
    tag: 'auth',
    auth: 'public',
    table: 'none',
    responses: { 200: { description: 'The discovery document.', schema: openIdConfigurationSchema } },
  },
  {
    method: 'GET',
    path: '/.well-known/jwks.json',
    id: 'AccountsGetJwks',
    entry: 'functions/accounts/get-jwks.ts',
    summary: 'Public keys that verify access tokens',
    tag: 'auth',
    auth: 'public',
    table: 'none',
    secrets: ['signingKey'],
    responses: { 200: { description: 'A JSON Web Key Set.', schema: jwksSchema } },
  },
  {
    method: 'POST',
    path: '/auth/register',
    id: 'AccountsRegisterAccount',
    entry: 'functions/accounts/register-account.ts',
    summary: 'Create an account and sign in',
    tag: 'auth',
    auth: 'public',
    table: 'readwrite',
    secrets: ['signingKey', 'cursor'],
    request: { body: registerBody },
    responses: {
      201: { description: 'The account and its first tokens.', schema: sessionSchema },
      400: invalid,
      409: { description: 'The email is taken.' },
    },
  },
  {
    method: 'POST',
    path: '/auth/login',
    id: 'AccountsCreateSession',
    entry: 'functions/accounts/create-session.ts',
    summary: 'Sign in with email and password',
    tag: 'auth',
    auth: 'public',
    table: 'readwrite',
    secrets: ['signingKey'],
    request: { body: loginBody },
    responses: {
      200: { description: 'The account and new tokens.', schema: sessionSchema },
      400: invalid,
      401: { description: 'Email or password is wrong.', problems: ['invalid-credentials'] },
      429: {
        description: 'Too many failed attempts; see Retry-After.',
        problems: ['too-many-attempts'],
        headers: ['retry-after'],
      },
    },
  },
  {
    method: 'POST',
    path: '/auth/refresh',
    id: 'AccountsRefreshSession',
    entry: 'functions/accounts/refresh-session.ts',
    summary: 'Exchange a refresh token for a new token pair',
    tag: 'auth',
    auth: 'public',
    table: 'readwrite',
    secrets: ['signingKey'],
    request: { body: refreshBody },
    responses: {
      200: { description: 'New tokens; the old refresh token is dead.', schema: sessionSchema },
      400: invalid,
      401: { description: 'Unknown, expired, revoked or reused refresh token.' },
    },
  },
  {
    method: 'POST',
    path: '/auth/logout',
    id: 'AccountsRevokeSession',
    entry: 'functions/accounts/revoke-session.ts',
    summary: 'Revoke the session of a refresh token',
    tag: 'auth',
    auth: 'public',
    table: 'readwrite',
    request: { body: refreshBody },
    responses: {
      204: { description: 'Signed out.' },
      400: invalid,
      401: { description: 'The refresh token is malformed.' },
    },
  },
  {
    method: 'POST',
    path: '/auth/verify-email/request',
    id: 'AccountsRequestEmailVerification',
    entry: 'functions/accounts/request-email-verification.ts',
    summary: 'Send a new code to verify an address (202 whether or not an account has it)',
    tag: 'auth',
    auth: 'public',
    table: 'readwrite',
    secrets: ['cursor'],
    request: { body: emailBody },
    responses: {
      202: {
        description: 'If an unverified account has this address, a code is on its way.',
        schema: codeRequestedSchema,
      },
      400: invalid,
      429: tooManyCodes,
    },
  },
  {
    method: 'POST',
    path: '/auth/verify-email',
    id: 'AccountsVerifyEmail',
    entry: 'functions/accounts/verify-email.ts',
    summary: 'Verify an address with the code sent to it',
    tag: 'auth',
    auth: 'public',
    table: 'readwrite',
    secrets: ['cursor'],
    request: { body: verifyEmailBody },
    responses: { 204: { description: 'Verified.' }, 400: invalid, 409: busy, 422: badCode },
  },
  {
    method: 'POST',
    path: '/auth/password-reset',
    id: 'AccountsRequestPasswordReset',
    entry: 'functions/accounts/request-password-reset.ts',
    summary: 'Send a password-reset code (202 whether or not an account has the address)',
    tag: 'auth',
    auth: 'public',
    table: 'readwrite',
    secrets: ['cursor'],
    request: { body: emailBody },
    responses: {
      202: {
        description: 'If an account has this address, a code is on its way.',
        schema: codeRequestedSchema,
      },
      400: invalid,
      429: tooManyCodes,
    },
  },
  {
    method: 'POST',
    path: '/auth/password-reset/confirm',
    id: 'AccountsResetPassword',
    entry: 'functions/privacy/reset-password.ts',
    summary: 'Set a new password with the emailed code; signs out every session',
    tag: 'auth',
    auth: 'public',
    table: 'readwrite',
    secrets: ['cursor'],
    request: { body: passwordResetConfirmBody },
    responses: {
      204: { description: 'Changed; every session is revoked.' },
      400: invalid,
      409: busy,
      422: badCode,
    },
  },
  {
    method: 'GET',
    path: '/me',
    id: 'AccountsGetAccount',
    entry: 'functions/accounts/get-account.ts',
    summary: 'The caller’s account',
    tag: 'accounts',
    auth: 'user',
    table: 'read',
    responses: {
      200: { description: 'The account.', schema: accountSchema },
      401: unauthorized,
      404: accountGone,
    },
  },
  {
    method: 'PATCH',
    path: '/me',
    id: 'AccountsUpdateAccount',
    entry: 'functions/accounts/update-account.ts',
    summary: 'Change display name or bio',
    tag: 'accounts',
    auth: 'user',
    table: 'readwrite',
    request: { body: updateMeBody },
    responses: {
      200: { description: 'The account.', schema: accountSchema },
      400: invalid,
      401: unauthorized,
      404: accountGone,
    },
  },
  {
    method: 'PUT',
    path: '/me/password',
    id: 'AccountsChangePassword',
    entry: 'functions/privacy/change-password.ts',
    summary: 'Change the password; signs out every session',
    tag: 'accounts',
    auth: 'user',
    table: 'readwrite',
    request: { body: changePasswordBody },
    responses: {
      204: { description: 'Changed.' },
      400: invalid,
      401: unauthorized,
      403: { description: 'The current password is wrong.', problems: ['invalid-credentials'] },
      404: accountGone,
    },
  },
  {
    method: 'POST',
    path: '/me/email',
    id: 'AccountsChangeEmail',
    entry: 'functions/accounts/change-email.ts',
    summary: 'Start moving the account to a new address: a code to it, a notice to the old one',
    tag: 'accounts',
    auth: 'user',
    table: 'readwrite',
    secrets: ['cursor'],
    request: { body: changeEmailBody },
    responses: {
      202: { description: 'The code is on its way to the new address.', schema: codeRequestedSchema },
      400: invalid,
      401: unauthorized,
      403: { description: 'The current password is wrong.', problems: ['invalid-credentials'] },
      404: accountGone,
      429: tooManyCodes,
    },
  },
  {
    method: 'POST',
    path: '/me/email/confirm',
    id: 'AccountsConfirmEmailChange',
    entry: 'functions/accounts/confirm-email-change.ts',
    summary: 'Move the account to the new address with the code sent to it',
    tag: 'accounts',
    auth: 'user',
    table: 'readwrite',
    secrets: ['cursor'],
    request: { body: confirmEmailChangeBody },
    responses: {
      200: { description: 'The account, at its new (verified) address.', schema: accountSchema },
      400: invalid,
      401: unauthorized,
      404: accountGone,
      409: {
        description: 'Another account took the address meanwhile.',
        problems: ['conflict', 'concurrent-update'],
      },
      422: badCode,
    },
  },
  {
    method: 'DELETE',
    path: '/me',
    id: 'AccountsDeleteAccount',
    entry: 'functions/privacy/delete-account.ts',
    summary: 'Erase the account and all its data',
    tag: 'accounts',
    auth: 'user',
    table: 'readwrite',
    responses: { 204: { description: 'Erased.' }, 401: unauthorized },
  },
  {
    method: 'GET',
    path: '/me/export',
    id: 'AccountsExportAccount',
    entry: 'functions/privacy/export-account.ts',
    summary: 'All of the caller’s data (data portability)',
    tag: 'accounts',
    auth: 'user',
    table: 'read',
    responses: {
      200: { description: 'The data.', schema: accountExportSchema, headers: ['content-disposition'] },
      401: unauthorized,
    },
  },
  {
    method: 'GET',
    path: '/me/preferences',
    id: 'AccountsGetPreferences',
    entry: 'functions/accounts/get-preferences.ts',
    summary: 'Saved preferences (defaults when never set), with an ETag',
    tag: 'accounts',
    auth: 'user',
    table: 'read',
    responses: {
      200: { description: 'The preferences.', schema: preferencesBody, headers: ['etag'] },
      401: unauthorized,
    },
  },
  {
    method: 'PUT',
    path: '/me/preferences',
    id: 'AccountsPutPreferences',
    entry: 'functions/accounts/put-preferences.ts',
    summary: 'Replace preferences; If-Match makes it conditional',
    tag: 'accounts',
    auth: 'user',
    table: 'readwrite',
    request: { headers: ifMatchHeaders, body: preferencesBody },
    responses: {
      200: { description: 'The saved preferences.', schema: preferencesBody, headers: ['etag'] },
      400: invalid,
      401: unauthorized,
      404: accountGone,
      409: { description: 'Changed concurrently (without If-Match); repeat the request.' },
      412: { description: 'Changed since the ETag was read.' },
    },
  },
  {
    method: 'GET',
    path: '/me/recommendations',
    id: 'RecommendationsGetRecommendations',
    entry: 'functions/recommendations/get-recommendations.ts',
    summary: 'Products recommended for the caller, ranked, each with a score and a reason',
    tag: 'recommendations',
    auth: 'user',
    table: 'read',
    request: { query: recommendationsQuery },
    responses: {
      200: { description: 'Recommendations, best first.', schema: recommendationListSchema },
      400: invalid,
      401: unauthorized,
    },
  },
  {
    method: 'GET',
    path: '/users/{userId}',
    id: 'AccountsGetProfile',
    entry: 'functions/accounts/get-profile.ts',
    summary: 'A user’s public profile',
    tag: 'accounts',
    auth: 'public',
    table: 'read',
    request: { path: userPath },
    responses: {
      200: { description: 'The public profile.', schema: publicProfileSchema },
      400: invalid,
      404: { description: 'No such user.' },
    },
  },
  {
    method: 'POST',
    path: '/orders',
    id: 'OrdersCreateOrder',
    entry: 'functions/orders/create-order.ts',
    summary: 'Place an order (requires Idempotency-Key)',
    tag: 'orders',
    auth: 'user',
    table: 'readwrite',
    request: { headers: idempotentHeaders, body: createOrderBody },
    responses: {
      201: {
        description: 'The pending order (or the original one, for a replayed key).',
        schema: orderSchema,
        headers: ['location', 'idempotent-replayed'],
      },
      400: invalid,
      401: unauthorized,
      403: { description: 'The address is not verified, and this environment requires it.' },
      404: accountGone,
      409: {
        description: 'Not enough stock (`errors` names the lines), or the catalog changed meanwhile.',
        problems: ['insufficient-stock', 'conflict', 'concurrent-update'],
      },
      422: {
        description: 'Unknown products, mixed currencies, or a reused key with another body.',
        problems: ['unprocessable-order', 'idempotency-key-reused'],
      },
    },
  },
  {
    method: 'GET',
    path: '/orders',
    id: 'OrdersListOrders',
    entry: 'functions/orders/list-orders.ts',
    summary: 'The caller’s orders, newest first',
    tag: 'orders',
    auth: 'user',
    table: 'read',
    secrets: ['cursor'],
    request: { query: listOrdersQuery },
    responses: {
      200: { description: 'A page of orders.', schema: orderPageSchema },
      400: invalid,
      401: unauthorized,
    },
  },
  {
    method: 'GET',
    path: '/orders/{orderId}',
    id: 'OrdersGetOrder',
    entry: 'functions/orders/get-order.ts',
    summary: 'One order (owner or admin)',
    tag: 'orders',
    auth: 'user',
    table: 'read',
    request: { path: orderPath },
    responses: {
      200: { description: 'The order.', schema: orderSchema },
      400: invalid,
      401: unauthorized,
      404: noOrder,
    },
  },
  {
    method: 'POST',
    path: '/orders/{orderId}/cancel',
    id: 'OrdersCancelOrder',
    entry: 'functions/payments/cancel-order.ts',
    summary: 'Cancel an unpaid or paid (not shipped) order; stock returns, payments are refunded',
    tag: 'orders',
    auth: 'user',
    table: 'readwrite',
    secrets: ['paymentWebhook', 'stripeApiKey'],
    request: { path: orderPath },
    responses: {
      200: { description: 'The cancelled order.', schema: orderSchema },
      400: invalid,
      401: unauthorized,
      404: noOrder,
      409: illegal,
    },
  },
  {
    method: 'POST',
    path: '/orders/{orderId}/ship',
    id: 'OrdersShipOrder',
    entry: 'functions/orders/ship-order.ts',
    summary: 'Mark a paid order shipped (admin)',
    tag: 'orders',
    auth: 'admin',
    table: 'readwrite',
    request: { path: orderPath },
    responses: {
      200: { description: 'The order.', schema: orderSchema },
      400: invalid,
      401: unauthorized,
      403: forbidden,
      404: noOrder,
      409: illegal,
    },
  },
  {
    method: 'POST',
    path: '/orders/{orderId}/deliver',
    id: 'OrdersDeliverOrder',
    entry: 'functions/orders/deliver-order.ts',
    summary: 'Mark a shipped order delivered (admin)',
    tag: 'orders',
    auth: 'admin',
    table: 'readwrite',
    request: { path: orderPath },
    responses: {
      200: { description: 'The order.', schema: orderSchema },
      400: invalid,
      401: unauthorized,
      403: forbidden,
      404: noOrder,
      409: illegal,
    },
  },
  {
    method: 'GET',
    path: '/admin/orders',
    id: 'OrdersListOrdersByStatus',
    entry: 'functions/orders/list-orders-by-status.ts',
    summary:
      'Orders in one status, or with a refund the provider refused (?refund=failed), newest first (admin)',
    tag: 'orders',
    auth: 'admin',
    table: 'read',
    secrets: ['cursor'],
    request: { query: adminListOrdersQuery },
    responses: {
      200: { description: 'A page of orders.', schema: orderPageSchema },
      400: invalid,
      401: unauthorized,
      403: forbidden,
    },
  },
  {
    method: 'POST',
    path: '/orders/{orderId}/payments',
    id: 'PaymentsCreatePayment',
    entry: 'functions/payments/create-payment.ts',
    summary: 'Pay an order (requires Idempotency-Key); one charge per order',
    tag: 'payments',
    auth: 'user',
    table: 'readwrite',
    secrets: ['paymentWebhook', 'stripeApiKey'],
    request: { path: orderPath, headers: idempotentHeaders, body: paymentBody },
    responses: {
      200: { description: 'The order with the payment’s state.', schema: orderSchema },
      400: invalid,
      401: unauthorized,
      404: noOrder,
      409: {
        description: 'The order is not awaiting payment, or a payment is under way.',
        problems: ['conflict', 'concurrent-update'],
      },
      422: { description: 'A reused key with another body.', problems: ['idempotency-key-reused'] },
      502: {
        description: 'The payment provider failed; `detail` says whether to retry with the same key.',
        problems: ['payment-provider-error'],
      },
    },
  },
  {
    method: 'POST',
    path: '/webhooks/payments',
    id: 'PaymentsReceiveWebhook',
    entry: 'functions/payments/receive-webhook.ts',
    summary: 'Payment provider events (Stripe-Signature verified)',
    tag: 'payments',
    auth: 'public',
    table: 'readwrite',
    secrets: ['paymentWebhook', 'stripeApiKey'],
    request: { headers: stripeSignatureHeaders, body: stripeEventSchema, rawBody: true },
    responses: {
      200: { description: 'Processed (or ignored, or a duplicate).', schema: webhookReceiptSchema },
      400: { description: 'Bad signature, or not an event.', problems: ['bad-request', 'validation-error'] },
    },
  },
  {
    method: 'POST',
    path: '/email/unsubscribe',
    id: 'NotificationsUnsubscribe',
    entry: 'functions/notifications/unsubscribe.ts',
    summary: 'One-click unsubscribe from non-essential email (RFC 8058; the link in List-Unsubscribe)',
    tag: 'notifications',
    auth: 'public',
    table: 'readwrite',
    secrets: ['cursor'],
    request: { query: unsubscribeQuery, body: unsubscribeBody, rawBody: true },
    responses: {
      204: { description: 'Unsubscribed (or already).' },
      400: {
        description: 'Invalid or expired token, or not a one-click body.',
        problems: ['bad-request', 'validation-error'],
      },
      413: tooLarge,
    },
  },
  {
    method: 'POST',
    path: '/conversations',
    id: 'MessagesCreateConversation',
    entry: 'functions/messages/create-conversation.ts',
    summary: 'Start a conversation with a user (optionally about an order), or get the existing one',
    tag: 'messages',
    auth: 'user',
    table: 'readwrite',
    request: { body: createConversationBody },
    responses: {
      200: {
        description: 'The existing conversation with that user about that order.',
        schema: conversationSchema,
      },
      201: { description: 'The new conversation.', schema: conversationSchema },
      400: invalid,
      401: unauthorized,
      403: { description: 'The participant blocked the caller.', problems: ['blocked'] },
      404: accountGone,
      409: busy,
      413: tooLarge,
      415: notJson,
      422: {
        description: 'Yourself, an unknown or erased user, or an order that is not yours.',
        problems: ['self-conversation', 'unknown-user', 'unknown-order'],
      },
    },
  },
  {
    method: 'GET',
    path: '/conversations',
    id: 'MessagesListConversations',
    entry: 'functions/messages/list-conversations.ts',
    summary: 'The caller’s conversations, latest activity first, with unread counts',
    tag: 'messages',
    auth: 'user',
    table: 'read',
    secrets: ['cursor'],
    request: { query: listConversationsQuery },
    responses: {
      200: { description: 'A page of conversations.', schema: conversationPageSchema },
      400: { description: 'Invalid query or cursor.' },
      401: unauthorized,
    },
  },
  {
    method: 'GET',
    path: '/conversations/{conversationId}/messages',
    id: 'MessagesListMessages',
    entry: 'functions/messages/list-messages.ts',
    summary: 'A conversation’s messages, newest first (participants; support for order conversations)',
    tag: 'messages',
    auth: 'user',
    table: 'read',
    secrets: ['cursor'],
    request: { path: conversationPath, query: listMessagesQuery },
    responses: {
      200: { description: 'A page of messages.', schema: messagePageSchema },
      400: { description: 'Invalid id, query or cursor.' },
      401: unauthorized,
      404: noConversation,
    },
  },
  {
    method: 'POST',
    path: '/conversations/{conversationId}/messages',
    id: 'MessagesSendMessage',
    entry: 'functions/messages/send-message.ts',
    summary: 'Send a message; a repeated clientMessageId answers the first message',
    tag: 'messages',
    auth: 'user',
    table: 'readwrite',
    request: { path: conversationPath, body: sendMessageBody },
    responses: {
      201: {
        description: 'The message (or the first one, for a replayed clientMessageId).',
        schema: messageSchema,
        headers: ['idempotent-replayed'],
      },
      400: invalid,
      401: unauthorized,
      403: { description: 'The recipient blocked the sender.', problems: ['blocked'] },
      404: noConversation,
      409: busy,
      413: tooLarge,
      415: notJson,
      422: {
        description:
          'The other participant’s account is gone, or a reused clientMessageId with another body.',
        problems: ['recipient-gone', 'client-message-id-reused'],
      },
      429: {
        description: 'More than 30 messages in a minute; see Retry-After.',
        problems: ['rate-limited'],
        headers: ['retry-after'],
      },
    },
  },
  {
    method: 'POST',
    path: '/conversations/{conversationId}/read',
    id: 'MessagesMarkConversationRead',
    entry: 'functions/messages/mark-conversation-read.ts',
    summary: 'Mark a conversation read up to a message',
    tag: 'messages',
    auth: 'user',
    table: 'readwrite',
    request: { path: conversationPath, body: markReadBody },
    responses: {
      200: { description: 'The caller’s read position and unread count.', schema: readStateSchema },
      400: invalid,
      401: unauthorized,
      403: { description: 'Support has no read position in conversations it is not part of.' },
      404: noConversation,
      409: busy,
      413: tooLarge,
      415: notJson,
    },
  },
  {
    method: 'POST',
    path: '/users/{userId}/block',
    id: 'MessagesBlockUser',
    entry: 'functions/messages/block-user.ts',
    summary: 'Block a user from starting conversations with, or writing to, the caller',
    tag: 'messages',
    auth: 'user',
    table: 'readwrite',
    request: { path: userPath },
    responses: {
      204: { description: 'Blocked (or already blocked).' },
      400: invalid,
      401: unauthorized,
      404: accountGone,
      409: busy,
      422: { description: 'Yourself, or an unknown user.', problems: ['self-block', 'unknown-user'] },
    },
  },
  {
    method: 'DELETE',
    path: '/users/{userId}/block',
    id: 'MessagesUnblockUser',
    entry: 'functions/messages/unblock-user.ts',
    summary: 'Lift a block',
    tag: 'messages',
    auth: 'user',
    table: 'readwrite',
    request: { path: userPath },
    responses: {
      204: { description: 'Not blocked (any more).' },
      400: invalid,
      401: unauthorized,
      409: busy,
      422: { description: 'Yourself.', problems: ['self-block'] },
    },
  },
  {
    method: 'GET',
    path: '/admin/conversations',
    id: 'MessagesListOrderConversations',
    entry: 'functions/messages/list-order-conversations.ts',
    summary: 'Every conversation about an order, latest activity first (admin, support)',
    tag: 'messages',
    auth: 'admin',
    table: 'read',
    secrets: ['cursor'],
    request: { query: listConversationsQuery },
    responses: {
      200: { description: 'A page of order conversations.', schema: supportConversationPageSchema },
      400: { description: 'Invalid query or cursor.' },
      401: unauthorized,
      403: forbidden,
    },
  },
];

/** `GET /products/{productId}`: API Gateway's route key for a route. */
export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string =>
  `${route.method} ${route.path}`;
