import { userScopedKey } from '../accounts/keys.ts';
import { productScopedKey } from '../catalog/keys.ts';
import type { PopularScope } from './model.ts';

/*
 * Key templates of the recommendations domain, the only place they are spelled. The co-purchase
 * counts live in the product's partition and the purchase summary in the user's (through their
 * domains' `productScopedKey` and `userScopedKey`), so the reads that need them with the product
 * or the preferences are one Query. See docs/access-patterns.md.
 */

/** The marker that an order's contribution was applied (or taken back): exactly once. */
export const appliedKey = (orderId: string) => ({ pk: `RECS_ORDER#${orderId}`, sk: 'APPLIED' });
/** The co-purchase counters of a product, in the product's partition. */
export const RELATED_SK = 'RELATED';
export const relatedKey = (productId: string) => productScopedKey(productId, RELATED_SK);
/** Units sold per day, per category or `ALL`. */
export const popularPartition = (scope: PopularScope) => `POPULAR#${scope}`;
export const popularKey = (scope: PopularScope, day: string) => ({ pk: popularPartition(scope), sk: day });
/** A customer's purchase summary, in the user's partition (sorts after `PREFERENCES`). */
export const PURCHASES_SK = 'RECS#PURCHASES';
export const purchasesKey = (userId: string) => userScopedKey(userId, PURCHASES_SK);
