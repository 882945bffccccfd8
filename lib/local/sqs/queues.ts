import { randomBytes, randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../account.ts';
import { errors, SqsError } from './errors.ts';
import {
  attributesSize,
  INVALID_CHARACTERS,
  integerParameter,
  md5,
  validateMessageAttributes,
} from './messages.ts';
import {
  MAX_MESSAGE_BYTES,
  type MessageAttributeValue,
  Queue,
  READ_ONLY_ATTRIBUTES,
  SETTABLE_ATTRIBUTES,
  type StoredMessage,
} from './queue.ts';

/**
 * The state of a local SQS: its queues by name and every receipt handle it issued, with the
 * operations SQS defines on them (validation and errors included), whatever protocol asks.
 */
export class QueueRegistry {
  private readonly queues = new Map<string, Queue>();
  /** Every receipt handle ever issued, to tell a stale handle (ignored) from a forged one (an error). */
  private readonly issuedHandles = new Map<string, { queue: Queue; message: StoredMessage }>();
  /** The server's endpoint, the base of queue URLs (known once it listens). */
  endpoint = '';

  /** Queue names in order, for ListQueues. */
  names(): string[] {
    return [...this.queues.keys()].sort();
  }

  byName(name: string): Queue | undefined {
    return this.queues.get(name);
  }

  /** A queue by URL (any host: localhost and 127.0.0.1 are the same server), ARN or name. */
  find(reference: unknown): Queue {
    if (typeof reference !== 'string' || reference === '') throw errors.missingParameter('QueueUrl');
    let name = reference;
    if (reference.startsWith('arn:')) name = reference.split(':').at(-1) ?? '';
    else if (/^https?:\/\//.test(reference)) {
      const segments = new URL(reference).pathname.split('/').filter(Boolean);
      name = segments.at(-1) ?? '';
    }
    const queue = this.queues.get(name);
    if (!queue) throw errors.queueDoesNotExist();
    return queue;
  }

  /** Creates a queue, or answers the existing one when its attributes agree (CreateQueue is idempotent). */
  create(name: unknown, attributes: Record<string, string> = {}): Queue {
    if (typeof name !== 'string' || name === '') throw errors.missingParameter('QueueName');
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
      if (name.endsWith('.fifo') || attributes.FifoQueue === 'true') throw errors.fifoNotEmulated();
      throw errors.invalidParameter(
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    for (const key of Object.keys(attributes)) {
      if (key === 'FifoQueue' || key === 'ContentBasedDeduplication') throw errors.fifoNotEmulated();
      if (!SETTABLE_ATTRIBUTES.has(key)) throw errors.unknownAttribute(key);
    }
    const existing = this.queues.get(name);
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
    const url = `${this.endpoint}/${LOCAL_ACCOUNT}/${name}`;
    const queue = new Queue(name, url, `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`, attributes);
    this.queues.set(name, queue);
    return queue;
  }

  delete(queue: Queue): void {
    this.queues.delete(queue.name);
    queue.dispose();
  }

  /** Whether `queue` still exists (it was not deleted since it was found). */
  holds(queue: Queue): boolean {
    return this.queues.get(queue.name) === queue;
  }

  /** Adds a message to a queue, after SQS's checks of its body, attributes, size and delay. */
  enqueue(
    queue: Queue,
    body: unknown,
    delaySeconds: unknown,
    rawAttributes: Record<string, MessageAttributeValue> | undefined,
  ): StoredMessage {
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
  }

  /** Receives up to `max` visible messages: each becomes invisible for the timeout and gets a new receipt handle. */
  takeVisible(queue: Queue, max: number, visibilityTimeout: number): StoredMessage[] {
    const now = Date.now();
    const taken: StoredMessage[] = [];
    for (const message of queue.messages) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      message.visibleAt = now + visibilityTimeout * 1000;
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
      message.receiptHandle = randomBytes(96).toString('base64');
      this.issuedHandles.set(message.receiptHandle, { queue, message });
      taken.push(message);
    }
    if (taken.length > 0) queue.notify();
    return taken;
  }

  /** The message a receipt handle names, if it is still the message's latest handle. */
  private byReceiptHandle(queue: Queue, handle: unknown): StoredMessage | undefined {
    if (typeof handle !== 'string' || handle === '') throw errors.missingParameter('ReceiptHandle');
    const issued = this.issuedHandles.get(handle);
    if (!issued || issued.queue !== queue) throw errors.receiptHandleIsInvalid(handle);
    const { message } = issued;
    return queue.messages.includes(message) && message.receiptHandle === handle ? message : undefined;
  }

  deleteMessage(queue: Queue, handle: unknown): void {
    // A stale handle (the message was received again since) succeeds without deleting, as SQS does.
    const message = this.byReceiptHandle(queue, handle);
    if (!message) return;
    queue.messages.splice(queue.messages.indexOf(message), 1);
    this.issuedHandles.delete(handle as string);
  }

  changeVisibility(queue: Queue, handle: unknown, timeout: unknown): void {
    const seconds = integerParameter(timeout, 'VisibilityTimeout', 0, 43_200);
    if (seconds === undefined) throw errors.missingParameter('VisibilityTimeout');
    const message = this.byReceiptHandle(queue, handle);
    if (!message || message.visibleAt <= Date.now()) {
      throw new SqsError(
        'MessageNotInflight',
        'AWS.SimpleQueueService.MessageNotInflight',
        'Message does not exist or is not available for visibility timeout change.',
      );
    }
    message.visibleAt = Date.now() + seconds * 1000;
    queue.notify();
  }

  /** The attributes GetQueueAttributes answers: the settable ones and the computed counts and timestamps. */
  attributes(queue: Queue, requested: unknown): Record<string, string> {
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
        throw errors.unknownAttribute(name);
      }
      if (all[name] !== undefined) result[name] = all[name];
    }
    return result;
  }

  /** Resolves when a message may have turned visible, after `waitMs` at most, or at once when `closed()`. */
  waitForMessages(queue: Queue, waitMs: number, closed: () => boolean): Promise<void> {
    return new Promise((resolve) => {
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
  }

  /** Ends every long poll (the server is stopping). */
  dispose(): void {
    for (const queue of this.queues.values()) queue.dispose();
  }
}
