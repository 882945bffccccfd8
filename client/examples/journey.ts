/**
 * A customer's whole journey through the typed client: register, browse, order, pay with a test
 * card that needs 3-D Secure (and pass the challenge), and message another user who reads it.
 * Against `npm start`:
 *
 *   npm run journey -w client                         # http://localhost:3000
 *   npm run journey -w client -- https://api.example.com
 *
 * Payments use the simulated provider's test cards (local and dev environments).
 */
import { randomUUID } from 'node:crypto';
import { createShopClient, type Order, type ShopClient } from '../src/index.ts';

export interface JourneyResult {
  readonly buyerId: string;
  readonly order: Order;
  readonly conversationId: string;
  readonly messageId: string;
  readonly friendUnreadAfterReading: number;
}

/** Fails with the problem's detail when a call did not succeed. */
function ok<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (result.data === undefined) {
    throw new Error(`${what} failed with ${result.response.status}: ${JSON.stringify(result.error)}`);
  }
  return result.data;
}

async function registered(client: ShopClient, name: string): Promise<string> {
  const email = `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@example.com`;
  const session = ok(
    await client.api.POST('/auth/register', {
      body: { email, password: 'correct horse battery staple', displayName: name },
    }),
    'register',
  );
  client.useSession(session);
  return session.user.id;
}

/** Runs the journey against the API at `baseUrl`; `log` narrates it. */
export async function runJourney(
  baseUrl: string,
  log: (line: string) => void = console.log,
): Promise<JourneyResult> {
  const buyer = createShopClient({ baseUrl });
  const friend = createShopClient({ baseUrl });

  const buyerId = await registered(buyer, 'Ada');
  const friendId = await registered(friend, 'Grace');
  log(`registered Ada (${buyerId}) and Grace (${friendId})`);

  const page = ok(await buyer.api.GET('/products', { params: { query: { limit: 10 } } }), 'browse');
  const pick = page.items.find((product) => product.stock > 0);
  if (!pick) throw new Error('No product in stock: seed the catalog (npm start -- --reset).');
  const product = ok(
    await buyer.api.GET('/products/{productId}', { params: { path: { productId: pick.id } } }),
    'product',
  );
  log(
    `browsed ${page.items.length} products; picked "${product.name}" at ${product.price} ${product.currency}`,
  );

  const placed = ok(
    await buyer.api.POST('/orders', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: { items: [{ productId: product.id, quantity: 1 }] },
    }),
    'order',
  );
  log(`ordered: ${placed.id}, ${placed.total} ${placed.currency}, ${placed.status}`);

  const paymentMethod = 'pm_card_threeDSecure2Required';
  let order = ok(
    await buyer.api.POST('/orders/{orderId}/payments', {
      params: { path: { orderId: placed.id }, header: { 'Idempotency-Key': randomUUID() } },
      body: { paymentMethod },
    }),
    'pay',
  );
  const challenge = order.payment?.status === 'requires_action' ? order.payment.nextAction : undefined;
  if (challenge) {
    // An app opens this URL in a browser (or hands payment.clientSecret to Stripe.js); the
    // simulated provider's page passes the challenge on a POST, as its button does.
    log(`3-D Secure: authenticating at ${challenge.redirectToUrl.url}`);
    const answered = await fetch(challenge.redirectToUrl.url, { method: 'POST' });
    await answered.text();
    if (!answered.ok) throw new Error(`The 3-D Secure challenge answered ${answered.status}.`);
  }
  // The provider confirms through its webhook; the order is paid once that arrived.
  for (let wait = 0; order.status !== 'paid' && wait < 40; wait++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    order = ok(
      await buyer.api.GET('/orders/{orderId}', { params: { path: { orderId: placed.id } } }),
      'order',
    );
  }
  if (order.status !== 'paid') throw new Error(`The order is ${order.status}, not paid.`);
  log(`paid with ${paymentMethod}: order ${order.id} is ${order.status}`);

  const conversation = ok(
    await buyer.api.POST('/conversations', {
      body: { participantId: friendId, subject: 'Look what I bought' },
    }),
    'start conversation',
  );
  const message = ok(
    await buyer.api.POST('/conversations/{conversationId}/messages', {
      params: { path: { conversationId: conversation.id } },
      body: { body: `I just bought "${product.name}"!`, clientMessageId: randomUUID() },
    }),
    'send',
  );
  log(`Ada wrote to Grace: "${message.body}"`);

  const inbox = ok(await friend.api.GET('/conversations', { params: { query: { limit: 10 } } }), 'inbox');
  const row = inbox.items.find((item) => item.id === conversation.id);
  log(`Grace's inbox: ${row?.unreadCount ?? 0} unread from ${row?.other.displayName ?? '?'}`);
  const read = ok(
    await friend.api.POST('/conversations/{conversationId}/read', {
      params: { path: { conversationId: conversation.id } },
      body: { upTo: message.id },
    }),
    'mark read',
  );
  log(`Grace read it; unread now ${read.unreadCount}`);

  return {
    buyerId,
    order,
    conversationId: conversation.id,
    messageId: message.id,
    friendUnreadAfterReading: read.unreadCount,
  };
}

if (import.meta.main) {
  const baseUrl = process.argv[2] ?? process.env.SHOP_API_URL ?? 'http://localhost:3000';
  runJourney(baseUrl).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
