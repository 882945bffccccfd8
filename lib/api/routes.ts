import type * as z from 'zod/mini';
import type { ProblemSlug } from './problems.ts';
import { ACCOUNTS_ROUTES } from './routes/accounts.ts';
import { CATALOG_ROUTES } from './routes/catalog.ts';
import { IMAGE_ROUTES } from './routes/images.ts';
import { MESSAGES_ROUTES } from './routes/messages.ts';
import { NOTIFICATIONS_ROUTES } from './routes/notifications.ts';
import { ORDERS_ROUTES } from './routes/orders.ts';
import { PAYMENTS_ROUTES } from './routes/payments.ts';
import { RECOMMENDATIONS_ROUTES } from './routes/recommendations.ts';
import { SEARCH_ROUTES } from './routes/search.ts';
import { SYSTEM_ROUTES } from './routes/system.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** Who may call a route: anyone, any signed-in user, or users with the `admin` scope. */
export type AuthLevel = 'public' | 'user' | 'admin';
/** What a route's function may do to the table; read-only routes get read-only grants. */
export type TableAccess = 'none' | 'read' | 'readwrite';
/** Secrets a function may read (and is granted `secretsmanager:GetSecretValue` on). */
export type SecretName = 'cursor' | 'signingKey' | 'paymentWebhook' | 'stripeApiKey';

/**
 * The stacks that hold routes besides the base API stack (`shop-<env>-api-<name>`), one per group
 * of domains, so that no stack nears CloudFormation's 500 resources as the route table grows.
 */
export const ROUTE_STACKS = ['catalog', 'accounts', 'orders', 'messages'] as const;
/**
 * Where a route's function, integration, permission and route live: `api` is the base API stack
 * (the HTTP API, its stage, authorizer and `$default` route), the others are `ROUTE_STACKS`.
 */
export type RouteStack = 'api' | (typeof ROUTE_STACKS)[number];

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
  /**
   * The stack that holds the route and its function. Written down, like `id`, never derived from
   * the tag: a route that changes stack gets a new function in the new stack (docs/operations.md,
   * "Moving routes between stacks"). A route whose path the stage throttles on its own
   * (`routeThrottling`, `/auth/`) stays in `api`, the stage's stack: a stage can only name routes
   * that exist before it.
   */
  readonly stack: RouteStack;
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
  /**
   * Deployed only where the environment's payment provider is this one (the simulated provider's
   * 3-D Secure page): the API stack, the served OpenAPI document and the catch-all's route keys
   * of other environments leave the route out (`deployedRoutes`).
   */
  readonly paymentProvider?: 'simulated' | 'stripe';
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

/**
 * THE route table, one file per domain in lib/api/routes/. CDK, OpenAPI, sample events and the
 * local emulator all derive from it.
 */
export const ROUTES: readonly RouteDefinition[] = [
  ...SYSTEM_ROUTES,
  ...CATALOG_ROUTES,
  ...IMAGE_ROUTES,
  ...SEARCH_ROUTES,
  ...RECOMMENDATIONS_ROUTES,
  ...ACCOUNTS_ROUTES,
  ...ORDERS_ROUTES,
  ...PAYMENTS_ROUTES,
  ...NOTIFICATIONS_ROUTES,
  ...MESSAGES_ROUTES,
];

/** `GET /products/{productId}`: API Gateway's route key for a route. */
export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string =>
  `${route.method} ${route.path}`;

/** The routes an environment deploys: those for its payment provider, and every other. */
export const deployedRoutes = (config: {
  readonly paymentProvider: 'simulated' | 'stripe';
}): readonly RouteDefinition[] =>
  ROUTES.filter((route) => !route.paymentProvider || route.paymentProvider === config.paymentProvider);
