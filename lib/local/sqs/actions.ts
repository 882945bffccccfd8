import { errors, SqsError } from './errors.ts';
import { attributesSize, integerParameter, renderMessage, sendResult } from './messages.ts';
import { MAX_MESSAGE_BYTES, type MessageAttributeValue, type Queue, SETTABLE_ATTRIBUTES } from './queue.ts';
import type { QueueRegistry } from './queues.ts';

/** One action of the protocol: its input, and whether the client went away (long polls end early). */
export type Action = (input: Record<string, unknown>, closed: () => boolean) => unknown;

/** A batch's entries, after SQS's checks: 1 to 10, each with a valid, distinct `Id`. */
function checkBatch(entries: unknown): { Id: string }[] {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new SqsError(
      'EmptyBatchRequest',
      'AWS.SimpleQueueService.EmptyBatchRequest',
      'There should be at least one SendMessageBatchRequestEntry in the request.',
    );
  }
  if (entries.length > 10) {
    throw new SqsError(
      'TooManyEntriesInBatchRequest',
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
    );
  }
  const ids = new Set<string>();
  for (const entry of entries as { Id?: unknown }[]) {
    if (typeof entry?.Id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(entry.Id)) {
      throw new SqsError(
        'InvalidBatchEntryId',
        'AWS.SimpleQueueService.InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (ids.has(entry.Id)) {
      throw new SqsError(
        'BatchEntryIdsNotDistinct',
        'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
        `Id ${entry.Id} repeated.`,
      );
    }
    ids.add(entry.Id);
  }
  return entries as { Id: string }[];
}

/** Runs each entry of a batch on its own; an entry's error becomes a `Failed` entry, as SQS does. */
function perEntry<T extends { Id: string }>(entries: T[], run: (entry: T) => Record<string, unknown>) {
  const Successful: Record<string, unknown>[] = [];
  const Failed: Record<string, unknown>[] = [];
  for (const entry of entries) {
    try {
      Successful.push({ Id: entry.Id, ...run(entry) });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      Failed.push({
        Id: entry.Id,
        SenderFault: error.fault === 'Sender',
        Code: error.queryCode,
        Message: error.message,
      });
    }
  }
  return { Successful, Failed };
}

/** The actions on queues: create, find, list, delete, attributes, purge. */
function queueActions(queues: QueueRegistry): Record<string, Action> {
  return {
    CreateQueue: (input) => ({
      QueueUrl: queues.create(input.QueueName, (input.Attributes as Record<string, string> | undefined) ?? {})
        .url,
    }),
    GetQueueUrl: (input) => {
      const queue = queues.byName(String(input.QueueName ?? ''));
      if (!queue) throw errors.queueDoesNotExist();
      return { QueueUrl: queue.url };
    },
    ListQueues: (input) => {
      const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '';
      const max = integerParameter(input.MaxResults, 'MaxResults', 1, 1000) ?? 1000;
      const names = queues.names().filter((name) => name.startsWith(prefix));
      const start =
        typeof input.NextToken === 'string'
          ? Number(Buffer.from(input.NextToken, 'base64url').toString())
          : 0;
      if (!Number.isInteger(start) || start < 0) throw errors.invalidParameter('Invalid NextToken value.');
      const page = names.slice(start, start + max);
      const more = start + max < names.length && input.MaxResults !== undefined;
      return {
        ...(page.length > 0 ? { QueueUrls: page.map((name) => (queues.byName(name) as Queue).url) } : {}),
        ...(more ? { NextToken: Buffer.from(String(start + max)).toString('base64url') } : {}),
      };
    },
    DeleteQueue: (input) => {
      const queue = queues.find(input.QueueUrl);
      queues.delete(queue);
      return {};
    },
    GetQueueAttributes: (input) => ({
      Attributes: queues.attributes(queues.find(input.QueueUrl), input.AttributeNames),
    }),
    SetQueueAttributes: (input) => {
      const queue = queues.find(input.QueueUrl);
      for (const [key, value] of Object.entries((input.Attributes as Record<string, string>) ?? {})) {
        if (!SETTABLE_ATTRIBUTES.has(key)) throw errors.unknownAttribute(key);
        queue.attributes[key] = value;
      }
      queue.lastModifiedTimestamp = Math.floor(Date.now() / 1000);
      return {};
    },
    PurgeQueue: (input) => {
      const queue = queues.find(input.QueueUrl);
      queue.messages.length = 0;
      return {};
    },
  };
}

/** The actions on messages: send, receive (long polls included), delete, change visibility; single and batch. */
function messageActions(queues: QueueRegistry): Record<string, Action> {
  return {
    SendMessage: (input) => {
      const queue = queues.find(input.QueueUrl);
      return sendResult(
        queues.enqueue(
          queue,
          input.MessageBody,
          input.DelaySeconds,
          input.MessageAttributes as Record<string, MessageAttributeValue>,
        ),
      );
    },
    SendMessageBatch: (input) => {
      const queue = queues.find(input.QueueUrl);
      const entries = checkBatch(input.Entries) as {
        Id: string;
        MessageBody?: unknown;
        DelaySeconds?: unknown;
        MessageAttributes?: Record<string, MessageAttributeValue>;
      }[];
      const total = entries.reduce(
        (sum, entry) =>
          sum +
          (typeof entry.MessageBody === 'string' ? Buffer.byteLength(entry.MessageBody) : 0) +
          attributesSize(entry.MessageAttributes ?? {}),
        0,
      );
      if (total > MAX_MESSAGE_BYTES) {
        throw new SqsError(
          'BatchRequestTooLong',
          'AWS.SimpleQueueService.BatchRequestTooLong',
          `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`,
        );
      }
      return perEntry(entries, (entry) =>
        sendResult(queues.enqueue(queue, entry.MessageBody, entry.DelaySeconds, entry.MessageAttributes)),
      );
    },
    ReceiveMessage: async (input, closed) => {
      const queue = queues.find(input.QueueUrl);
      const max = integerParameter(input.MaxNumberOfMessages, 'MaxNumberOfMessages', 1, 10) ?? 1;
      const visibility =
        integerParameter(input.VisibilityTimeout, 'VisibilityTimeout', 0, 43_200) ??
        Number(queue.attributes.VisibilityTimeout);
      const waitSeconds =
        integerParameter(input.WaitTimeSeconds, 'WaitTimeSeconds', 0, 20) ??
        Number(queue.attributes.ReceiveMessageWaitTimeSeconds ?? 0);
      const deadline = Date.now() + waitSeconds * 1000;
      let taken = queues.takeVisible(queue, max, visibility);
      while (taken.length === 0 && Date.now() < deadline && !closed() && queues.holds(queue)) {
        await queues.waitForMessages(queue, deadline - Date.now(), closed);
        taken = queues.takeVisible(queue, max, visibility);
      }
      // An empty receive answers `{}`, as SQS does.
      return taken.length > 0 ? { Messages: taken.map((message) => renderMessage(message, input)) } : {};
    },
    DeleteMessage: (input) => {
      queues.deleteMessage(queues.find(input.QueueUrl), input.ReceiptHandle);
      return {};
    },
    DeleteMessageBatch: (input) => {
      const queue = queues.find(input.QueueUrl);
      const entries = checkBatch(input.Entries) as { Id: string; ReceiptHandle?: unknown }[];
      return perEntry(entries, (entry) => {
        queues.deleteMessage(queue, entry.ReceiptHandle);
        return {};
      });
    },
    ChangeMessageVisibility: (input) => {
      queues.changeVisibility(queues.find(input.QueueUrl), input.ReceiptHandle, input.VisibilityTimeout);
      return {};
    },
    ChangeMessageVisibilityBatch: (input) => {
      const queue = queues.find(input.QueueUrl);
      const entries = checkBatch(input.Entries) as {
        Id: string;
        ReceiptHandle?: unknown;
        VisibilityTimeout?: unknown;
      }[];
      return perEntry(entries, (entry) => {
        queues.changeVisibility(queue, entry.ReceiptHandle, entry.VisibilityTimeout);
        return {};
      });
    },
  };
}

/** The SQS actions the local SQS speaks (AWS JSON 1.0 `X-Amz-Target: AmazonSQS.<Action>`), over `queues`. */
export function sqsActions(queues: QueueRegistry): Record<string, Action> {
  return { ...queueActions(queues), ...messageActions(queues) };
}
