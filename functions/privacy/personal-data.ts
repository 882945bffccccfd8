/*
 * Export and erasure of a user's data, composing every domain's personal-data part. It sits
 * above the domains (functions/privacy/), since it imports all of them and none may import it:
 * inside accounts it made accounts import messages, orders, realtime and recommendations, which
 * import accounts (its erasure fence).
 */
import { beginErasure } from '../accounts/erasure-fence.ts';
import { eraseAccountData, exportAccountData } from '../accounts/personal-data-store.ts';
import { forgetIdempotencyRecordsOf, idempotencyRecordsOf } from '../core/idempotency.ts';
import { eraseMessagesOf, exportMessagesOf } from '../messages/personal-data-store.ts';
import { allOrdersOfUser, anonymizeOrdersOfUser } from '../orders/personal-data-store.ts';
import { connectionsOf, eraseConnections } from '../realtime/store.ts';
import { erasePurchaseSummary, purchaseSummaryOf } from '../recommendations/store.ts';

/** One domain's share of a user's personal data. */
export interface PersonalDataPart {
  readonly name: string;
  export(userId: string): Promise<unknown>;
  erase(userId: string): Promise<void>;
}

/**
 * THE list of places that hold a user's data. Account erasure and export walk it, so a
 * domain that stores personal data (orders, messages...) adds its part here and both
 * features cover it. Accounts goes last: its items are what identify the user.
 */
export const PERSONAL_DATA_PARTS: readonly PersonalDataPart[] = [
  // Orders stay as financial records; erasure unlinks them from the person.
  { name: 'orders', export: allOrdersOfUser, erase: anonymizeOrdersOfUser },
  // The Idempotency-Keys the user sent (kept 48 h to answer retries).
  { name: 'idempotencyKeys', export: idempotencyRecordsOf, erase: forgetIdempotencyRecordsOf },
  // Conversations and messages: erasure keeps the other participant's messages, turns the
  // user's into '[deleted]' without an author, and removes memberships, blocks and rate counters.
  { name: 'messages', export: exportMessagesOf, erase: eraseMessagesOf },
  // Open WebSocket connections (id and time only). Erasure deletes the items, and the
  // close-connections consumer closes their sockets (@connections DELETE).
  { name: 'connections', export: connectionsOf, erase: eraseConnections },
  // What recommendations learned from the user's purchases: units per category and the recent
  // products. The global counters (bought together, best sellers) hold no personal data.
  { name: 'recommendations', export: purchaseSummaryOf, erase: erasePurchaseSummary },
  { name: 'account', export: exportAccountData, erase: eraseAccountData },
];

export async function exportPersonalData(userId: string): Promise<Record<string, unknown>> {
  const data: Record<string, unknown> = { exportedAt: new Date().toISOString(), userId };
  for (const part of PERSONAL_DATA_PARTS) data[part.name] = await part.export(userId);
  return data;
}

/**
 * Erases a user's data. It first marks the account as being erased: every domain's writes about
 * the user check the mark in their own transactions (`profileExists`), so once it is set nothing
 * new appears, and each part then finds what was written before with strongly consistent reads
 * of partitions the user owns. Without the mark, an order or a conversation committed while the
 * parts run would be missed (docs/access-patterns.md, "Erasure").
 */
export async function erasePersonalData(userId: string): Promise<void> {
  await beginErasure(userId);
  for (const part of PERSONAL_DATA_PARTS) await part.erase(userId);
}
