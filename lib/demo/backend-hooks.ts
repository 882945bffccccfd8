import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newSigningKeySetValue } from '../../functions/accounts/signing-keys.ts';
import { useTable } from '../../functions/core/db.ts';
import { compactIndex } from '../../functions/search/compaction.ts';
import type { LocalBackend, LocalBackendOptions, TablesCreatedContext } from '../local/backend.ts';
import type { CustomResourceEmulator } from '../local/cloudformation/custom-resources.ts';
import { renderDemoPictures, uploadDemoImages } from './images.ts';
import { type DemoCustomer, seedDemoCustomers, seedOrderHistory } from './order-history.ts';
import {
  DEMO_CUSTOMER_PASSWORD,
  DEMO_SIGN_IN_EMAIL,
  demoProducts,
  type LocalAdmin,
  localAdmin,
  seedAdmin,
  seedDemoData,
  withEnvironment,
} from './seed.ts';

/** What the demo seeding put into a fresh table. */
export interface DemoSeed {
  readonly products: number;
  readonly categories: number;
  readonly admin: LocalAdmin;
  /** Demo customers' emails and their paid orders, when the order history was asked for. */
  readonly history?: { customers: string[]; orders: number };
  /** Demo products given a picture (uploaded and processed as an admin's would be). */
  readonly images?: number;
}

/** A local backend of the shop, with the demo seeding's result. */
export type ShopBackend = LocalBackend<DemoSeed | undefined>;

/**
 * The shop's custom resources, as the local runtime emulates them: `Custom::SigningKeySet` fills
 * its secret with an RSA key set at deploy time, so locally that secret starts out holding one.
 */
export const SHOP_CUSTOM_RESOURCES: Readonly<Record<string, CustomResourceEmulator>> = {
  'Custom::SigningKeySet': (resource) => {
    const secretId = resource.property('SecretId');
    if (typeof secretId !== 'string') throw new Error(`Expected a string, got ${JSON.stringify(secretId)}.`);
    return { secretValues: { [secretId]: newSigningKeySetValue() } };
  },
};

export interface DemoSeedOptions {
  /**
   * Also demo customers with paid orders and the recommendations built from them (`npm start`);
   * tests leave it off so the catalog's stock stays as seeded.
   */
  readonly orderHistory?: boolean;
  /** The admin account to seed; from LOCAL_ADMIN_EMAIL / LOCAL_ADMIN_PASSWORD by default. */
  readonly admin?: LocalAdmin;
  /** Also pictures of a few products, uploaded to the local S3 and processed (`npm start`). */
  readonly images?: boolean;
  /**
   * The part of the seeding that needs only the table, already under way (`seedDemoAhead`, while
   * the app synthesizes): the hook waits for it instead of writing it again.
   */
  readonly ahead?: Promise<DemoTableSeed | undefined>;
}

/** What the demo seeding writes with the table alone, before any function exists. */
export interface DemoTableSeed {
  readonly products: number;
  readonly categories: number;
  readonly admin: LocalAdmin;
  /** The demo customers, when the order history was asked for (their orders come later). */
  readonly customers?: readonly DemoCustomer[];
  /** The demo products' pictures, rendered, when images were asked for (uploaded later). */
  readonly pictures?: readonly Buffer[];
}

/** Points this process's stores at `tableName` in `dynamodb`, as the seeding writes through them. */
function useSeedTable(dynamodb: DynamoDBClient, tableName: string): void {
  useTable(
    DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    tableName,
  );
}

/** The seeding that needs the table only: the catalog, the admin, the demo customers, the pictures, at once. */
async function seedDemoTable(options: DemoSeedOptions): Promise<DemoTableSeed> {
  const [catalog, admin, customers, pictures] = await Promise.all([
    seedDemoData(),
    seedAdmin(options.admin ?? localAdmin()),
    options.orderHistory ? seedDemoCustomers() : undefined,
    options.images ? renderDemoPictures() : undefined,
  ]);
  return { ...catalog, admin, ...(customers ? { customers } : {}), ...(pictures ? { pictures } : {}) };
}

/**
 * Starts the seeding that needs only the table, in a table `npm start` created before the app's
 * template existed (lib/constructs/table-definition.ts), while the app synthesizes; hand its
 * promise to `shopBackendOptions` as `ahead`, and the rest (what needs the functions) follows
 * once the backend has them.
 */
export function seedDemoAhead(
  dynamodb: DynamoDBClient,
  tableName: string,
  options: DemoSeedOptions = {},
): Promise<DemoTableSeed> {
  useSeedTable(dynamodb, tableName);
  return seedDemoTable(options);
}

/**
 * Seeds the demo catalog and the admin (and the order history and pictures, when asked) into
 * the main table, when this run created it. What needs only the table comes first (or was
 * done `ahead`); then what runs with a function's environment: the pictures' uploads (and
 * their processing by the S3-triggered function) and the orders.
 */
export function seedDemo(
  options: DemoSeedOptions = {},
): (context: TablesCreatedContext) => Promise<DemoSeed | undefined> {
  return async ({ tables, dynamodb, environmentOfRoute }) => {
    const mainTable = tables[0];
    if (!mainTable?.created) return undefined;
    const ahead = await options.ahead;
    // After the seeding ahead is done: from here on the stores write through the backend's client.
    useSeedTable(dynamodb, mainTable.name);
    const { products, categories, admin, customers, pictures } = ahead ?? (await seedDemoTable(options));
    const seeded: DemoSeed = {
      products,
      categories,
      admin,
      ...(pictures ? { images: await seedImages(environmentOfRoute, pictures) } : {}),
    };
    let history: DemoSeed['history'];
    if (customers) {
      // This process places the demo orders through the orders store, which reads its settings
      // from the environment: it gets the environment the function serving POST /orders has.
      const environment = environmentOfRoute('POST /orders');
      if (!environment) throw new Error('No function serves POST /orders: the demo orders cannot be placed.');
      history = await seedOrderHistory(environment, customers);
    }
    // The seeding ran before the stream consumers start (at the stream's end), so the search
    // log never saw it: the first snapshot is built from the catalog now, as the schedule would.
    await compactIndex();
    return history ? { ...seeded, history } : seeded;
  };
}

/** Uploads the demo pictures with the environment of the function that presigns uploads. */
function seedImages(
  environmentOfRoute: TablesCreatedContext['environmentOfRoute'],
  pictures: readonly Buffer[],
): Promise<number> {
  const environment = environmentOfRoute('POST /products/{productId}/images');
  if (!environment) throw new Error('No function serves POST /products/{productId}/images: no demo images.');
  const newest = demoProducts()
    .map((product) => product.id)
    .reverse();
  return withEnvironment(environment, () => uploadDemoImages(newest, pictures));
}

/**
 * The account `GET /docs` fills its sign-in example with (`DOCS_SIGN_IN_EXAMPLE`, read by
 * functions/system/get-docs.ts): the demo customer Ada where demo customers are seeded, else
 * none. Never the admin: the page is public, and `HOST=0.0.0.0` shows it to the whole network.
 * Only the local runtime sets it: deployed environments have no seeded accounts.
 */
export function docsSignInEnvironment(seed: DemoSeedOptions): Record<string, string> {
  if (!seed.orderHistory) return {};
  const example = {
    account: 'the demo customer Ada',
    email: DEMO_SIGN_IN_EMAIL,
    password: DEMO_CUSTOMER_PASSWORD,
  };
  return { DOCS_SIGN_IN_EXAMPLE: JSON.stringify(example) };
}

/**
 * What every local backend of the shop is started with: its custom resources, the demo seeding,
 * and the variables that go with it. A caller that sets `environment` too merges this one in.
 */
export function shopBackendOptions(
  seed: DemoSeedOptions | false = {},
): Pick<LocalBackendOptions<DemoSeed | undefined>, 'customResources' | 'onTablesCreated' | 'environment'> {
  return {
    customResources: SHOP_CUSTOM_RESOURCES,
    ...(seed ? { onTablesCreated: seedDemo(seed), environment: docsSignInEnvironment(seed) } : {}),
  };
}
