import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  type TransactWriteCommandOutput,
  UpdateCommand,
  type UpdateCommandInput,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { AWS_CLIENT_CONFIG } from './client-timeouts.ts';
import { declareEnv, requireEnv } from './config.ts';
import { ConcurrentUpdate } from './domain-errors.ts';
import { traced } from './tracing.ts';

/** Names of the table's generic key attributes; stores build their values, never other code. */
export const TABLE_KEYS = {
  pk: 'pk',
  sk: 'sk',
  gsi1pk: 'gsi1pk',
  gsi1sk: 'gsi1sk',
  gsi2pk: 'gsi2pk',
  gsi2sk: 'gsi2sk',
};
export const INDEX = { gsi1: 'gsi1', gsi2: 'gsi2' } as const;

declareEnv('TABLE_NAME');

let cached: { client: DynamoDBDocumentClient; tableName: string } | undefined;

/**
 * Points this process's stores at a given client and table: for seeding and tests, which
 * run stores outside a Lambda function. Functions never call it.
 */
export function useTable(client: DynamoDBDocumentClient, tableName: string): void {
  cached = { client, tableName };
}

/**
 * The table and a document client, created once per function instance. The endpoint comes
 * from the SDK's standard `AWS_ENDPOINT_URL_DYNAMODB` when set (the local runtime sets it),
 * so no code path differs between local and deployed. Timeouts and retries are explicit
 * (`client-timeouts.ts`); a call that still fails for want of DynamoDB becomes a 503 problem in
 * `http()` (see `isDependencyFailure` in errors.ts).
 */
export function table(): { client: DynamoDBDocumentClient; tableName: string } {
  if (!cached) {
    const tableName = requireEnv('TABLE_NAME');
    const client = DynamoDBDocumentClient.from(traced(new DynamoDBClient({ ...AWS_CLIENT_CONFIG })), {
      marshallOptions: { removeUndefinedValues: true },
    });
    cached = { client, tableName };
  }
  return cached;
}

/**
 * Whether a write failed on its condition: a plain conditional write, or (with `index`) the
 * given item of a cancelled transaction. Stores turn these into 404/409/412, never callers.
 */
export function isConditionFailure(error: unknown, index?: number): boolean {
  if (error instanceof Error && error.name === 'TransactionCanceledException') {
    const codes = cancellationCodes(error);
    return index === undefined
      ? codes.includes('ConditionalCheckFailed')
      : codes[index] === 'ConditionalCheckFailed';
  }
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Why DynamoDB cancelled a transaction, item by item (`None` for items that were fine). */
function cancellationCodes(error: Error): (string | undefined)[] {
  const reasons = (error as Error & { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code);
}

const CONFLICT_RETRIES = 4;
const MAX_BACKOFF_MS = 400;

/**
 * Whether DynamoDB refused a write only because a transaction was writing the same item at
 * that moment: nothing was written, and trying again is right. A cancelled transaction
 * counts only if no condition failed (those are the caller's to interpret).
 */
function isConflictOnly(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TransactionConflictException') return true;
  if (error.name !== 'TransactionCanceledException') return false;
  const codes = cancellationCodes(error);
  return codes.includes('TransactionConflict') && !codes.includes('ConditionalCheckFailed');
}

/**
 * Runs a write, retrying it with jittered exponential backoff (25-50 ms, 50-100 ms, ..., at most
 * 400-800 ms) while DynamoDB refuses it for a transaction conflict, which under load on a popular
 * product or a busy order happens and which the SDK does not retry. A conflict that outlasts the
 * retries is a `ConcurrentUpdate` (409: the client may simply repeat).
 */
async function retryingConflicts<T>(write: () => Promise<T>, retries = CONFLICT_RETRIES): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isConflictOnly(error)) throw error;
      if (attempt >= retries) {
        throw new ConcurrentUpdate(error);
      }
      // Capped so that a caller asking for many retries still answers within a function's timeout.
      const base = Math.min(25 * 2 ** attempt, MAX_BACKOFF_MS);
      await new Promise((resolve) => setTimeout(resolve, base + Math.random() * base));
    }
  }
}

export interface TransactWriteOptions {
  /**
   * How often a transaction refused for a conflict is tried again (default 4). Writers that
   * many requests aim at the same items at once (messages of one busy conversation) ask for more.
   */
  readonly conflictRetries?: number;
}

/** TransactWriteItems, retried on transaction conflicts (see `retryingConflicts`). */
export function transactWrite(
  input: TransactWriteCommandInput,
  options: TransactWriteOptions = {},
): Promise<TransactWriteCommandOutput> {
  const { client } = table();
  return retryingConflicts(() => client.send(new TransactWriteCommand(input)), options.conflictRetries);
}

/** UpdateItem, retried on transaction conflicts: for items that transactions also write. */
export function updateItem(input: UpdateCommandInput): Promise<UpdateCommandOutput> {
  const { client } = table();
  return retryingConflicts(() => client.send(new UpdateCommand(input)));
}

/**
 * `SET #a = :<prefix>a, ...` parts for the defined fields of a partial update; callers may push
 * more. The prefix keeps value names apart from a caller's own (`:to`, `:now`...).
 */
export function setFields(
  fields: Record<string, unknown>,
  prefix = '',
): {
  sets: string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  const sets: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${prefix}${field}`] = value;
    sets.push(`#${field} = :${prefix}${field}`);
  }
  return { sets, names, values };
}

type WriteRequest =
  | { DeleteRequest: { Key: Record<string, unknown> } }
  | { PutRequest: { Item: Record<string, unknown> } };

/**
 * Runs write requests 25 per BatchWriteItem, retrying unprocessed ones with a growing pause
 * (throttling). For work where each write stands on its own (clean-ups, seeding);
 * `onProgress` hears how many are done after each batch.
 */
async function batchWrite(
  requests: readonly WriteRequest[],
  onProgress?: (done: number) => void,
): Promise<void> {
  const { client, tableName } = table();
  for (let i = 0; i < requests.length; i += 25) {
    let request: Record<string, WriteRequest[]> | undefined = { [tableName]: requests.slice(i, i + 25) };
    for (let round = 0; request && Object.keys(request).length > 0; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** round, 2000)));
      const out = await client.send(new BatchWriteCommand({ RequestItems: request }));
      request = out.UnprocessedItems as typeof request;
    }
    onProgress?.(Math.min(i + 25, requests.length));
  }
}

/** Deletes items by key, in batches (see `batchWrite`): for erasure-style clean-ups. */
export function deleteKeys(keys: readonly { pk: string; sk: string }[]): Promise<void> {
  return batchWrite(keys.map((Key) => ({ DeleteRequest: { Key } })));
}

/** Puts whole items, unconditionally, in batches (see `batchWrite`): for seeding, never requests. */
export function putItems(
  items: readonly Record<string, unknown>[],
  onProgress?: (done: number) => void,
): Promise<void> {
  return batchWrite(
    items.map((Item) => ({ PutRequest: { Item } })),
    onProgress,
  );
}

/**
 * Items by key in one BatchGetItem (at most 100 distinct keys), asking again for what DynamoDB
 * left unprocessed (throttling, or more than 16 MB). Missing items are simply not returned.
 */
export async function batchGet(
  keys: readonly Record<string, unknown>[],
  options: { consistent: boolean },
): Promise<Record<string, unknown>[]> {
  const { client, tableName } = table();
  const items: Record<string, unknown>[] = [];
  let pending: Record<string, unknown>[] | undefined = [...keys];
  for (let round = 0; pending && pending.length > 0; round++) {
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** round, 2000)));
    const out: BatchGetCommandOutput = await client.send(
      new BatchGetCommand({
        RequestItems: { [tableName]: { Keys: pending, ConsistentRead: options.consistent } },
      }),
    );
    items.push(...(out.Responses?.[tableName] ?? []));
    pending = out.UnprocessedKeys?.[tableName]?.Keys;
  }
  return items;
}

/**
 * Two items of one partition in ONE Query, e.g. an entity and another domain's item about it:
 * the items with sort keys `fromSk` and `toSk` (`fromSk < toSk`). Whatever sorts between them
 * is read (and paid for) too, so callers choose keys with only small items in between.
 */
export async function getBothInPartition(
  pk: string,
  fromSk: string,
  toSk: string,
): Promise<{ from: Record<string, unknown> | undefined; to: Record<string, unknown> | undefined }> {
  if (fromSk >= toSk) throw new Error(`getBothInPartition: ${fromSk} must sort before ${toSk}.`);
  const { client, tableName } = table();
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': fromSk, ':to': toSk },
    }),
  );
  const items = out.Items ?? [];
  return { from: items.find((item) => item.sk === fromSk), to: items.find((item) => item.sk === toSk) };
}

/**
 * Every item a Query matches, page after page. Only for whole-collection work (export,
 * erasure) on partitions bounded by one user's activity; listings page with a cursor instead.
 */
export async function queryAll(
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): Promise<Record<string, unknown>[]> {
  const { client, tableName } = table();
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({ ...input, TableName: tableName, ExclusiveStartKey: start }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}
