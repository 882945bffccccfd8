import { CreateTableCommand, DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import { hashPassword } from '../../functions/accounts/passwords.ts';
import { createAccount } from '../../functions/accounts/profile-store.ts';
import type { Category, ProductFields } from '../../functions/catalog/model.ts';
import { putProducts } from '../../functions/catalog/store.ts';
import { useTable } from '../../functions/core/db.ts';
import type { Order } from '../../functions/orders/model.ts';
import { putOrders } from '../../functions/orders/store.ts';
import { localAdmin, SEED_PASSWORD_HASHING, seedAdmin } from '../demo/seed.ts';
import { LOCAL_REGION } from '../local/account.ts';
import { type CloudAssembly, resourcesOfType, TemplateResolver } from '../local/cloudformation/template.ts';
import { applyTimeToLive, createTableInput } from '../local/dynamodb/table.ts';

/** The category and the customer whose listings grow to the bench's size. */
export const SCALE_CATEGORY: Category = 'books';
export const SCALE_CUSTOMER = { email: 'bench-customer@example.com', password: 'bench customer password' };
/** Writers in flight while seeding (each sends 25 items per BatchWriteItem). */
const SEED_WRITERS = 4;
const FIRST_CREATED = Date.UTC(2025, 0, 1);

/** `count` things created a second apart from 2025-01-01, each with a ULID of its creation time. */
function timeline<T>(count: number, make: (id: string, createdAt: string, i: number) => T): T[] {
  const id = monotonicFactory(() => 0.5);
  return Array.from({ length: count }, (_, i) => {
    const at = FIRST_CREATED + i * 1000;
    return make(id(at), new Date(at).toISOString(), i);
  });
}

const products = (count: number): ProductFields[] =>
  timeline(count, (id, createdAt, i) => ({
    id,
    name: `Bench book ${i + 1}`,
    description: 'A book of the bench catalog.',
    category: SCALE_CATEGORY,
    price: 1000 + (i % 500),
    currency: 'EUR',
    stock: 10,
    createdAt,
    updatedAt: createdAt,
  }));

const orders = (count: number, userId: string): Order[] =>
  timeline(count, (id, createdAt) => ({
    id,
    userId,
    status: 'paid',
    items: [
      {
        productId: '01KDVDNA00BENCH0000000000X',
        name: 'Bench book',
        unitPrice: 1000,
        quantity: 1,
        lineTotal: 1000,
      },
    ],
    total: 1000,
    currency: 'EUR',
    createdAt,
    updatedAt: createdAt,
    expiresAt: createdAt,
    history: [{ at: createdAt, type: 'created' }],
  }));

/** Writes `items` through `write` with a few writers at once, reporting the total done. */
async function inParallel<T>(
  items: readonly T[],
  write: (slice: readonly T[], onProgress: (done: number) => void) => Promise<void>,
  onProgress: (done: number) => void,
): Promise<void> {
  const size = Math.ceil(items.length / SEED_WRITERS);
  const done = new Array<number>(SEED_WRITERS).fill(0);
  await Promise.all(
    Array.from({ length: SEED_WRITERS }, (_, w) =>
      write(items.slice(w * size, (w + 1) * size), (n) => {
        done[w] = n;
        onProgress(done.reduce((a, b) => a + b, 0));
      }),
    ),
  );
}

/** What another phase seeds instead of the scale listings' catalog and orders. */
export interface ScaleSeedOptions {
  /** The catalog to write (default: `count` books of one category). */
  readonly products?: readonly ProductFields[];
  /** Write `count` orders of the scale customer (default: yes). */
  readonly orders?: boolean;
  /** Runs on the seeded table (the stores point at it) before its stream is turned on. */
  readonly beforeStream?: () => Promise<void>;
}

/**
 * Creates a table as the template defines it (prefix `prefix`), before any backend serves
 * it, and fills it with `count` products in one category (all of them also in the catalog
 * partition) and `count` paid orders of one customer, plus the local admin and that customer.
 * Writing before the backend starts keeps the stream consumers, which start at LATEST, out
 * of it.
 *
 * The stream is turned on only after the seeding. DynamoDB Local keeps a stream's records in
 * its database for 24 hours, and requests to the table slow down with how many it
 * holds: the same Query with Limit 20 on 100k items measured 1.28x its time on 1k items when
 * the seeding's records were in the stream, 1.00x when the stream was enabled afterwards
 * (docs/performance.md, "Scale"). DynamoDB's reads do not depend on the stream; a listing's
 * growth with its partition is what this bench is after.
 */
export async function seedScaleTable(
  assembly: CloudAssembly,
  dynamodbEndpoint: string,
  prefix: string,
  count: number,
  onProgress: (what: string, done: number, total: number) => void,
  options: ScaleSeedOptions = {},
): Promise<void> {
  const resolver = new TemplateResolver(assembly, { tableNamePrefix: prefix });
  const found = resourcesOfType(assembly, 'AWS::DynamoDB::Table')[0];
  if (!found) throw new Error('The template has no table.');
  const tableName = resolver.resource(found.stackName, found.logicalId).ref;
  const client = new DynamoDBClient({
    endpoint: dynamodbEndpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    const { StreamSpecification, ...withoutStream } = createTableInput(found.resource, tableName);
    await client.send(new CreateTableCommand(withoutStream));
    await applyTimeToLive(client, found.resource, tableName);
    useTable(
      DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
      tableName,
    );
    await seedAdmin(localAdmin({}));
    const { account } = await createAccount({
      email: SCALE_CUSTOMER.email,
      displayName: 'Bench customer',
      role: 'customer',
      password: await hashPassword(SCALE_CUSTOMER.password, SEED_PASSWORD_HASHING),
    });
    const catalog = options.products ?? products(count);
    await inParallel(catalog, putProducts, (done) => onProgress('products', done, catalog.length));
    if (options.orders ?? true)
      await inParallel(orders(count, account.id), putOrders, (done) => onProgress('orders', done, count));
    await options.beforeStream?.();
    if (StreamSpecification) {
      await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification }));
    }
  } finally {
    client.destroy();
  }
}
