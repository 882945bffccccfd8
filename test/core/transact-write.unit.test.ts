import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { transactWrite, updateItem, useTable } from '../../functions/core/db.ts';
import { ConcurrentUpdate } from '../../functions/core/domain-errors.ts';
import { asHttpError } from '../../functions/core/http.ts';

/**
 * DynamoDB Local serializes transactions, so it never answers TransactionConflict; these
 * tests hand transactWrite a client that answers as DynamoDB does under contention.
 */
function cancelled(...codes: string[]): Error {
  return Object.assign(new Error('Transaction cancelled'), {
    name: 'TransactionCanceledException',
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

function clientAnswering(answers: (Error | 'ok')[]): { calls: () => number } {
  let calls = 0;
  const client = {
    send: async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return {};
    },
  };
  useTable(client as unknown as DynamoDBDocumentClient, 'unit-table');
  return { calls: () => calls };
}

const input = { TransactItems: [] };

describe('transactWrite', () => {
  it('retries a transaction cancelled only by a TransactionConflict until it goes through', async () => {
    const client = clientAnswering([
      cancelled('None', 'TransactionConflict'),
      cancelled('TransactionConflict'),
      'ok',
    ]);
    await expect(transactWrite(input)).resolves.toEqual({});
    expect(client.calls()).toBe(3);
  });

  it('never retries a condition failure, even beside a conflict: the caller interprets it', async () => {
    const failure = cancelled('ConditionalCheckFailed', 'TransactionConflict');
    const client = clientAnswering([failure, 'ok']);
    await expect(transactWrite(input)).rejects.toBe(failure);
    expect(client.calls()).toBe(1);
  });

  it('answers a conflict that outlasts the retries with a 409 the client may repeat', async () => {
    const client = clientAnswering([cancelled('TransactionConflict')]);
    const error = await transactWrite(input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrentUpdate);
    expect(asHttpError(error).statusCode).toBe(409);
    expect(asHttpError(error).expose).toBe(true);
    expect(client.calls()).toBe(5);
  });

  it('passes other errors through untouched', async () => {
    const throttled = Object.assign(new Error('slow down'), {
      name: 'ProvisionedThroughputExceededException',
    });
    const client = clientAnswering([throttled]);
    await expect(transactWrite(input)).rejects.toBe(throttled);
    expect(client.calls()).toBe(1);
  });

  it('retries a single-item update that collided with a transaction (TransactionConflictException)', async () => {
    const conflict = Object.assign(new Error('conflict'), { name: 'TransactionConflictException' });
    const client = clientAnswering([conflict, 'ok']);
    await expect(updateItem({ TableName: 'unit-table', Key: { pk: 'a', sk: 'b' } })).resolves.toEqual({});
    expect(client.calls()).toBe(2);
  });
});
