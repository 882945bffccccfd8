import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../cloudformation/template.ts';

/**
 * A local Amazon SQS: an in-memory server speaking SQS's AWS JSON 1.0 protocol (what
 * `@aws-sdk/client-sqs` and the aws CLI use), so functions and tools reach it through
 * `AWS_ENDPOINT_URL_SQS` with no local-only code path, plus an in-process API for the runtime
 * (on-failure destinations of event source mappings) and tests.
 *
 * Standard queues only, at-least-once semantics simplified to exactly-once delivery order of
 * sending. Not emulated: FIFO queues, redrive policies (dead-letter queues of queues),
 * message retention expiry, PurgeQueue's once-per-60-s limit, tags, permissions.
 */
export interface LocalSqs {
  /** `http://127.0.0.1:<port>`; queue URLs are `<endpoint>/000000000000/<name>`. */
  readonly endpoint: string;
  /** Creates the queue unless it exists; its URL and ARN as the template resolver gives them. */
  ensureQueue(name: string): { url: string; arn: string };
  /** Sends a message to a queue named by ARN, URL or name; returns the message id. */
  send(queueArnOrUrl: string, body: string): string;
  /** Bodies of every message in the queue (visible, in flight or delayed), oldest first; changes nothing. */
  peek(queueArnOrUrl: string): string[];
  /** How many messages the queue holds (visible, in flight and delayed). */
  depth(queueArnOrUrl: string): number;
  stop(): Promise<void>;
}

export interface LocalSqsOptions {
  /** Port to listen on (127.0.0.1); a free one when omitted or 0. */
  readonly port?: number;
  /** Receives a line per request the emulator refuses as unsupported (not per error a client caused). */
  readonly log?: (line: string) => void;
}

interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
  StringListValues?: string[];
  BinaryListValues?: string[];
}

interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes: Record<string, MessageAttributeValue>;
  readonly sentTimestamp: number;
  visibleAt: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** The latest receipt handle; only it can delete the message or change its visibility. */
  receiptHandle?: string;
}

const DEFAULT_ATTRIBUTES: Readonly<Record<string, string>> = {
  VisibilityTimeout: '30',
  DelaySeconds: '0',
  MaximumMessageSize: '262144',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  SqsManagedSseEnabled: 'true',
};
const SETTABLE_ATTRIBUTES = new Set([
  ...Object.keys(DEFAULT_ATTRIBUTES),
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
]);
const READ_ONLY_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
];
const MAX_MESSAGE_BYTES = 262_144;

class Queue {
  readonly messages: StoredMessage[] = [];
  readonly attributes: Record<string, string>;
  readonly createdTimestamp = Math.floor(Date.now() / 1000);
  lastModifiedTimestamp = this.createdTimestamp;
  /** Long polls waiting for a message to become visible. */
  readonly waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;

  readonly name: string;
  readonly url: string;
  readonly arn: string;

  constructor(name: string, url: string, arn: string, attributes: Record<string, string>) {
    this.name = name;
    this.url = url;
    this.arn = arn;
    this.attributes = { ...DEFAULT_ATTRIBUTES, ...attributes };
  }

  /** Wakes long polls now, and again when the next invisible message turns visible. */
  notify(): void {
    for (const wake of [...this.waiters]) wake();
    this.schedule();
  }

  /** Arms a wake-up for when the next invisible message turns visible, if anyone waits. */
  schedule(): void {
    clearTimeout(this.timer);
    const now = Date.now();
    const next = Math.min(...this.messages.map((m) => m.visibleAt).filter((at) => at > now));
    if (this.waiters.size > 0 && Number.isFinite(next)) {
      this.timer = setTimeout(() => this.notify(), next - now + 1);
      this.timer.unref();
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const wake of [...this.waiters]) wake();
  }
}

/** The error shapes SQS answers in its JSON protocol; the SDK maps them to exception classes. */
class SqsError extends Error {
  readonly type: string;
  /** The `x-amzn-query-error` code (what SQS's query protocol called the error). */
  readonly queryCode: string;
  readonly status: number;
  readonly fault: 'Sender' | 'Receiver';

  constructor(
    type: string,
    queryCode: string,
    message: string,
    status = 400,
    fault: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.type = type;
    this.queryCode = queryCode;
    this.status = status;
    this.fault = fault;
  }
}

const errors = {
  queueDoesNotExist: () =>
    new SqsError(
      'QueueDoesNotExist',
      'AWS.SimpleQueueService.NonExistentQueue',
      'The specified queue does not exist.',
    ),
  invalidParameter: (message: string) =>
    new SqsError('InvalidParameterValueException', 'InvalidParameterValue', message),
  missingParameter: (name: string) =>
    new SqsError(
      'MissingRequiredParameterException',
      'MissingParameter',
      `The request must contain the parameter ${name}.`,
    ),
  receiptHandleIsInvalid: (handle: string) =>
    new SqsError(
      'ReceiptHandleIsInvalid',
      'ReceiptHandleIsInvalid',
      `The input receipt handle "${handle}" is not a valid receipt handle.`,
      404,
    ),
};

/** SQS's MD5 of message attributes: sorted names, length-prefixed name, type, transport byte, value. */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const hash = createHash('md5');
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name] as MessageAttributeValue;
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(value.DataType, 'utf8'));
    if (value.StringValue !== undefined) {
      hash.update(Buffer.from([1]));
      lengthPrefixed(Buffer.from(value.StringValue, 'utf8'));
    } else if (value.BinaryValue !== undefined) {
      hash.update(Buffer.from([2]));
      lengthPrefixed(Buffer.from(value.BinaryValue, 'base64'));
    } else if (value.StringListValues) {
      hash.update(Buffer.from([3]));
      for (const item of value.StringListValues) lengthPrefixed(Buffer.from(item, 'utf8'));
    } else if (value.BinaryListValues) {
      hash.update(Buffer.from([4]));
      for (const item of value.BinaryListValues) lengthPrefixed(Buffer.from(item, 'base64'));
    }
  }
  return hash.digest('hex');
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** Characters SQS accepts in a message: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters SQS refuses.
const INVALID_CHARACTERS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function validateMessageAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, MessageAttributeValue> {
  const result: Record<string, MessageAttributeValue> = {};
  const entries = Object.entries(attributes ?? {});
  if (entries.length > 10)
    throw errors.invalidParameter('Number of message attributes [11] exceeds the allowed maximum [10].');
  for (const [name, value] of entries) {
    if (
      !/^[A-Za-z0-9_.-]{1,256}$/.test(name) ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      /^(aws|amazon)\./i.test(name)
    ) {
      throw errors.invalidParameter(`Message attribute name '${name}' is invalid.`);
    }
    if (
      !value ||
      typeof value.DataType !== 'string' ||
      !/^(String|Number|Binary)(\..+)?$/.test(value.DataType)
    ) {
      throw errors.invalidParameter(
        `The message attribute '${name}' must contain a supported DataType (String, Number or Binary).`,
      );
    }
    const isBinary = value.DataType.startsWith('Binary');
    if (isBinary ? value.BinaryValue === undefined : value.StringValue === undefined) {
      throw errors.invalidParameter(
        `The message attribute '${name}' with type '${value.DataType}' must use field '${isBinary ? 'Binary' : 'String'}'.`,
      );
    }
    if (value.DataType.startsWith('Number') && !Number.isFinite(Number(value.StringValue))) {
      throw errors.invalidParameter(
        `Can't cast the value of message (user) attribute '${name}' to a number.`,
      );
    }
    result[name] = isBinary
      ? { DataType: value.DataType, BinaryValue: value.BinaryValue }
      : { DataType: value.DataType, StringValue: value.StringValue };
  }
  return result;
}

function attributesSize(attributes: Record<string, MessageAttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    size += value.StringValue !== undefined ? Buffer.byteLength(value.StringValue) : 0;
    size += value.BinaryValue !== undefined ? Buffer.from(value.BinaryValue, 'base64').length : 0;
  }
  return size;
}

function integerParameter(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw errors.invalidParameter(
      `Value ${String(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
    );
  }
  return value;
}

/** Starts the local SQS on 127.0.0.1 and resolves once it listens. */
export async function startLocalSqs(options: LocalSqsOptions = {}): Promise<LocalSqs> {
  const queues = new Map<string, Queue>();
  /** Every receipt handle ever issued, to tell a stale handle (ignored) from a forged one (an error). */
  const issuedHandles = new Map<string, { queue: Queue; message: StoredMessage }>();
  let endpoint = '';

  const queueUrl = (name: string) => `${endpoint}/${LOCAL_ACCOUNT}/${name}`;
  const queueArn = (name: string) => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;

  /** A queue by URL (any host: localhost and 127.0.0.1 are the same server), ARN or name. */
  const findQueue = (reference: unknown): Queue => {
    if (typeof reference !== 'string' || reference === '') throw errors.missingParameter('QueueUrl');
    let name = reference;
    if (reference.startsWith('arn:')) name = reference.split(':').at(-1) ?? '';
    else if (/^https?:\/\//.test(reference)) {
      const segments = new URL(reference).pathname.split('/').filter(Boolean);
      name = segments.at(-1) ?? '';
    }
    const queue = queues.get(name);
    if (!queue) throw errors.queueDoesNotExist();
    return queue;
  };

  const createQueue = (name: unknown, attributes: Record<string, string> = {}): Queue => {
    if (typeof name !== 'string' || name === '') throw errors.missingParameter('QueueName');
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
      if (name.endsWith('.fifo') || attributes.FifoQueue === 'true') {
        throw new SqsError(
          'UnsupportedOperation',
          'AWS.SimpleQueueService.UnsupportedOperation',
          'FIFO queues are not emulated by the local SQS.',
        );
      }
      throw errors.invalidParameter(
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    for (const key of Object.keys(attributes)) {
      if (key === 'FifoQueue' || key === 'ContentBasedDeduplication') {
        throw new SqsError(
          'UnsupportedOperation',
          'AWS.SimpleQueueService.UnsupportedOperation',
          'FIFO queues are not emulated by the local SQS.',
        );
      }
      if (!SETTABLE_ATTRIBUTES.has(key)) {
        throw new SqsError('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${key}.`);
      }
    }
    const existing = queues.get(name);
    if (existing) {
      const differs = Object.entries(attributes).some(([key, value]) => existing.attributes[key] !== value);
      if (differs) {
        throw new SqsError(
          'QueueNameExists',
          'QueueAlreadyExists',
          'A queue already exists with the same name and a different value for attribute(s).',
        );
      }
      return existing;
    }
    const queue = new Queue(name, queueUrl(name), queueArn(name), attributes);
    queues.set(name, queue);
    return queue;
  };

  const enqueue = (
    queue: Queue,
    body: unknown,
    delaySeconds: unknown,
    rawAttributes: Record<string, MessageAttributeValue> | undefined,
  ): StoredMessage => {
    if (typeof body !== 'string' || body.length === 0) throw errors.missingParameter('MessageBody');
    if (INVALID_CHARACTERS.test(body)) {
      throw new SqsError(
        'InvalidMessageContents',
        'InvalidMessageContents',
        'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
      );
    }
    const messageAttributes = validateMessageAttributes(rawAttributes);
    const limit = Number(queue.attributes.MaximumMessageSize ?? MAX_MESSAGE_BYTES);
    if (Buffer.byteLength(body) + attributesSize(messageAttributes) > limit) {
      throw errors.invalidParameter(
        `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`,
      );
    }
    const delay =
      integerParameter(delaySeconds, 'DelaySeconds', 0, 900) ?? Number(queue.attributes.DelaySeconds ?? 0);
    const now = Date.now();
    const message: StoredMessage = {
      id: randomUUID(),
      body,
      md5OfBody: md5(body),
      messageAttributes,
      sentTimestamp: now,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
    };
    queue.messages.push(message);
    queue.notify();
    return message;
  };

  const sendResult = (message: StoredMessage) => ({
    MD5OfMessageBody: message.md5OfBody,
    ...(Object.keys(message.messageAttributes).length > 0
      ? { MD5OfMessageAttributes: md5OfMessageAttributes(message.messageAttributes) }
      : {}),
    MessageId: message.id,
  });

  const takeVisible = (queue: Queue, max: number, visibilityTimeout: number): StoredMessage[] => {
    const now = Date.now();
    const taken: StoredMessage[] = [];
    for (const message of queue.messages) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      message.visibleAt = now + visibilityTimeout * 1000;
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
      message.receiptHandle = randomBytes(96).toString('base64');
      issuedHandles.set(message.receiptHandle, { queue, message });
      taken.push(message);
    }
    if (taken.length > 0) queue.notify();
    return taken;
  };

  const wantedNames = (requested: unknown): ((name: string) => boolean) => {
    const names = Array.isArray(requested) ? (requested as string[]) : [];
    return (name) =>
      names.some(
        (wanted) =>
          wanted === 'All' ||
          wanted === '.*' ||
          wanted === name ||
          (wanted.endsWith('.*') && name.startsWith(wanted.slice(0, -1))),
      );
  };

  const renderMessage = (message: StoredMessage, input: Record<string, unknown>) => {
    const systemWanted = wantedNames([
      ...((input.AttributeNames as string[] | undefined) ?? []),
      ...((input.MessageSystemAttributeNames as string[] | undefined) ?? []),
    ]);
    const system: Record<string, string> = {
      SenderId: LOCAL_ACCOUNT,
      SentTimestamp: String(message.sentTimestamp),
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
    };
    const attributes = Object.fromEntries(Object.entries(system).filter(([name]) => systemWanted(name)));
    const attributeWanted = wantedNames(input.MessageAttributeNames);
    const messageAttributes = Object.fromEntries(
      Object.entries(message.messageAttributes).filter(([name]) => attributeWanted(name)),
    );
    const hasAttributes = Object.keys(messageAttributes).length > 0;
    return {
      MessageId: message.id,
      ReceiptHandle: message.receiptHandle,
      MD5OfBody: message.md5OfBody,
      Body: message.body,
      ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
      ...(hasAttributes
        ? {
            MD5OfMessageAttributes: md5OfMessageAttributes(messageAttributes),
            MessageAttributes: messageAttributes,
          }
        : {}),
    };
  };

  /** The message a receipt handle names, if it is still the message's latest handle. */
  const byReceiptHandle = (queue: Queue, handle: unknown): StoredMessage | undefined => {
    if (typeof handle !== 'string' || handle === '') throw errors.missingParameter('ReceiptHandle');
    const issued = issuedHandles.get(handle);
    if (!issued || issued.queue !== queue) throw errors.receiptHandleIsInvalid(handle);
    const { message } = issued;
    return queue.messages.includes(message) && message.receiptHandle === handle ? message : undefined;
  };

  const deleteMessage = (queue: Queue, handle: unknown): void => {
    // A stale handle (the message was received again since) succeeds without deleting, as SQS does.
    const message = byReceiptHandle(queue, handle);
    if (!message) return;
    queue.messages.splice(queue.messages.indexOf(message), 1);
    issuedHandles.delete(handle as string);
  };

  const changeVisibility = (queue: Queue, handle: unknown, timeout: unknown): void => {
    const seconds = integerParameter(timeout, 'VisibilityTimeout', 0, 43_200);
    if (seconds === undefined) throw errors.missingParameter('VisibilityTimeout');
    const message = byReceiptHandle(queue, handle);
    if (!message || message.visibleAt <= Date.now()) {
      throw new SqsError(
        'MessageNotInflight',
        'AWS.SimpleQueueService.MessageNotInflight',
        'Message does not exist or is not available for visibility timeout change.',
      );
    }
    message.visibleAt = Date.now() + seconds * 1000;
    queue.notify();
  };

  const checkBatch = (entries: unknown): { Id: string }[] => {
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
  };

  /** Runs each entry of a batch on its own; an entry's error becomes a `Failed` entry, as SQS does. */
  const perEntry = <T extends { Id: string }>(entries: T[], run: (entry: T) => Record<string, unknown>) => {
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
  };

  const queueAttributes = (queue: Queue, requested: unknown): Record<string, string> => {
    const now = Date.now();
    const visible = queue.messages.filter((m) => m.visibleAt <= now && m.receiveCount >= 0);
    const delayed = queue.messages.filter((m) => m.visibleAt > now && m.receiveCount === 0);
    const inFlight = queue.messages.filter((m) => m.visibleAt > now && m.receiveCount > 0);
    const all: Record<string, string> = {
      ...queue.attributes,
      ApproximateNumberOfMessages: String(visible.length),
      ApproximateNumberOfMessagesNotVisible: String(inFlight.length),
      ApproximateNumberOfMessagesDelayed: String(delayed.length),
      CreatedTimestamp: String(queue.createdTimestamp),
      LastModifiedTimestamp: String(queue.lastModifiedTimestamp),
      QueueArn: queue.arn,
    };
    const names = Array.isArray(requested) ? (requested as string[]) : [];
    if (names.includes('All')) return all;
    const result: Record<string, string> = {};
    for (const name of names) {
      if (!(name in all) && !SETTABLE_ATTRIBUTES.has(name) && !READ_ONLY_ATTRIBUTES.includes(name)) {
        throw new SqsError('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${name}.`);
      }
      if (all[name] !== undefined) result[name] = all[name];
    }
    return result;
  };

  const waitForMessages = (queue: Queue, waitMs: number, closed: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        queue.waiters.delete(done);
        resolve();
      };
      timer = setTimeout(done, waitMs);
      queue.waiters.add(done);
      queue.schedule();
      if (closed()) done();
    });

  type Handler = (input: Record<string, unknown>, closed: () => boolean) => unknown;
  const actions: Record<string, Handler> = {
    CreateQueue: (input) => ({
      QueueUrl: createQueue(input.QueueName, (input.Attributes as Record<string, string> | undefined) ?? {})
        .url,
    }),
    GetQueueUrl: (input) => {
      const queue = queues.get(String(input.QueueName ?? ''));
      if (!queue) throw errors.queueDoesNotExist();
      return { QueueUrl: queue.url };
    },
    ListQueues: (input) => {
      const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : '';
      const max = integerParameter(input.MaxResults, 'MaxResults', 1, 1000) ?? 1000;
      const names = [...queues.keys()].filter((name) => name.startsWith(prefix)).sort();
      const start =
        typeof input.NextToken === 'string'
          ? Number(Buffer.from(input.NextToken, 'base64url').toString())
          : 0;
      if (!Number.isInteger(start) || start < 0) throw errors.invalidParameter('Invalid NextToken value.');
      const page = names.slice(start, start + max);
      const more = start + max < names.length && input.MaxResults !== undefined;
      return {
        ...(page.length > 0 ? { QueueUrls: page.map((name) => (queues.get(name) as Queue).url) } : {}),
        ...(more ? { NextToken: Buffer.from(String(start + max)).toString('base64url') } : {}),
      };
    },
    DeleteQueue: (input) => {
      const queue = findQueue(input.QueueUrl);
      queues.delete(queue.name);
      queue.dispose();
      return {};
    },
    GetQueueAttributes: (input) => ({
      Attributes: queueAttributes(findQueue(input.QueueUrl), input.AttributeNames),
    }),
    SetQueueAttributes: (input) => {
      const queue = findQueue(input.QueueUrl);
      for (const [key, value] of Object.entries((input.Attributes as Record<string, string>) ?? {})) {
        if (!SETTABLE_ATTRIBUTES.has(key)) {
          throw new SqsError('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${key}.`);
        }
        queue.attributes[key] = value;
      }
      queue.lastModifiedTimestamp = Math.floor(Date.now() / 1000);
      return {};
    },
    PurgeQueue: (input) => {
      const queue = findQueue(input.QueueUrl);
      queue.messages.length = 0;
      return {};
    },
    SendMessage: (input) => {
      const queue = findQueue(input.QueueUrl);
      return sendResult(
        enqueue(
          queue,
          input.MessageBody,
          input.DelaySeconds,
          input.MessageAttributes as Record<string, MessageAttributeValue>,
        ),
      );
    },
    SendMessageBatch: (input) => {
      const queue = findQueue(input.QueueUrl);
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
        sendResult(enqueue(queue, entry.MessageBody, entry.DelaySeconds, entry.MessageAttributes)),
      );
    },
    ReceiveMessage: async (input, closed) => {
      const queue = findQueue(input.QueueUrl);
      const max = integerParameter(input.MaxNumberOfMessages, 'MaxNumberOfMessages', 1, 10) ?? 1;
      const visibility =
        integerParameter(input.VisibilityTimeout, 'VisibilityTimeout', 0, 43_200) ??
        Number(queue.attributes.VisibilityTimeout);
      const waitSeconds =
        integerParameter(input.WaitTimeSeconds, 'WaitTimeSeconds', 0, 20) ??
        Number(queue.attributes.ReceiveMessageWaitTimeSeconds ?? 0);
      const deadline = Date.now() + waitSeconds * 1000;
      let taken = takeVisible(queue, max, visibility);
      while (taken.length === 0 && Date.now() < deadline && !closed() && queues.get(queue.name) === queue) {
        await waitForMessages(queue, deadline - Date.now(), closed);
        taken = takeVisible(queue, max, visibility);
      }
      // An empty receive answers `{}`, as SQS does.
      return taken.length > 0 ? { Messages: taken.map((message) => renderMessage(message, input)) } : {};
    },
    DeleteMessage: (input) => {
      deleteMessage(findQueue(input.QueueUrl), input.ReceiptHandle);
      return {};
    },
    DeleteMessageBatch: (input) => {
      const queue = findQueue(input.QueueUrl);
      const entries = checkBatch(input.Entries) as { Id: string; ReceiptHandle?: unknown }[];
      return perEntry(entries, (entry) => {
        deleteMessage(queue, entry.ReceiptHandle);
        return {};
      });
    },
    ChangeMessageVisibility: (input) => {
      changeVisibility(findQueue(input.QueueUrl), input.ReceiptHandle, input.VisibilityTimeout);
      return {};
    },
    ChangeMessageVisibilityBatch: (input) => {
      const queue = findQueue(input.QueueUrl);
      const entries = checkBatch(input.Entries) as {
        Id: string;
        ReceiptHandle?: unknown;
        VisibilityTimeout?: unknown;
      }[];
      return perEntry(entries, (entry) => {
        changeVisibility(queue, entry.ReceiptHandle, entry.VisibilityTimeout);
        return {};
      });
    },
  };

  let stopping = false;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const requestId = randomUUID();
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        if (res.writableEnded || res.destroyed) return;
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': requestId,
          ...headers,
        });
        res.end(JSON.stringify(body));
      };
      const fail = (error: SqsError) =>
        reply(
          error.status,
          { __type: `com.amazonaws.sqs#${error.type}`, message: error.message },
          { 'x-amzn-query-error': `${error.queryCode};${error.fault}` },
        );
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
      const handler = actions[action];
      if (req.method !== 'POST' || !handler) {
        options.log?.(`[sqs] unsupported request ${req.method} ${req.url} ${target || '(no X-Amz-Target)'}`);
        return fail(
          new SqsError(
            'UnsupportedOperation',
            'AWS.SimpleQueueService.UnsupportedOperation',
            `${target || 'This request'} is not emulated by the local SQS (JSON protocol only).`,
          ),
        );
      }
      let input: Record<string, unknown>;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        input = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        return fail(
          new SqsError(
            'InvalidParameterValueException',
            'MalformedInput',
            'The request body is not valid JSON.',
          ),
        );
      }
      Promise.resolve()
        .then(() => handler(input, () => stopping || res.destroyed))
        .then(
          (result) => reply(200, result),
          (error: unknown) => {
            if (error instanceof SqsError) return fail(error);
            options.log?.(`[sqs] ${action} failed: ${error instanceof Error ? error.stack : String(error)}`);
            fail(
              new SqsError(
                'InternalError',
                'InternalError',
                'We encountered an internal error.',
                500,
                'Receiver',
              ),
            );
          },
        );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const inProcess = <T>(run: () => T): T => {
    try {
      return run();
    } catch (error) {
      if (error instanceof SqsError) throw Object.assign(new Error(error.message), { name: error.type });
      throw error;
    }
  };

  return {
    endpoint,
    ensureQueue: (name) =>
      inProcess(() => {
        const queue = queues.get(name) ?? createQueue(name);
        return { url: queue.url, arn: queue.arn };
      }),
    send: (reference, body) => inProcess(() => enqueue(findQueue(reference), body, undefined, undefined).id),
    peek: (reference) => inProcess(() => findQueue(reference).messages.map((message) => message.body)),
    depth: (reference) => inProcess(() => findQueue(reference).messages.length),
    stop: () =>
      new Promise((resolve) => {
        stopping = true;
        for (const queue of queues.values()) queue.dispose();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
