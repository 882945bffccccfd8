import { ulid } from 'ulid';
import { DEFAULT_PREFERENCES } from '../../functions/accounts/model.ts';
import { hashPassword } from '../../functions/accounts/passwords.ts';
import { putPreferences } from '../../functions/accounts/preferences-store.ts';
import { createAccount } from '../../functions/accounts/profile-store.ts';
import { createCategory } from '../../functions/catalog/category-store.ts';
import { CATEGORIES, type Category, type Product } from '../../functions/catalog/model.ts';
import { putProduct } from '../../functions/catalog/store.ts';
import { logger } from '../../functions/core/logger.ts';
import { createOrder } from '../../functions/orders/placement-store.ts';
import { transitionOrder } from '../../functions/orders/store.ts';
import { backfillRecommendations } from '../admin/backfill-recommendations.ts';
import { environmentConfig } from '../config/environments.ts';
// Seeded: the demo catalog is the same on every machine and run.
import { seededRandom } from '../load/random.ts';

const ADJECTIVES = ['Classic', 'Compact', 'Deluxe', 'Eco', 'Pro', 'Smart', 'Travel', 'Vintage'];
const NOUNS: Record<(typeof CATEGORIES)[number], readonly string[]> = {
  electronics: ['Headphones', 'Charger', 'Speaker', 'Keyboard', 'Webcam'],
  books: ['Cookbook', 'Novel', 'Atlas', 'Field Guide', 'Poetry Collection'],
  home: ['Kettle', 'Lamp', 'Blanket', 'Teapot', 'Clock'],
  garden: ['Trowel', 'Watering Can', 'Planter', 'Hose', 'Seed Kit'],
  toys: ['Puzzle', 'Kite', 'Robot', 'Train Set', 'Plush Bear'],
  sports: ['Yoga Mat', 'Football', 'Water Bottle', 'Jump Rope', 'Racket'],
  fashion: ['Scarf', 'Backpack', 'Sneakers', 'Sunglasses', 'Belt'],
  beauty: ['Face Cream', 'Hair Brush', 'Perfume', 'Lip Balm', 'Soap Set'],
  grocery: ['Coffee Beans', 'Olive Oil', 'Tea Sampler', 'Honey', 'Chocolate'],
  music: ['Ukulele', 'Vinyl Record', 'Harmonica', 'Drumsticks', 'Guitar Strings'],
};

/** Seed time of the first product; the rest follow an hour apart, so "newest first" is well defined. */
const FIRST_CREATED = Date.UTC(2026, 0, 1);

/** The deterministic demo catalog: `count` products spread over every category. */
export function demoProducts(count = 60): Product[] {
  const random = seededRandom(20260101);
  return Array.from({ length: count }, (_, i) => {
    const category = CATEGORIES[i % CATEGORIES.length] as (typeof CATEGORIES)[number];
    const nouns = NOUNS[category];
    const name = `${ADJECTIVES[Math.floor(random() * ADJECTIVES.length)]} ${nouns[Math.floor(random() * nouns.length)]}`;
    const createdAtMs = FIRST_CREATED + i * 3_600_000;
    const createdAt = new Date(createdAtMs).toISOString();
    return {
      id: ulid(createdAtMs, random),
      name,
      description: `${name}: demo product ${i + 1} in ${category}.`,
      category,
      price: 499 + Math.floor(random() * 200) * 50,
      currency: 'EUR',
      stock: Math.floor(random() * 50),
      // As the API answers a product without pictures (the seeding's images come after).
      images: [],
      createdAt,
      updatedAt: createdAt,
    };
  });
}

/** Writes the demo catalog through the catalog store (the store must already point at the table). */
export async function seedDemoData(): Promise<{ products: number; categories: number }> {
  const products = demoProducts();
  for (let i = 0; i < products.length; i += 10) {
    await Promise.all(products.slice(i, i + 10).map((product) => putProduct(product)));
  }
  // The ten default categories are seeded by the store on first use; a small subtree shows nesting.
  const lighting = await createCategory({
    slug: 'lighting',
    name: 'Lighting',
    parentId: 'home',
    position: 0,
  });
  await createCategory({
    slug: 'desk-lamps',
    name: 'Desk lamps',
    parentId: lighting.category.id,
    position: 0,
  });
  await createCategory({ slug: 'cookbooks', name: 'Cookbooks', parentId: 'books', position: 0 });
  return { products: products.length, categories: new Set(products.map((p) => p.category)).size };
}

/** The local environment's admin account (never created anywhere else). */
export interface LocalAdmin {
  readonly email: string;
  readonly password: string;
}

/** The admin from LOCAL_ADMIN_EMAIL / LOCAL_ADMIN_PASSWORD, or the documented local defaults. */
export function localAdmin(env: NodeJS.ProcessEnv = process.env): LocalAdmin {
  return {
    email: (env.LOCAL_ADMIN_EMAIL ?? 'admin@shop.local').trim().toLowerCase(),
    password: env.LOCAL_ADMIN_PASSWORD ?? 'local-admin-password',
  };
}

/**
 * The scrypt cost of seeded accounts: the local environment's, as its functions hash (a seed
 * at OWASP cost would cost seconds of every start; a deployed environment would rehash it).
 */
export const SEED_PASSWORD_HASHING = environmentConfig('local').passwordHashing;

/** Creates the local admin account through the accounts store. */
export async function seedAdmin(admin: LocalAdmin): Promise<LocalAdmin> {
  await createAccount({
    email: admin.email,
    displayName: 'Local Admin',
    role: 'admin',
    // Seeded accounts have no mailbox to prove: they start verified.
    emailVerified: true,
    password: await hashPassword(admin.password, SEED_PASSWORD_HASHING),
  });
  return admin;
}

/** The password of every demo customer (local only). */
export const DEMO_CUSTOMER_PASSWORD = 'demo-customer-password';
/** The first demo customer: the sign-in example of `GET /docs` under `npm start`. */
export const DEMO_SIGN_IN_EMAIL = 'ada@shop.local';

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

/**
 * A deterministic purchase history on top of the demo catalog, so that best sellers, "bought
 * together" and personal recommendations show something on a fresh `npm start`: demo
 * customers (`<name>@shop.local`) with preferences, each placing and paying a few orders
 * through the orders store (stock is taken as for any order), then the recommendation
 * aggregates built from them by the same code the stream consumer runs (the backfill). Every
 * basket holds its category's "bundle" (two products that go together) and one more product.
 * Runs with `environment`, the create-order function's, so the stores read the settings the
 * functions do (the payment window, ...).
 */
export async function seedOrderHistory(
  environment: Readonly<Record<string, string>>,
): Promise<{ customers: string[]; orders: number }> {
  // The stores log every order they place: not news while seeding.
  const level = logger.getLevelName();
  logger.setLogLevel('WARN');
  try {
    return await withEnvironment(environment, placeDemoOrders);
  } finally {
    logger.setLogLevel(level);
  }
}

/**
 * Runs `work` with `environment` laid over this process's `process.env`, then puts back what
 * each variable held before (deleting those that were unset): the stores read their settings
 * from `process.env` as the functions do, but the variables of one function (its table, its
 * Lambda platform values, `TZ`) must not outlive the seeding in a process that goes on to do
 * other work, or starts another backend. Meanwhile the whole process sees them, so nothing
 * else may run alongside.
 */
export async function withEnvironment<T>(
  environment: Readonly<Record<string, string>>,
  work: () => Promise<T>,
): Promise<T> {
  const previous = Object.keys(environment).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, environment);
  try {
    return await work();
  } finally {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

async function placeDemoOrders(): Promise<{ customers: string[]; orders: number }> {
  const random = seededRandom(20260102);
  const products = demoProducts();
  const remaining = new Map(products.map((product) => [product.id, product.stock]));
  const available = (category: Category, quantity: number) =>
    products.filter((p) => p.category === category && (remaining.get(p.id) ?? 0) >= quantity);
  // One password hash for all: these accounts are local demos.
  const password = await hashPassword(DEMO_CUSTOMER_PASSWORD, SEED_PASSWORD_HASHING);
  const customers: string[] = [];
  let orders = 0;
  for (const [i, customer] of DEMO_CUSTOMERS.entries()) {
    const email = `${customer.name.toLowerCase()}@shop.local`;
    const { account } = await createAccount({
      email,
      displayName: customer.name,
      role: 'customer',
      emailVerified: true,
      password,
    });
    customers.push(email);
    if (customer.favorites.length > 0) {
      await putPreferences(account.id, {
        ...DEFAULT_PREFERENCES,
        favoriteCategories: [...customer.favorites],
      });
    }
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
      const { order } = await createOrder(account.id, { items: lines }, `demo-order-${i}-${j}`);
      await transitionOrder(order.id, 'pay', {
        set: { payment: { attempt: 1, status: 'succeeded', paymentMethod: 'pm_card_visa' } },
        detail: { seeded: true },
      });
      orders += 1;
    }
  }
  // The stream consumer only sees changes after it starts: the seeded history is applied here.
  await backfillRecommendations();
  return { customers, orders };
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}
