import { ulid } from 'ulid';
import { hashPassword } from '../../functions/accounts/passwords.ts';
import { createAccount } from '../../functions/accounts/store.ts';
import { CATEGORIES, type Category, type Product } from '../../functions/catalog/model.ts';
import { putProduct } from '../../functions/catalog/store.ts';

/** A small seeded PRNG (mulberry32): the demo catalog is the same on every machine and run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ADJECTIVES = ['Classic', 'Compact', 'Deluxe', 'Eco', 'Pro', 'Smart', 'Travel', 'Vintage'];
const NOUNS: Record<Category, readonly string[]> = {
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
    const category = CATEGORIES[i % CATEGORIES.length] as Category;
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

/** Creates the local admin account through the accounts store. */
export async function seedAdmin(admin: LocalAdmin): Promise<LocalAdmin> {
  await createAccount({
    email: admin.email,
    displayName: 'Local Admin',
    role: 'admin',
    password: await hashPassword(admin.password),
  });
  return admin;
}
