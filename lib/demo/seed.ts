import { ulid } from 'ulid';
import { hashPassword } from '../../functions/accounts/passwords.ts';
import { createAccount } from '../../functions/accounts/profile-store.ts';
import { createCategory } from '../../functions/catalog/category-store.ts';
import { CATEGORIES, type Product } from '../../functions/catalog/model.ts';
import { putProducts } from '../../functions/catalog/store.ts';
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
  // In batches (BatchWriteItem), each category's count raised once.
  await putProducts(products);
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
