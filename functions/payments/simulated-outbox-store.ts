import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, table, transactWrite } from '../core/db.ts';
import { Conflict, NotFound } from '../core/domain-errors.ts';
import { OUTBOX_PARTITION, outboxKey, simulatedChallengeKey } from './keys.ts';
import type { SimulatedChallenge } from './simulated.ts';

/*
 * The simulated payment provider's state (local and dev only): the outbox of webhook events it
 * delivers later (the complete-simulated-payments schedule sends those due), and the 3-D Secure
 * challenges waiting for the customer.
 */

/** Simulated items outlive any payment window; the table's TTL removes them after a week. */
const SIMULATED_ITEM_TTL_SECONDS = 7 * 24 * 3600;
const expiresAtEpoch = (from: Date) => Math.floor(from.getTime() / 1000) + SIMULATED_ITEM_TTL_SECONDS;

/** A challenge as the page shows it: awaiting the customer, or answered (`passed`, `failed`). */
export interface StoredChallenge extends SimulatedChallenge {
  readonly status: 'awaiting' | 'passed' | 'failed';
}

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
        expiresAtEpoch: expiresAtEpoch(dueAt),
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

/**
 * Keeps a 3-D Secure challenge until the customer answers it. The first one stays: a charge
 * re-sent with its key (same payment id) must not reopen a challenge already answered.
 */
export async function holdSimulatedChallenge(challenge: SimulatedChallenge): Promise<void> {
  const { client, tableName } = table();
  const { providerPaymentId, orderId, attempt, amount, currency, paymentMethod, returnUrl } = challenge;
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...simulatedChallengeKey(providerPaymentId),
          entity: 'simulated-challenge',
          ...{ providerPaymentId, orderId, attempt, amount, currency, paymentMethod, returnUrl },
          status: 'awaiting',
          expiresAtEpoch: expiresAtEpoch(new Date()),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

const challengeOf = (item: Record<string, unknown>): StoredChallenge => ({
  providerPaymentId: String(item.providerPaymentId),
  orderId: String(item.orderId),
  attempt: Number(item.attempt),
  amount: Number(item.amount),
  currency: String(item.currency),
  paymentMethod: String(item.paymentMethod),
  returnUrl: String(item.returnUrl),
  status: item.status === 'passed' || item.status === 'failed' ? item.status : 'awaiting',
});

/** A simulated payment's challenge, or undefined when the simulator holds none for it. */
export async function simulatedChallenge(providerPaymentId: string): Promise<StoredChallenge | undefined> {
  const { client, tableName } = table();
  const out = await client.send(
    new GetCommand({
      TableName: tableName,
      Key: simulatedChallengeKey(providerPaymentId),
      ConsistentRead: true,
    }),
  );
  return out.Item ? challengeOf(out.Item) : undefined;
}

/**
 * Answers a challenge: in one transaction its status moves from `awaiting` and the event
 * `outcomeEvent` builds joins the outbox, due now (a real provider, too, sends it whatever
 * happens to the customer's browser). Returns the answered challenge and the outbox entry; the
 * same answer again (a double click, a resubmitted form) changes nothing and has no entry;
 * NotFound for no challenge, Conflict for the other answer given already.
 */
export async function answerSimulatedChallenge(
  providerPaymentId: string,
  passed: boolean,
  outcomeEvent: (challenge: SimulatedChallenge) => string,
): Promise<{ challenge: StoredChallenge; outbox?: { sk: string; body: string } }> {
  const status = passed ? 'passed' : 'failed';
  const challenge = await simulatedChallenge(providerPaymentId);
  if (!challenge) throw new NotFound(`No simulated 3-D Secure challenge for payment ${providerPaymentId}.`);
  if (challenge.status === status) return { challenge };
  if (challenge.status !== 'awaiting')
    throw new Conflict(`The challenge was already answered (${challenge.status}).`);
  const { tableName } = table();
  const now = new Date();
  const key = outboxKey(now.toISOString(), providerPaymentId);
  const body = outcomeEvent(challenge);
  try {
    await transactWrite({
      TransactItems: [
        {
          Update: {
            TableName: tableName,
            Key: simulatedChallengeKey(providerPaymentId),
            UpdateExpression: 'SET #status = :answer',
            ConditionExpression: '#status = :awaiting',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':answer': status, ':awaiting': 'awaiting' },
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: { ...key, entity: 'simulated-event', body, expiresAtEpoch: expiresAtEpoch(now) },
          },
        },
      ],
    });
  } catch (error) {
    if (!isConditionFailure(error, 0)) throw error;
    // Answered meanwhile: the same answer is this one's, the other a conflict.
    const raced = await simulatedChallenge(providerPaymentId);
    if (raced?.status === status) return { challenge: raced };
    throw new Conflict('The challenge was answered the other way meanwhile.');
  }
  return { challenge: { ...challenge, status }, outbox: { sk: key.sk, body } };
}
