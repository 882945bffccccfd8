import { openAccountEmail } from '../accounts/account-emails.ts';
import { getPreferences } from '../accounts/preferences-store.ts';
import { getAccount } from '../accounts/profile-store.ts';
import type { StreamChange } from '../core/stream.ts';
import { ORDER_ENTITY, type Order } from '../orders/model.ts';
import { orderFromStreamImage } from '../orders/store.ts';
import type { EmailKind, Language } from './strings.ts';
import { languageOf } from './strings.ts';
import type { EmailContent } from './templates.ts';

/** An email to send, and the event it answers (its key makes the send happen once). */
export interface Outgoing {
  readonly eventKey: string;
  readonly to: string;
  readonly userId: string;
  /** Essential mail (account security, order receipts) always goes; other mail honours the preferences. */
  readonly essential: boolean;
  readonly kind: EmailKind;
  readonly code?: string;
  /** The order an order email is about (its lines and totals are shown in the reader's money format). */
  readonly order?: Order;
}

const ORDER_STATUS_EMAILS: Readonly<Record<string, EmailKind>> = {
  paid: 'order-paid',
  shipped: 'order-shipped',
  delivered: 'order-delivered',
  cancelled: 'order-cancelled',
};

/** Which order email a change of an order item calls for, if any. */
function orderEmailKind(change: StreamChange, order: Order): EmailKind | undefined {
  if (change.eventName === 'INSERT') return order.status === 'pending_payment' ? 'order-placed' : undefined;
  if (change.eventName !== 'MODIFY') return undefined;
  const before = change.oldImage as
    | { status?: string; payment?: { refund?: { status?: string } } }
    | undefined;
  if (before?.status !== order.status && ORDER_STATUS_EMAILS[order.status])
    return ORDER_STATUS_EMAILS[order.status];
  if (order.payment?.refund?.status === 'succeeded' && before?.payment?.refund?.status !== 'succeeded') {
    return 'order-refunded';
  }
  return undefined;
}

/** Minor units as the reader's money (`€12.50`, `12,50 €`). */
export const money = (minor: number, currency: string, language: Language): string =>
  new Intl.NumberFormat(language, { style: 'currency', currency }).format(minor / 100);

/** The order email a change calls for, or undefined (another change, or the customer is gone). */
async function orderEmail(change: StreamChange): Promise<Outgoing | undefined> {
  const order = change.newImage ? orderFromStreamImage(change.newImage) : undefined;
  const kind = order && orderEmailKind(change, order);
  if (!order || !kind || !order.userId) return undefined;
  const account = await getAccount(order.userId);
  if (!account) return undefined;
  return {
    // One email per order and kind, however often (or in whatever shape) the change is delivered.
    eventKey: `order#${order.id}#${kind}`,
    to: account.email,
    userId: account.id,
    essential: true,
    kind,
    order,
  };
}

/** What the email says, in the reader's language: the order's lines and totals in their money format. */
export function contentOf(outgoing: Outgoing, language: Language): EmailContent {
  const { order, kind } = outgoing;
  if (!order) return { kind, language, ...(outgoing.code ? { code: outgoing.code } : {}) };
  const format = (minor: number) => money(minor, order.currency, language);
  const refunded = order.payment?.refund?.amount ?? order.total;
  const showLines = kind === 'order-placed' || kind === 'order-paid';
  return {
    kind,
    language,
    values: { orderId: order.id, amount: format(refunded) },
    ...(showLines
      ? {
          order: {
            lines: order.items.map((line) => ({
              name: line.name,
              quantity: line.quantity,
              amount: format(line.lineTotal),
            })),
            total: format(order.total),
          },
        }
      : {}),
  };
}

/** The email a stream change calls for, if any: an account email (outbox item) or an order email. */
export async function outgoingOf(change: StreamChange): Promise<Outgoing | undefined> {
  if (change.eventName === 'INSERT' && change.newImage?.entity !== ORDER_ENTITY) {
    const mail = change.newImage ? await openAccountEmail(change.newImage) : undefined;
    if (!mail) return undefined;
    return {
      eventKey: `account-email#${mail.id}`,
      to: mail.to,
      userId: mail.userId,
      essential: true,
      kind: mail.kind,
      ...(mail.code ? { code: mail.code } : {}),
    };
  }
  return orderEmail(change);
}

/** The reader's language and whether they take non-essential mail, from their preferences. */
export async function readerOf(userId: string): Promise<{ language: Language; marketingEmails: boolean }> {
  const { preferences } = await getPreferences(userId);
  return { language: languageOf(preferences.language), marketingEmails: preferences.marketingEmails };
}
