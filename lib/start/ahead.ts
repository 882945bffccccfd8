// npm start's first start on sources it has not synthesized yet: the synthesis takes most of
// it (a child process: CDK and one esbuild build of every function), and the table and the
// demo data that needs only the table do not have to wait for it. The table is created from
// the same definition the data stack builds it from, and checked against the template once the
// synthesis is done (lib/local/dynamodb/table.ts): the template stays the truth.
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { environmentConfig } from '../config/environments.ts';
import { SHOP_TABLE_LOGICAL_ID, shopTableResource } from '../constructs/table-definition.ts';
import { type DemoSeedOptions, type DemoTableSeed, seedDemoAhead } from '../demo/backend-hooks.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/account.ts';
import { DEFAULT_TABLE_NAME_PREFIX } from '../local/backend.ts';
import { ensureTable, type TableAhead } from '../local/dynamodb/table.ts';

/** The table and the demo data being written while the app synthesizes. */
export interface StartAhead {
  /** The table, once created (or found: a kept one is not seeded again). */
  readonly tables: Promise<TableAhead[]>;
  /** The seeding that needs the table only; undefined when the table was kept from an earlier run. */
  readonly seed: Promise<DemoTableSeed | undefined>;
  /**
   * Its steps, in ms, as they finish: `tableAhead` (from the call: Java's boot and the table's
   * creation) and `seedingAhead` (the seeding's own time). They overlap the synthesis.
   */
  readonly startupMs: Readonly<Record<string, number>>;
  /**
   * Drops the table if this run created it: a start that fails or is stopped before it is ready
   * must not leave a half-seeded table that the next start would keep. Never rejects.
   */
  discard(): Promise<void>;
}

/** How long a discard may hold up an exit (Ctrl+C must stay quick). */
const DISCARD_TIMEOUT_MS = 5_000;

export interface StartAheadOptions {
  /** DynamoDB's endpoint, once it accepts connections (DynamoDB Local still booting, say). */
  readonly dynamodbEndpoint: Promise<string>;
  /** As the backend's `tableNamePrefix` will be. */
  readonly tableNamePrefix?: string;
  readonly seed: DemoSeedOptions;
}

/**
 * Creates the shop's table as soon as DynamoDB accepts connections, and starts the demo seeding
 * that needs only the table. Nothing here rejects unhandled: the backend's start awaits `tables`
 * and `seed` and fails with their errors.
 */
export function startAhead(options: StartAheadOptions): StartAhead {
  const tableName = `${options.tableNamePrefix ?? DEFAULT_TABLE_NAME_PREFIX}${SHOP_TABLE_LOGICAL_ID}`;
  const resource = shopTableResource(environmentConfig('local'));
  const connect = (endpoint: string) =>
    new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const startupMs: Record<string, number> = {};
  const started = performance.now();
  const table = options.dynamodbEndpoint.then(async (endpoint) => {
    const client = connect(endpoint);
    try {
      const created = await ensureTable(client, resource, tableName);
      startupMs.tableAhead = Math.round(performance.now() - started);
      return { logicalId: SHOP_TABLE_LOGICAL_ID, resource, created, endpoint };
    } finally {
      client.destroy();
    }
  });
  const seeded = table.then(async ({ created, endpoint }) => {
    if (!created) return undefined;
    const seedStarted = performance.now();
    // The backend's seeding hook points the stores at its own client once this is done.
    const client = connect(endpoint);
    try {
      const done = await seedDemoAhead(client, tableName, options.seed);
      startupMs.seedingAhead = Math.round(performance.now() - seedStarted);
      return done;
    } finally {
      client.destroy();
    }
  });
  table.catch(() => undefined);
  seeded.catch(() => undefined);
  return {
    tables: table.then(({ logicalId, created }) => [{ logicalId, resource, created }]),
    seed: seeded,
    startupMs,
    discard: async () => {
      const drop = table.then(async ({ created, endpoint }) => {
        if (!created) return;
        const client = connect(endpoint);
        try {
          await client.send(new DeleteTableCommand({ TableName: tableName }));
        } finally {
          client.destroy();
        }
      });
      await Promise.race([
        drop.catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, DISCARD_TIMEOUT_MS).unref()),
      ]);
    },
  };
}
