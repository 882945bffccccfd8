import { ACCOUNT_EMAIL_ENTITY } from '../../functions/accounts/account-emails.ts';
import { PRODUCT_ENTITY } from '../../functions/catalog/keys.ts';
import { ORDER_ENTITY } from '../../functions/orders/model.ts';
import { CONNECTION_ENTITY } from '../../functions/realtime/model.ts';
import type { SecretName, TableAccess } from './routes.ts';

/**
 * A function fed by the table's stream through an event source mapping. Every consumer gets
 * partial batch responses, bisect on error, a bounded number of retries and an SQS
 * dead-letter queue (with an alarm on its depth); `filters` keep records it does not want from
 * ever invoking it (Lambda event filtering: several patterns are OR'd).
 */
export interface StreamConsumerDefinition {
  /** The function's stable id (see `RouteDefinition.id`). */
  readonly id: string;
  readonly entry: string;
  readonly description: string;
  /** `none`: the consumer needs only the records (it still reads the stream, nothing else). */
  readonly table: TableAccess;
  /** Lambda filter patterns over the stream record (`eventName`, `dynamodb.NewImage...`). */
  readonly filters: readonly Record<string, unknown>[];
  readonly batchSize: number;
  /** Retries of a failed batch before its records go to the dead-letter queue. */
  readonly retryAttempts: number;
  /** Records older than this are not worth delivering any more; they go to the dead-letter queue. */
  readonly maxRecordAgeSeconds: number;
  /**
   * What the consumer does to WebSocket connections: `POST` frames to them, or `DELETE` (close)
   * them. It gets the API's endpoint and `execute-api:ManageConnections` for that method alone,
   * on its stage's `@connections`.
   */
  readonly webSocket?: 'POST' | 'DELETE';
  /** Secrets it reads (granted and passed as ARNs, like a route's). */
  readonly secrets?: readonly SecretName[];
  /**
   * It sends email: it gets the environment's SES identity and configuration set
   * (`EMAIL_FROM`, `EMAIL_CONFIGURATION_SET`), `ses:SendEmail` on that identity alone, and
   * the unsubscribe URL of the HTTP API.
   */
  readonly sendsEmail?: boolean;
}

/** An item of one entity (every item carries `entity`) changed in a given way. */
const entityChange = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', entity: string) => ({
  eventName: [eventName],
  dynamodb: { NewImage: { entity: { S: [entity] } } },
});

/** An order whose status changed to `to` from a status matching `from` (a Lambda filter leaf). */
const orderTransition = (to: string, from: unknown) => ({
  eventName: ['MODIFY'],
  dynamodb: {
    NewImage: { entity: { S: [ORDER_ENTITY] }, status: { S: [to] } },
    OldImage: { status: { S: [from] } },
  },
});

/** THE list of stream consumers; CDK creates each with its mapping, the local runtime runs them. */
export const STREAM_CONSUMERS: readonly StreamConsumerDefinition[] = [
  {
    id: 'RealtimeDeliverMessages',
    entry: 'functions/realtime/deliver-messages.ts',
    description: 'Push new messages and read receipts to the participants’ open WebSocket connections',
    table: 'readwrite',
    filters: [entityChange('INSERT', 'message'), entityChange('MODIFY', 'membership')],
    batchSize: 100,
    retryAttempts: 3,
    // A message pushed an hour late is noise: the app has long fetched it over HTTP.
    maxRecordAgeSeconds: 3600,
    webSocket: 'POST',
  },
  {
    id: 'RealtimeCloseConnections',
    entry: 'functions/realtime/close-connections.ts',
    description:
      'Close the socket of every deleted connection item (over the per-user cap, password change, erasure)',
    table: 'none',
    // Only a connection item's removal; every other change never invokes it.
    filters: [{ eventName: ['REMOVE'], dynamodb: { OldImage: { entity: { S: [CONNECTION_ENTITY] } } } }],
    batchSize: 100,
    retryAttempts: 3,
    // API Gateway closes any socket after 2 hours; past that there is nothing left to close.
    maxRecordAgeSeconds: 2 * 3600,
    webSocket: 'DELETE',
  },
  {
    id: 'MessagesSyncProfiles',
    entry: 'functions/messages/sync-profiles.ts',
    description: 'Refresh the profile snapshots in conversation memberships when a profile changes',
    table: 'readwrite',
    filters: [entityChange('MODIFY', 'profile')],
    batchSize: 100,
    retryAttempts: 5,
    maxRecordAgeSeconds: 24 * 3600,
  },
  {
    id: 'RecommendationsUpdateAggregates',
    entry: 'functions/recommendations/update-aggregates.ts',
    description: 'Keep recommendation aggregates (bought together, best sellers, purchases) from paid orders',
    table: 'readwrite',
    // Paid (from any other status), and cancelled after being paid, which takes the counts back.
    // Other order changes (history entries, refunds, shipping) never invoke it.
    filters: [orderTransition('paid', { 'anything-but': ['paid'] }), orderTransition('cancelled', 'paid')],
    // A paid order costs 4 requests; 50 of them stay far within the 60 s timeout.
    batchSize: 50,
    retryAttempts: 5,
    // Aggregates still want a late order (the counts and markers are idempotent).
    maxRecordAgeSeconds: 24 * 3600,
  },
  {
    id: 'SearchIndexProducts',
    entry: 'functions/search/index-products.ts',
    description:
      'Log every product change search can see to the search change log (read by search within a second)',
    table: 'readwrite',
    filters: [
      entityChange('INSERT', PRODUCT_ENTITY),
      entityChange('MODIFY', PRODUCT_ENTITY),
      { eventName: ['REMOVE'], dynamodb: { OldImage: { entity: { S: [PRODUCT_ENTITY] } } } },
    ],
    // One PutItem per record (~10 ms): 100 stay far within the timeout.
    batchSize: 100,
    retryAttempts: 5,
    // A late change is still a change: the log applies it by sequence number, never over a newer one.
    maxRecordAgeSeconds: 24 * 3600,
  },
  {
    id: 'NotificationsSendEmails',
    entry: 'functions/notifications/send-emails.ts',
    description: 'Send the account emails (codes, notices) and the order emails, each once',
    table: 'readwrite',
    secrets: ['cursor'],
    sendsEmail: true,
    filters: [
      entityChange('INSERT', ACCOUNT_EMAIL_ENTITY),
      entityChange('INSERT', ORDER_ENTITY),
      ...['paid', 'shipped', 'delivered', 'cancelled'].map((status) =>
        orderTransition(status, { 'anything-but': [status] }),
      ),
      {
        eventName: ['MODIFY'],
        dynamodb: {
          NewImage: {
            entity: { S: [ORDER_ENTITY] },
            payment: { M: { refund: { M: { status: { S: ['succeeded'] } } } } },
          },
        },
      },
    ],
    // Each record costs a few reads, a marker and one SES call (~50-100 ms): 25 stay well within a minute.
    batchSize: 25,
    retryAttempts: 5,
    // A code is valid 15 minutes; an order email a day late still tells the customer something.
    maxRecordAgeSeconds: 24 * 3600,
  },
];
