import type * as z from 'zod/mini';
import {
  listProductsQuery,
  productPageSchema,
  productPath,
  productSchema,
} from '../../functions/catalog/model.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** Who may call a route: anyone, any signed-in user, or users with the `admin` scope. */
export type AuthLevel = 'public' | 'user' | 'admin';
/** What a route's function may do to the table; read-only routes get read-only grants. */
export type TableAccess = 'none' | 'read' | 'readwrite';
/** Secrets a function may read (and is granted `secretsmanager:GetSecretValue` on). */
export type SecretName = 'cursor';

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: z.ZodMiniType;
}

/** One HTTP route and everything derived from it: CDK function and route, OpenAPI operation, sample event. */
export interface RouteDefinition {
  readonly method: HttpMethod;
  /** API Gateway path, with `{name}` parameters (the same syntax OpenAPI uses). */
  readonly path: string;
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
    readonly body?: z.ZodMiniType;
  };
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

/** The catch-all route: answers 404 or 405 as problem+json for anything no route matches. */
export const DEFAULT_ROUTE = {
  routeKey: '$default',
  entry: 'functions/system/route-not-found.ts',
  table: 'none',
  auth: 'public',
} as const;

const health = { description: 'The service is up.' };

/** THE route table. CDK, OpenAPI, sample events and the local emulator all derive from it. */
export const ROUTES: readonly RouteDefinition[] = [
  {
    method: 'GET',
    path: '/health',
    entry: 'functions/system/get-health.ts',
    summary: 'Liveness check',
    tag: 'system',
    auth: 'public',
    table: 'none',
    responses: { 200: health },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    entry: 'functions/system/get-openapi.ts',
    summary: 'This OpenAPI 3.1 document',
    tag: 'system',
    auth: 'public',
    table: 'none',
    responses: { 200: { description: 'The OpenAPI document.' } },
  },
  {
    method: 'GET',
    path: '/products',
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
];

/** `GET /products/{productId}`: API Gateway's route key for a route. */
export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string =>
  `${route.method} ${route.path}`;

/**
 * A stable construct id for a route's function, from its entry file:
 * `functions/catalog/list-products.ts` -> `CatalogListProducts`.
 */
export function functionId(entry: string): string {
  return entry
    .replace(/^functions\//, '')
    .replace(/\.ts$/, '')
    .split(/[/-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
