import WebSocket from 'ws';
import { type LoadOptions, type LoadProduct, type LoadTarget, PASSWORD, type User } from './model.ts';
import type { Recorder } from './stats.ts';

/** The URL of an API path on the target. */
export type Api = (path: string) => string;

const SETUP_CONCURRENCY = 2;

/** `run` over every item, at most `size` at a time; results in the items' order. */
async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map(run))));
  }
  return results;
}

async function signInAdmin(checks: Recorder, api: Api, target: LoadTarget): Promise<string> {
  const res = await checks.send('setup', api('/auth/login'), {
    method: 'POST',
    body: { email: target.admin.email, password: target.admin.password },
  });
  const token = String(res.body.accessToken ?? '');
  if (!token) throw new Error(`The admin could not sign in (${res.status}).`);
  return token;
}

/** Products with a small stock, created by the admin. */
async function createProducts(
  checks: Recorder,
  api: Api,
  target: LoadTarget,
  options: LoadOptions,
  runId: string,
): Promise<LoadProduct[]> {
  const adminToken = await signInAdmin(checks, api, target);
  const products: LoadProduct[] = [];
  for (let i = 0; i < options.products; i++) {
    const res = await checks.send('setup', api('/products'), {
      method: 'POST',
      token: adminToken,
      body: {
        name: `Load product ${runId} ${i}`,
        description: 'Created by npm run load.',
        category: 'home',
        price: 500 + i * 10,
        currency: 'EUR',
        stock: options.stockPerProduct,
      },
    });
    if (res.status !== 201) throw new Error(`Creating a product answered ${res.status}.`);
    products.push({ id: String(res.body.id), initialStock: options.stockPerProduct });
  }
  return products;
}

/** Registers `count` customers `<prefix>-<i>-<runId>@load.local`; their ids, addresses and tokens. */
export async function registerCustomers(
  checks: Recorder,
  api: Api,
  prefix: string,
  count: number,
  runId: string,
): Promise<{ id: string; email: string; token: string }[]> {
  // Setup goes a few at a time: a dozen cold scrypt hashes at once (128 MiB each) is a burst of
  // cold starts the load is not about, and on a busy laptop it outlasts the function timeout.
  const answers = await inBatches(
    Array.from({ length: count }, (_, i) => `${prefix}-${i}`),
    SETUP_CONCURRENCY,
    (label) =>
      checks.send('setup', api('/auth/register'), {
        method: 'POST',
        body: { email: `${label}-${runId}@load.local`, password: PASSWORD, displayName: label },
      }),
  );
  return answers.map((res) => {
    if (res.status !== 201) throw new Error(`Registering a load user answered ${res.status}.`);
    const user = res.body.user as { id: string; email: string };
    return { id: user.id, email: user.email, token: String(res.body.accessToken) };
  });
}

/** A ring: each user talks with the next one (two conversations each). */
async function startConversations(checks: Recorder, api: Api, users: readonly User[]): Promise<void> {
  for (const [i, user] of users.entries()) {
    const other = users[(i + 1) % users.length] as User;
    const res = await checks.send('setup', api('/conversations'), {
      method: 'POST',
      token: user.token,
      body: { participantId: other.id },
    });
    if (res.status !== 201 && res.status !== 200)
      throw new Error(`Starting a conversation answered ${res.status}.`);
    user.conversations.push({ id: String(res.body.id), otherId: other.id });
    other.conversations.push({ id: String(res.body.id), otherId: user.id });
  }
}

/** The users' open sockets and what they saw: message ids delivered per user, closes nobody asked for. */
export interface Sockets {
  readonly delivered: Map<string, Set<string>>;
  readonly unexpectedCloses: string[];
  /** Closes every socket (closes from now on are expected). */
  close(): Promise<void>;
}

async function openSockets(target: LoadTarget, users: readonly User[]): Promise<Sockets> {
  const delivered = new Map<string, Set<string>>(users.map((user) => [user.id, new Set()]));
  const unexpectedCloses: string[] = [];
  let stopping = false;
  const sockets = await inBatches(
    users,
    SETUP_CONCURRENCY,
    (user) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(target.webSocketUrl, ['shop.v1', user.token]);
        ws.on('message', (data) => {
          try {
            const frame = JSON.parse(data.toString()) as { type?: string; message?: { id?: string } };
            if (frame.type === 'message' && frame.message?.id) delivered.get(user.id)?.add(frame.message.id);
          } catch {}
        });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
        ws.on('close', (code) => {
          if (!stopping) unexpectedCloses.push(`${user.email} closed with ${code}`);
        });
      }),
  );
  const close = async () => {
    stopping = true;
    await Promise.all(
      sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once('close', () => resolve());
            ws.close();
          }),
      ),
    );
  };
  return { delivered, unexpectedCloses, close };
}

/** What the load starts from: its products, its virtual users and their sockets. */
export interface LoadSetup {
  readonly products: LoadProduct[];
  readonly users: User[];
  readonly sockets: Sockets;
}

/** Setup: products with a small stock, customers, their conversations and sockets. */
export async function setUp(
  target: LoadTarget,
  options: LoadOptions,
  checks: Recorder,
  api: Api,
  runId: string,
): Promise<LoadSetup> {
  const products = await createProducts(checks, api, target, options, runId);
  const users: User[] = (await registerCustomers(checks, api, 'load-user', options.users, runId)).map(
    (customer) => ({
      ...customer,
      conversations: [],
      payable: [],
      cancellable: [],
      sentInMinute: { minute: 0, count: 0 },
    }),
  );
  await startConversations(checks, api, users);
  const sockets = await openSockets(target, users);
  return { products, users, sockets };
}
