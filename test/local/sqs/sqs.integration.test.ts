import { createHash } from 'node:crypto';
import {
  BatchEntryIdsNotDistinct,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  EmptyBatchRequest,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  MessageNotInflight,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  TooManyEntriesInBatchRequest,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudAssembly, TemplateResolver } from '../../../lib/local/cloudformation/template.ts';
import { type LocalSqs, startLocalSqs } from '../../../lib/local/sqs/index.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SQS's documented MD5 of message attributes, written out independently of the emulator's. */
function expectedAttributesMd5(
  attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Uint8Array }>,
) {
  const parts: Buffer[] = [];
  const prefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name];
    if (!value) continue;
    prefixed(Buffer.from(name));
    prefixed(Buffer.from(value.DataType));
    if (value.BinaryValue) {
      parts.push(Buffer.from([2]));
      prefixed(Buffer.from(value.BinaryValue));
    } else {
      parts.push(Buffer.from([1]));
      prefixed(Buffer.from(value.StringValue ?? ''));
    }
  }
  return createHash('md5').update(Buffer.concat(parts)).digest('hex');
}

describe('the local SQS, through the real SDK client', () => {
  let sqs: LocalSqs;
  let client: SQSClient;

  beforeAll(async () => {
    sqs = await startLocalSqs();
    client = new SQSClient({
      endpoint: sqs.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    client.destroy();
    await sqs.stop();
  });

  const newQueue = async (name: string, attributes?: Record<string, string>) =>
    (await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })))
      .QueueUrl as string;

  it('creates queues at the URL and ARN the template resolver gives an AWS::SQS::Queue', async () => {
    const url = await newQueue('orders-dlq');
    const assembly: CloudAssembly = {
      dir: '.',
      stacks: [
        {
          stackName: 'shop',
          template: {
            Resources: { Dlq: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'orders-dlq' } } },
          },
        },
      ],
    };
    const resolver = new TemplateResolver(assembly, { sqsEndpoint: sqs.endpoint });
    expect(url).toBe(resolver.resolve({ Ref: 'Dlq' }, 'shop'));
    expect(sqs.ensureQueue('orders-dlq')).toEqual({
      url,
      arn: resolver.resolve({ 'Fn::GetAtt': ['Dlq', 'Arn'] }, 'shop'),
    });
    expect((await client.send(new GetQueueUrlCommand({ QueueName: 'orders-dlq' }))).QueueUrl).toBe(url);
    const attributes = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn', 'CreatedTimestamp'] }),
    );
    expect(attributes.Attributes?.QueueArn).toBe('arn:aws:sqs:us-east-1:000000000000:orders-dlq');
    expect(Math.abs(Number(attributes.Attributes?.CreatedTimestamp) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('lists queues by prefix, a page at a time', async () => {
    for (const name of ['list-a', 'list-b', 'list-c']) await newQueue(name);
    const all = await client.send(new ListQueuesCommand({ QueueNamePrefix: 'list-' }));
    expect(all.QueueUrls?.map((url) => url.split('/').at(-1))).toEqual(['list-a', 'list-b', 'list-c']);
    const first = await client.send(new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 2 }));
    expect(first.QueueUrls).toHaveLength(2);
    const second = await client.send(
      new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 2, NextToken: first.NextToken }),
    );
    expect(second.QueueUrls?.map((url) => url.split('/').at(-1))).toEqual(['list-c']);
    expect(second.NextToken).toBeUndefined();
  });

  it('sends and receives messages with attributes and the MD5s SQS computes (the SDK checks the body MD5)', async () => {
    const url = await newQueue('attributes');
    const messageAttributes = {
      kind: { DataType: 'String', StringValue: 'order' },
      amount: { DataType: 'Number', StringValue: '12.5' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
    };
    const sent = await client.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'héllo ✓', MessageAttributes: messageAttributes }),
    );
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update('héllo ✓').digest('hex'));
    expect(sent.MD5OfMessageAttributes).toBe(expectedAttributesMd5(messageAttributes));

    const received = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    const [message] = received.Messages ?? [];
    expect(message?.Body).toBe('héllo ✓');
    expect(message?.MessageId).toBe(sent.MessageId);
    expect(message?.ReceiptHandle).toEqual(expect.any(String));
    expect(message?.MessageAttributes?.kind).toEqual({ DataType: 'String', StringValue: 'order' });
    expect(message?.MessageAttributes?.blob?.BinaryValue).toEqual(new Uint8Array([1, 2, 3]));
    expect(message?.MD5OfMessageAttributes).toBe(expectedAttributesMd5(messageAttributes));
    expect(message?.Attributes).toEqual({ ApproximateReceiveCount: '1', SentTimestamp: expect.any(String) });
  });

  it('sends batches, reporting each entry, and refuses malformed batches with the right exceptions', async () => {
    const url = await newQueue('batches');
    const result = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'one', MessageBody: 'first' },
          { Id: 'two', MessageBody: 'second', DelaySeconds: 0 },
          { Id: 'bad', MessageBody: 'nul \u0000 character' },
        ],
      }),
    );
    expect(result.Successful?.map((entry) => entry.Id)).toEqual(['one', 'two']);
    expect(result.Failed).toEqual([
      expect.objectContaining({ Id: 'bad', SenderFault: true, Code: 'InvalidMessageContents' }),
    ]);
    expect(sqs.peek(url)).toEqual(['first', 'second']);

    const entries = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' }));
    await expect(
      client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries(11) })),
    ).rejects.toBeInstanceOf(TooManyEntriesInBatchRequest);
    await expect(
      client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [] })),
    ).rejects.toBeInstanceOf(EmptyBatchRequest);
    await expect(
      client.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'same', MessageBody: 'a' },
            { Id: 'same', MessageBody: 'b' },
          ],
        }),
      ),
    ).rejects.toBeInstanceOf(BatchEntryIdsNotDistinct);
  });

  it('hides a received message for its visibility timeout, then delivers it again', async () => {
    const url = await newQueue('visibility');
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
    const first = await client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1 }));
    expect(first.Messages).toHaveLength(1);
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();

    const counts = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );
    expect(counts.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
    });

    await sleep(1100);
    const second = await client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(second.Messages?.[0]?.ReceiptHandle).not.toBe(first.Messages?.[0]?.ReceiptHandle);
  });

  it('answers a long poll as soon as a message arrives, and an empty one when the wait ends', async () => {
    const url = await newQueue('long-poll');
    const started = Date.now();
    const receiving = client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
    await sleep(200);
    sqs.send(url, 'arrived');
    const received = await receiving;
    expect(received.Messages?.[0]?.Body).toBe('arrived');
    expect(Date.now() - started).toBeLessThan(2000);

    const emptyStarted = Date.now();
    const empty = await client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    expect(empty.Messages).toBeUndefined();
    expect(Date.now() - emptyStarted).toBeGreaterThanOrEqual(950);
  });

  it('receives up to MaxNumberOfMessages, in the order they were sent', async () => {
    const url = await newQueue('many');
    for (let i = 0; i < 5; i++) sqs.send(url, `m${i}`);
    const received = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 3 }));
    expect(received.Messages?.map((message) => message.Body)).toEqual(['m0', 'm1', 'm2']);
    await expect(
      client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })),
    ).rejects.toThrow(/MaxNumberOfMessages/);
  });

  it('deletes by receipt handle and changes visibility of in-flight messages only', async () => {
    const url = await newQueue('delete');
    sqs.send(url, 'keep');
    sqs.send(url, 'drop');
    const received = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 2 }));
    const [keep, drop] = received.Messages ?? [];
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: drop?.ReceiptHandle }));
    expect(sqs.peek(url)).toEqual(['keep']);

    await client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: keep?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const again = await client.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(again.Messages?.[0]?.Body).toBe('keep');
    await client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: again.Messages?.[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    await expect(
      client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: again.Messages?.[0]?.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      ),
    ).rejects.toBeInstanceOf(MessageNotInflight);
    await expect(
      client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'not-a-handle' })),
    ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
  });

  it('purges a queue and counts what it holds', async () => {
    const url = await newQueue('purge');
    sqs.send(url, 'a');
    sqs.send(sqs.ensureQueue('purge').arn, 'b');
    expect(sqs.depth(url)).toBe(2);
    const counts = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(counts.Attributes).toEqual({ ApproximateNumberOfMessages: '2' });
    await client.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(sqs.depth(url)).toBe(0);
  });

  it('raises QueueDoesNotExist, as the real service does, for a queue that does not exist', async () => {
    const missing = `${sqs.endpoint}/000000000000/nowhere`;
    const error = await client
      .send(new GetQueueUrlCommand({ QueueName: 'nowhere' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueDoesNotExist);
    expect(error).toMatchObject({
      name: 'QueueDoesNotExist',
      message: 'The specified queue does not exist.',
      $metadata: { httpStatusCode: 400 },
      Error: { Code: 'AWS.SimpleQueueService.NonExistentQueue', Type: 'Sender' },
    });
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: missing, MessageBody: 'x' })),
    ).rejects.toBeInstanceOf(QueueDoesNotExist);
    expect(() => sqs.send(missing, 'x')).toThrow(/does not exist/);
  });
});
