import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { transactWrite, useTable } from '../../functions/core/db.ts';
import { ConcurrentUpdate } from '../../functions/core/domain-errors.ts';
import { asHttpError } from '../../functions/core/http.ts';
import {
  createConversationBody,
  listConversationsQuery,
  listMessagesQuery,
  previewOf,
  sendMessageBody,
} from '../../functions/messages/model.ts';

const ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

describe('messages model', () => {
  it('previews the first 140 characters, never cutting an emoji in half', () => {
    const body = `${'a'.repeat(139)}😀😀 tail`;
    const preview = previewOf({ id: ID, senderId: 'u', body, createdAt: 't' });
    expect(preview).toEqual({ id: ID, senderId: 'u', body: `${'a'.repeat(139)}😀`, createdAt: 't' });
    expect(previewOf({ id: ID, senderId: null, body: 'short', createdAt: 't' }).body).toBe('short');
  });

  it('trims a subject and takes 1 to 120 characters', () => {
    expect(createConversationBody.parse({ participantId: ID, subject: '  Hi  ' }).subject).toBe('Hi');
    expect(createConversationBody.safeParse({ participantId: ID, subject: '   ' }).success).toBe(false);
    expect(createConversationBody.safeParse({ participantId: ID, subject: 'x'.repeat(121) }).success).toBe(
      false,
    );
  });

  it.each([
    ['a body of 4000 characters', { body: 'x'.repeat(4000) }, true],
    ['a body of 4001 characters', { body: 'x'.repeat(4001) }, false],
    ['a body of whitespace only', { body: ' \n ' }, false],
    ['an empty body', { body: '' }, false],
    [
      'a clientMessageId of 64 allowed characters',
      { body: 'hi', clientMessageId: `aZ0._:-${'x'.repeat(57)}` },
      true,
    ],
    ['a clientMessageId of 65 characters', { body: 'hi', clientMessageId: 'x'.repeat(65) }, false],
    ['a clientMessageId with a slash', { body: 'hi', clientMessageId: 'a/b' }, false],
  ])('decides on %s', (_label, body, valid) => {
    expect(sendMessageBody.safeParse(body).success).toBe(valid);
  });

  it('reports an empty body once, and whitespace as its own problem', () => {
    const empty = sendMessageBody.safeParse({ body: '' });
    expect(empty.error?.issues).toHaveLength(1);
    const blank = sendMessageBody.safeParse({ body: '   ' });
    expect(blank.error?.issues.map((issue) => issue.message)).toEqual(['Must not be only whitespace.']);
  });

  it('pages conversations 1..50 (20 by default) and messages 1..100 (30 by default)', () => {
    expect(listConversationsQuery.parse({}).limit).toBe(20);
    expect(listMessagesQuery.parse({}).limit).toBe(30);
    expect(listConversationsQuery.safeParse({ limit: '51' }).success).toBe(false);
    expect(listMessagesQuery.safeParse({ limit: '100' }).success).toBe(true);
    expect(listMessagesQuery.safeParse({ limit: '101' }).success).toBe(false);
  });
});

describe('transactWrite conflict budget', () => {
  /** A client whose every transaction is cancelled by a conflict; counts the attempts. */
  function alwaysConflicting(): { calls: () => number } {
    let calls = 0;
    const conflict = Object.assign(new Error('conflict'), {
      name: 'TransactionCanceledException',
      CancellationReasons: [{ Code: 'TransactionConflict' }],
    });
    const client = {
      send: async () => {
        calls++;
        throw conflict;
      },
    };
    useTable(client as unknown as DynamoDBDocumentClient, 'unit-table');
    return { calls: () => calls };
  }

  it('retries 4 times by default, and as often as a busy writer asks', async () => {
    const byDefault = alwaysConflicting();
    await expect(transactWrite({ TransactItems: [] })).rejects.toBeInstanceOf(ConcurrentUpdate);
    expect(byDefault.calls()).toBe(5);
    const patient = alwaysConflicting();
    const error = await transactWrite({ TransactItems: [] }, { conflictRetries: 8 }).catch((e: unknown) => e);
    expect(asHttpError(error)).toMatchObject({ statusCode: 409 });
    expect(patient.calls()).toBe(9);
  }, 20_000);
});
