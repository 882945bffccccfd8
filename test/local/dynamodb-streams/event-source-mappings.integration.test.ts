import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { PurgeQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type CfnResource,
  readCloudAssembly,
  resourcesOfType,
  TemplateResolver,
} from '../../../lib/local/cloudformation/template.ts';
import { ensureTable } from '../../../lib/local/dynamodb/table.ts';
import {
  type EventSourceMappings,
  startEventSourceMappings,
} from '../../../lib/local/dynamodb-streams/index.ts';
import { LocalFunction } from '../../../lib/local/lambda/function.ts';
import { lambdaEnvironment } from '../../../lib/local/lambda/spec.ts';
import { type LocalSqs, startLocalSqs } from '../../../lib/local/sqs/index.ts';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
/** One table per test file, so files share DynamoDB Local without seeing each other's records. */
const TABLE_PREFIX = `streams-${randomUUID().slice(0, 8)}-`;

/** The table lives in one stack and exports its stream, as the shop's stateful stack does. */
const TABLE: CfnResource = {
  Type: 'AWS::DynamoDB::Table',
  Properties: {
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
  },
};

interface Delivery {
  outcome: 'ok' | 'partial' | 'threw';
  failures: string[];
  records: { key: string; sequenceNumber: string; eventName: string }[];
  event: { Records: Record<string, unknown>[] };
}

/**
 * A cloud assembly on disk with two stacks: `data` (the table, exporting its stream ARN) and
 * `app` (a consumer function, a dead-letter queue, and the event source mapping under test,
 * which imports the stream ARN across stacks).
 */
function writeAssembly(dir: string, mapping: Record<string, unknown>): void {
  const data = {
    Resources: { Table: TABLE },
    Outputs: {
      StreamArn: { Value: { 'Fn::GetAtt': ['Table', 'StreamArn'] }, Export: { Name: 'data:TableStreamArn' } },
    },
  };
  const app = {
    Resources: {
      Dlq: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1209600 } },
      Consumer: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Handler: 'stream-consumer.handler',
          Runtime: 'nodejs24.x',
          Timeout: 5,
          MemorySize: 256,
        },
        Metadata: { 'aws:asset:path': FIXTURES },
      },
      ConsumerEvents: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          EventSourceArn: { 'Fn::ImportValue': 'data:TableStreamArn' },
          FunctionName: { Ref: 'Consumer' },
          StartingPosition: 'LATEST',
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['Dlq', 'Arn'] } } },
          ...mapping,
        },
      },
    },
  };
  writeFileSync(path.join(dir, 'data.template.json'), JSON.stringify(data));
  writeFileSync(path.join(dir, 'app.template.json'), JSON.stringify(app));
  writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      artifacts: {
        data: {
          type: 'aws:cloudformation:stack',
          properties: { templateFile: 'data.template.json', stackName: 'data' },
        },
        app: {
          type: 'aws:cloudformation:stack',
          properties: { templateFile: 'app.template.json', stackName: 'app' },
        },
      },
    }),
  );
}

describe('event source mappings on DynamoDB Local streams', () => {
  const dynamodb = new DynamoDBClient({
    endpoint: inject('dynamodbEndpoint'),
    region: 'us-east-1',
    credentials: CREDENTIALS,
  });
  const tableName = `${TABLE_PREFIX}Table`;
  let sqs: LocalSqs;
  let sqsClient: SQSClient;
  /** Mappings and functions started by the running test: each test stops its own. */
  const running: (() => Promise<void>)[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    await ensureTable(dynamodb, TABLE, tableName);
    sqs = await startLocalSqs();
    sqsClient = new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  });

  afterEach(async () => {
    for (const stop of running.splice(0).reverse()) await stop();
  });

  afterAll(async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    sqsClient.destroy();
    await sqs.stop();
    dynamodb.destroy();
  });

  /** Starts the mappings of an assembly made for one test; its consumer logs to its own file. */
  async function start(
    mapping: Record<string, unknown>,
    options: { checkpointFile?: string; dir?: string } = {},
  ): Promise<{
    esm: EventSourceMappings;
    deliveries: () => Delivery[];
    lines: string[];
    dir: string;
    stop: () => Promise<void>;
  }> {
    const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'esm-test-'));
    if (!options.dir) dirs.push(dir);
    writeAssembly(dir, mapping);
    const assembly = readCloudAssembly(dir);
    const resolver = new TemplateResolver(assembly, {
      tableNamePrefix: TABLE_PREFIX,
      sqsEndpoint: sqs.endpoint,
    });
    const logFile = path.join(dir, 'deliveries.jsonl');
    const functions = new Map<string, LocalFunction>();
    for (const { stackName, logicalId, resource } of resourcesOfType(assembly, 'AWS::Lambda::Function')) {
      const props = resource.Properties ?? {};
      const codeDir = path.resolve(dir, String(resource.Metadata?.['aws:asset:path']));
      const functionName = resolver.resource(stackName, logicalId).ref;
      functions.set(
        logicalId,
        new LocalFunction(
          {
            logicalId,
            functionName,
            codeDir,
            handler: String(props.Handler),
            timeoutSeconds: Number(props.Timeout),
            memoryMb: Number(props.MemorySize),
            environment: {
              ...lambdaEnvironment(functionName, codeDir, String(props.Handler), props, CREDENTIALS),
              CONSUMER_LOG: logFile,
            },
          },
          () => undefined,
        ),
      );
    }
    const lines: string[] = [];
    const esm = await startEventSourceMappings({
      assembly,
      resolver,
      functions,
      dynamodbEndpoint: inject('dynamodbEndpoint'),
      sqs,
      log: (line) => lines.push(line),
      pollIntervalMs: 50,
      checkpointFile: options.checkpointFile,
    });
    // Each test reads the dead-letter queue from empty.
    await sqsClient.send(new PurgeQueueCommand({ QueueUrl: sqs.ensureQueue('app-Dlq').url }));
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await esm.stop();
      await Promise.all([...functions.values()].map((fn) => fn.stop()));
    };
    running.push(stop);
    const deliveries = () =>
      existsSync(logFile)
        ? readFileSync(logFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as Delivery)
        : [];
    return { esm, deliveries, lines, dir, stop };
  }

  const run = () => randomUUID().slice(0, 8);
  const item = (pk: string, attributes: Record<string, AttributeValue> = {}) => ({
    pk: { S: pk },
    ...attributes,
  });
  /** Writes items in one request, so that they reach the stream together. */
  const writeTogether = (items: Record<string, AttributeValue>[]) =>
    dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: { [tableName]: items.map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
  const keysOf = (deliveries: Delivery[]) =>
    deliveries.flatMap((delivery) => delivery.records.map((r) => r.key));
  const dlqMessages = async () => {
    const url = sqs.ensureQueue('app-Dlq').url;
    const received = await sqsClient.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
    return (received.Messages ?? []).map((message) => JSON.parse(message.Body as string));
  };

  it('delivers only the records matching the filter, in order, in batches no larger than BatchSize, shaped as Lambda delivers them', async () => {
    const { esm, deliveries } = await start({
      BatchSize: 3,
      MaximumBatchingWindowInSeconds: 1,
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT', 'MODIFY'],
              dynamodb: { NewImage: { kind: { S: ['order'] } } },
            }),
          },
        ],
      },
    });
    expect(esm.mappings).toEqual([
      expect.objectContaining({ logicalId: 'ConsumerEvents', functionLogicalId: 'Consumer', tableName }),
    ]);
    const id = run();
    const expected: string[] = [];
    for (let n = 0; n < 10; n++) {
      const kind = n % 3 === 0 ? 'other' : 'order';
      const pk = `${id}#${n}`;
      await dynamodb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: item(pk, { kind: { S: kind }, n: { N: String(n) }, blob: { B: new Uint8Array([n, 255]) } }),
        }),
      );
      if (kind === 'order') expected.push(pk);
    }
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: `${id}#1` } },
        UpdateExpression: 'SET n = :n',
        ExpressionAttributeValues: { ':n': { N: '100' } },
      }),
    );
    expected.push(`${id}#1`);
    await dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: `${id}#2` } } }));
    await esm.idle();

    const got = deliveries();
    expect(keysOf(got)).toEqual(expected);
    for (const delivery of got) expect(delivery.records.length).toBeLessThanOrEqual(3);
    expect(got.some((delivery) => delivery.records.length === 3)).toBe(true);
    const sequenceNumbers = got.flatMap((delivery) => delivery.records.map((r) => BigInt(r.sequenceNumber)));
    expect(sequenceNumbers).toEqual([...sequenceNumbers].sort((a, b) => (a < b ? -1 : 1)));

    const [first] = got[0]?.event.Records ?? [];
    expect(Object.keys(first ?? {})).toEqual([
      'eventID',
      'eventName',
      'eventVersion',
      'eventSource',
      'awsRegion',
      'dynamodb',
      'eventSourceARN',
    ]);
    expect(first).toEqual({
      eventID: expect.any(String),
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        ApproximateCreationDateTime: expect.any(Number),
        Keys: { pk: { S: `${id}#1` } },
        NewImage: {
          pk: { S: `${id}#1` },
          kind: { S: 'order' },
          n: { N: '1' },
          blob: { B: Buffer.from([1, 255]).toString('base64') },
        },
        SequenceNumber: expect.stringMatching(/^\d{21}$/),
        SizeBytes: expect.any(Number),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: expect.stringMatching(new RegExp(`:table/${tableName}/stream/`)),
    });
    const seconds = Number(
      (first?.dynamodb as { ApproximateCreationDateTime?: number } | undefined)?.ApproximateCreationDateTime,
    );
    expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(120);
    const modify = got
      .flatMap((delivery) => delivery.event.Records)
      .find((record) => record.eventName === 'MODIFY');
    expect(modify?.dynamodb).toMatchObject({ OldImage: { n: { N: '1' } }, NewImage: { n: { N: '100' } } });
  });

  it('retries a reported failure from that record, and does not deliver the records before it again', async () => {
    const { esm, deliveries, lines } = await start({
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 3,
    });
    const id = run();
    await writeTogether([item(`${id}#a`), item(`${id}#b`, { failTimes: { N: '1' } }), item(`${id}#c`)]);
    await esm.idle();

    const got = deliveries();
    expect(got.map((delivery) => [delivery.outcome, delivery.records.map((r) => r.key)])).toEqual([
      ['partial', [`${id}#a`, `${id}#b`, `${id}#c`]],
      ['ok', [`${id}#b`, `${id}#c`]],
    ]);
    expect(got[0]?.failures).toEqual([got[0]?.records[1]?.sequenceNumber]);
    expect(lines.filter((line) => line.includes('reported failed'))).toHaveLength(1);
  });

  it('sends a poison record, once its retries are exhausted, to the on-failure queue with the records after it, and moves on', async () => {
    const { esm, deliveries, lines } = await start({
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 2,
    });
    const id = run();
    await writeTogether([item(`${id}#a`), item(`${id}#poison`, { poison: { BOOL: true } }), item(`${id}#c`)]);
    await esm.idle();
    await dynamodb.send(new PutItemCommand({ TableName: tableName, Item: item(`${id}#after`) }));
    await esm.idle();

    const got = deliveries();
    const [first] = got;
    const [, poison, c] = first?.records ?? [];
    expect(got.map((delivery) => delivery.records.map((r) => r.key))).toEqual([
      [`${id}#a`, `${id}#poison`, `${id}#c`],
      [`${id}#poison`, `${id}#c`],
      [`${id}#poison`, `${id}#c`],
      [`${id}#after`],
    ]);
    const messages = await dlqMessages();
    expect(messages).toEqual([
      {
        requestContext: {
          requestId: expect.any(String),
          functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:app-Consumer',
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 3,
        },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: null },
        version: '1.0',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        DDBStreamBatchInfo: {
          shardId: expect.stringMatching(/^shardId-/),
          startSequenceNumber: poison?.sequenceNumber,
          endSequenceNumber: c?.sequenceNumber,
          approximateArrivalOfFirstRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          approximateArrivalOfLastRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          batchSize: 2,
          streamArn: first?.event.Records[0]?.eventSourceARN,
        },
      },
    ]);
    expect(lines.filter((line) => line.includes('on-failure record sent to app-Dlq'))).toHaveLength(1);
  });

  it('isolates a throwing record by bisecting the batch, and the rest gets through', async () => {
    const { esm, deliveries } = await start({
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 1,
    });
    const id = run();
    const keys = [1, 2, 3, 4].map((n) => `${id}#${n}`);
    await writeTogether(keys.map((pk, i) => item(pk, i === 2 ? { explode: { BOOL: true } } : {})));
    await esm.idle();

    const got = deliveries();
    expect(got.map((delivery) => [delivery.outcome, delivery.records.map((r) => r.key)])).toEqual([
      ['threw', keys],
      ['ok', [keys[0], keys[1]]],
      ['threw', [keys[2], keys[3]]],
      ['threw', [keys[2]]],
      ['threw', [keys[2]]],
      ['ok', [keys[3]]],
    ]);
    const exploded = got.at(-2)?.records[0]?.sequenceNumber;
    const messages = await dlqMessages();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted' },
      responseContext: { functionError: 'Unhandled' },
      DDBStreamBatchInfo: { startSequenceNumber: exploded, endSequenceNumber: exploded, batchSize: 1 },
    });
  });

  it('discards a failing record once it is older than MaximumRecordAgeInSeconds, even with retries left', async () => {
    const { esm, deliveries, lines } = await start({
      MaximumRecordAgeInSeconds: 1,
      MaximumRetryAttempts: -1,
    });
    expect(lines).toContain(
      '[ConsumerEvents] MaximumRetryAttempts -1 (infinite) is capped at 10 retries locally',
    );
    const id = run();
    await dynamodb.send(
      new PutItemCommand({ TableName: tableName, Item: item(`${id}#old`, { explode: { BOOL: true } }) }),
    );
    await esm.idle();

    const attempts = deliveries().length;
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThan(11);
    const messages = await dlqMessages();
    expect(messages).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({
          condition: 'RecordAgeExceeded',
          approximateInvokeCount: attempts,
        }),
        DDBStreamBatchInfo: expect.objectContaining({ batchSize: 1 }),
      }),
    ]);
  });

  it('resumes after the last handled record when restarted with a checkpoint file: nothing lost, nothing handled twice', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'esm-checkpoint-'));
    dirs.push(dir);
    const checkpointFile = path.join(dir, 'state', 'checkpoints.json');
    const id = run();

    const before = await start({ BatchSize: 10 }, { checkpointFile, dir });
    await writeTogether([item(`${id}#1`), item(`${id}#2`)]);
    await before.esm.idle();
    await before.stop();
    const saved = JSON.parse(readFileSync(checkpointFile, 'utf8'));
    expect(Object.values(saved.mappings['app/ConsumerEvents'].shards)).toEqual([
      { sequenceNumber: before.deliveries().at(-1)?.records.at(-1)?.sequenceNumber },
    ]);

    await writeTogether([item(`${id}#3`), item(`${id}#4`)]);
    const after = await start({ BatchSize: 10 }, { checkpointFile, dir });
    await after.esm.idle();
    expect(keysOf(after.deliveries())).toEqual([`${id}#1`, `${id}#2`, `${id}#3`, `${id}#4`]);

    // Without the file, LATEST starts after what is in the stream: what was written while stopped is lost.
    await after.stop();
    await writeTogether([item(`${id}#5`)]);
    const fresh = await start({ BatchSize: 10 });
    await fresh.esm.idle();
    expect(keysOf(fresh.deliveries())).toEqual([]);
  });

  it('resolves idle() once the consumer has caught up, and rejects it naming what is still pending', async () => {
    const { esm, deliveries } = await start({ BatchSize: 2 });
    const id = run();
    const keys = [1, 2, 3, 4, 5].map((n) => `${id}#${n}`);
    await writeTogether(keys.map((pk, i) => item(pk, i === 0 ? { sleepMs: { N: '1500' } } : {})));
    await expect(esm.idle(300)).rejects.toThrow(
      /not idle after 300 ms: .*\[ConsumerEvents\] shard shardId-\S+: /,
    );
    await esm.idle(10_000);
    expect(keysOf(deliveries())).toEqual(keys);
  });
});
