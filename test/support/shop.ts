import { afterAll, beforeAll } from 'vitest';
import type { ShopBackend } from '../../lib/demo/backend-hooks.ts';
import { accountsApi, type Session } from './accounts-api.ts';
import { sharedTestBackend, startTestBackend } from './local-api.ts';
import { messagesApi } from './messages-api.ts';
import { adminSession, ordersApi } from './orders-api.ts';

/** A test backend and the API clients of its URL. */
export interface Shop {
  readonly backend: ShopBackend;
  /** The HTTP API's base URL. */
  readonly api: string;
  readonly accounts: ReturnType<typeof accountsApi>;
  readonly orders: ReturnType<typeof ordersApi>;
  readonly messages: ReturnType<typeof messagesApi>;
  /** The seeded admin signed in, and a new customer for each label, all at once. */
  adminAnd<L extends string[]>(...labels: L): Promise<[Session, ...{ [K in keyof L]: NewCustomer }]>;
}

type NewCustomer = Awaited<ReturnType<ReturnType<typeof accountsApi>['newCustomer']>>;

export interface ShopOptions {
  /**
   * Variables on every function: the backend is then the describe's own. Without them, the
   * describe shares its worker's backend (sharedTestBackend), unless `own` is set.
   */
  readonly environment?: Record<string, string>;
  /** A backend of its own even in the default environment: for counts over the whole table. */
  readonly own?: boolean;
  /** Receives every line the backend logs (a backend of its own only). */
  readonly log?: (line: string) => void;
}

/**
 * The backend the tests of the describe it is called in run against, with its API clients:
 * ready from the describe's `beforeAll` on (read its fields inside hooks and tests), stopped
 * after its tests (a shared one keeps running; its log since is scanned for secrets). Its
 * hooks run before the describe's own `beforeAll` and after its own `afterAll`.
 */
export function useShop(options: ShopOptions = {}): Shop {
  const shop = {} as { -readonly [K in keyof Shop]: Shop[K] };
  const own = options.own || options.environment !== undefined || options.log !== undefined;
  beforeAll(async () => {
    const backend = own
      ? await startTestBackend(options.environment, options.log ? { log: options.log } : {})
      : await sharedTestBackend();
    const api = backend.url;
    const accounts = accountsApi(api);
    Object.assign(shop, {
      backend,
      api,
      accounts,
      orders: ordersApi(api),
      messages: messagesApi(api),
      adminAnd: (...labels: string[]) =>
        Promise.all([
          adminSession(backend),
          ...labels.map((label) => accounts.newCustomer(label)),
        ]) as Promise<[Session, ...NewCustomer[]]>,
    });
  });
  afterAll(async () => {
    await shop.backend?.stop();
  });
  return shop;
}
