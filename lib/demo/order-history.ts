import { DEFAULT_PREFERENCES } from '../../functions/accounts/model.ts';
import { hashPassword } from '../../functions/accounts/passwords.ts';
import { putPreferences } from '../../functions/accounts/preferences-store.ts';
import { createAccount } from '../../functions/accounts/profile-store.ts';
import { CATEGORIES, type Category } from '../../functions/catalog/model.ts';
import { logger } from '../../functions/core/logger.ts';
import { createOrder } from '../../functions/orders/placement-store.ts';
import { transitionOrder } from '../../functions/orders/store.ts';
import { backfillRecommendations } from '../admin/backfill-recommendations.ts';
import { seededRandom } from '../load/random.ts';
import { DEMO_CUSTOMER_PASSWORD, demoProducts, SEED_PASSWORD_HASHING, withEnvironment } from './seed.ts';

/** Demo customers: who they are and which categories they favour (one has no preferences). */
const DEMO_CUSTOMERS: readonly { name: string; favorites: readonly Category[] }[] = [
  { name: 'Ada', favorites: ['electronics', 'books'] },
  { name: 'Ben', favorites: ['home', 'garden'] },
  { name: 'Cleo', favorites: ['sports', 'fashion'] },
  { name: 'Dev', favorites: [] },
  { name: 'Eva', favorites: ['grocery', 'home'] },
  { name: 'Finn', favorites: ['toys', 'music'] },
];
const ORDERS_PER_CUSTOMER = 3;

/** A seeded demo customer: their account, and the categories they favour. */
export interface DemoCustomer {
  readonly email: string;
  readonly accountId: string;
  readonly favorites: readonly Category[];
}

/**
 * The demo customers' accounts (`<name>@shop.local`, verified, one password) and their
 * preferences, through the accounts stores. Needs the table only: `npm start` runs it while the
 * app synthesizes. Answers them in a fixed order, Ada (the sign-in example of `GET /docs`) first.
 */
export async function seedDemoCustomers(): Promise<DemoCustomer[]> {
  // One password hash for all: these accounts are local demos.
  const password = await hashPassword(DEMO_CUSTOMER_PASSWORD, SEED_PASSWORD_HASHING);
  return Promise.all(
    DEMO_CUSTOMERS.map(async ({ name, favorites }) => {
      const email = `${name.toLowerCase()}@shop.local`;
      const { account } = await createAccount({
        email,
        displayName: name,
        role: 'customer',
        emailVerified: true,
        password,
      });
      if (favorites.length > 0) {
        await putPreferences(account.id, { ...DEFAULT_PREFERENCES, favoriteCategories: [...favorites] });
      }
      return { email, accountId: account.id, favorites };
    }),
  );
}

/** One demo order: whose, its lines, and its idempotency key. */
interface PlannedOrder {
  readonly accountId: string;
  readonly lines: readonly { productId: string; quantity: number }[];
  readonly key: string;
}

/**
 * The demo orders, decided up front from a seeded random sequence so they are the same on every
 * run: each customer orders from their favourite categories (any, without favourites) a
 * category's "bundle" (two products that go together) and one more product, never more than
 * the stock the demo catalog has left.
 */
function planDemoOrders(customers: readonly DemoCustomer[]): PlannedOrder[] {
  const random = seededRandom(20260102);
  const products = demoProducts();
  const remaining = new Map(products.map((product) => [product.id, product.stock]));
  const available = (category: Category, quantity: number) =>
    products.filter((p) => p.category === category && (remaining.get(p.id) ?? 0) >= quantity);
  const orders: PlannedOrder[] = [];
  for (const [i, customer] of customers.entries()) {
    for (let j = 0; j < ORDERS_PER_CUSTOMER; j++) {
      const category =
        customer.favorites[j % Math.max(1, customer.favorites.length)] ?? pick(CATEGORIES, random);
      const other = pick(CATEGORIES, random);
      const quantity = 1 + Math.floor(random() * 2);
      const bundle = available(category, quantity).slice(0, 2);
      const extra = available(other, 1).filter((p) => !bundle.includes(p));
      const lines = [
        ...bundle.map((p) => ({ productId: p.id, quantity })),
        ...(extra.length > 0 ? [{ productId: pick(extra, random).id, quantity: 1 }] : []),
      ];
      if (lines.length === 0) continue;
      for (const line of lines)
        remaining.set(line.productId, (remaining.get(line.productId) ?? 0) - line.quantity);
      orders.push({ accountId: customer.accountId, lines, key: `demo-order-${i}-${j}` });
    }
  }
  return orders;
}

/**
 * A deterministic purchase history on top of the demo catalog, so that best sellers, "bought
 * together" and personal recommendations show something on a fresh `npm start`: the demo
 * customers each place and pay a few orders through the orders store (stock is taken as for
 * any order), then the recommendation aggregates are built from them by the same code the
 * stream consumer runs (the backfill). One order after another: placed in parallel, their
 * transactions on the same products conflict in DynamoDB Local and retry, and the seeding took
 * longer (docs/performance.md, the dev loop). Runs with `environment`, the create-order
 * function's, so the stores read the settings the functions do (the payment window, ...).
 */
export async function seedOrderHistory(
  environment: Readonly<Record<string, string>>,
  customers: readonly DemoCustomer[],
): Promise<{ customers: string[]; orders: number }> {
  // The stores log every order they place: not news while seeding.
  const level = logger.getLevelName();
  logger.setLogLevel('WARN');
  try {
    return await withEnvironment(environment, async () => {
      const orders = planDemoOrders(customers);
      for (const { accountId, lines, key } of orders) {
        const { order } = await createOrder(accountId, { items: [...lines] }, key);
        await transitionOrder(order.id, 'pay', {
          set: { payment: { attempt: 1, status: 'succeeded', paymentMethod: 'pm_card_visa' } },
          detail: { seeded: true },
        });
      }
      // The stream consumer only sees changes after it starts: the seeded history is applied here.
      await backfillRecommendations();
      return { customers: customers.map((customer) => customer.email), orders: orders.length };
    });
  } finally {
    logger.setLogLevel(level);
  }
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}
