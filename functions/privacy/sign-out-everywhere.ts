import { revokeAllSessions } from '../accounts/sessions-store.ts';
import { eraseConnections } from '../realtime/store.ts';

/**
 * Signs a user out everywhere, in every domain that keeps something open for them: every
 * session (accounts) and every WebSocket connection (realtime; the close-connections consumer
 * closes the sockets of the deleted items). What a password change does. It composes accounts
 * and realtime, which itself depends on accounts (the erasure fence), so it lives above both,
 * with the other cross-domain operations on one user's data.
 */
export async function signOutEverywhere(userId: string): Promise<void> {
  await revokeAllSessions(userId);
  await eraseConnections(userId);
}
