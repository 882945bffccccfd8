export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
  StringListValues?: string[];
  BinaryListValues?: string[];
}

export interface StoredMessage {
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

export const DEFAULT_ATTRIBUTES: Readonly<Record<string, string>> = {
  VisibilityTimeout: '30',
  DelaySeconds: '0',
  MaximumMessageSize: '262144',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  SqsManagedSseEnabled: 'true',
};
export const SETTABLE_ATTRIBUTES = new Set([
  ...Object.keys(DEFAULT_ATTRIBUTES),
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
]);
export const READ_ONLY_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
];
export const MAX_MESSAGE_BYTES = 262_144;

/** One queue: its messages (visible, in flight and delayed), its attributes, its waiting long polls. */
export class Queue {
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
