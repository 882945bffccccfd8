import { unsubscribeBody, unsubscribeQuery } from '../../../functions/notifications/model.ts';
import type { RouteDefinition } from '../routes.ts';
import { tooLarge } from './responses.ts';

/** What the shop’s emails link back to. Part of THE route table (lib/api/routes.ts). */
export const NOTIFICATIONS_ROUTES: readonly RouteDefinition[] = [
  {
    method: 'POST',
    path: '/email/unsubscribe',
    id: 'NotificationsUnsubscribe',
    entry: 'functions/notifications/unsubscribe.ts',
    summary: 'One-click unsubscribe from non-essential email (RFC 8058; the link in List-Unsubscribe)',
    tag: 'notifications',
    stack: 'accounts',
    auth: 'public',
    table: 'readwrite',
    secrets: ['cursor'],
    request: { query: unsubscribeQuery, body: unsubscribeBody, rawBody: true },
    responses: {
      204: { description: 'Unsubscribed (or already).' },
      400: {
        description: 'Invalid or expired token, or not a one-click body.',
        problems: ['bad-request', 'validation-error'],
      },
      413: tooLarge,
    },
  },
];
