import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { table } from '../core/db.ts';
import { OUTBOX_PARTITION, outboxKey } from './keys.ts';

/*
 * The simulated payment provider's outbox: the webhook events it delivers later (local and dev
 * only; the complete-simulated-payments schedule sends those due).
 */

/**
 * Queues an event the simulated provider will deliver later (a payment that "settles"
 * after a while, like a bank transfer or 3-D Secure in Stripe's test mode).
 */
export async function queueSimulatedEvent(
  dueAt: Date,
  providerPaymentId: string,
  body: string,
): Promise<void> {
  const { client, tableName } = table();
  await client.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...outboxKey(dueAt.toISOString(), providerPaymentId),
        entity: 'simulated-event',
        body,
        expiresAtEpoch: Math.floor(dueAt.getTime() / 1000) + 7 * 24 * 3600,
      },
    }),
  );
}

/** Queued events due by `now`, oldest first: one Query on the outbox partition. */
export async function dueSimulatedEvents(now: Date, limit = 50): Promise<{ sk: string; body: string }[]> {
  const { client, tableName } = table();
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND sk <= :now',
      ExpressionAttributeValues: { ':pk': OUTBOX_PARTITION, ':now': `${now.toISOString()}#~` },
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map((item) => ({ sk: String(item.sk), body: String(item.body) }));
}

export async function removeSimulatedEvent(sk: string): Promise<void> {
  const { client, tableName } = table();
  await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: OUTBOX_PARTITION, sk } }));
}
