import { productPath } from '../../../functions/catalog/model.ts';
import {
  popularProductListSchema,
  popularProductsQuery,
  recommendationListSchema,
  recommendationsQuery,
  relatedProductListSchema,
  relatedProductsQuery,
} from '../../../functions/recommendations/model.ts';
import type { RouteDefinition } from '../routes.ts';
import { invalid, unauthorized } from './responses.ts';

/** Popular, related and personal product recommendations. Part of THE route table (lib/api/routes.ts). */
export const RECOMMENDATIONS_ROUTES: readonly RouteDefinition[] = [
  {
    method: 'GET',
    path: '/products/popular',
    id: 'RecommendationsListPopularProducts',
    entry: 'functions/recommendations/list-popular-products.ts',
    summary: 'Best sellers by units in the last 7 or 30 days, overall or in one category (in stock)',
    tag: 'recommendations',
    stack: 'catalog',
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
    stack: 'catalog',
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
    path: '/me/recommendations',
    id: 'RecommendationsGetRecommendations',
    entry: 'functions/recommendations/get-recommendations.ts',
    summary: 'Products recommended for the caller, ranked, each with a score and a reason',
    tag: 'recommendations',
    stack: 'catalog',
    auth: 'user',
    table: 'read',
    request: { query: recommendationsQuery },
    responses: {
      200: { description: 'Recommendations, best first.', schema: recommendationListSchema },
      400: invalid,
      401: unauthorized,
    },
  },
];
