// `npm run backfill:recommendations -- [--dynamodb <endpoint>] [--table <name>] [--concurrency <n>]`:
// rebuilds the recommendation aggregates from the orders already in a table (idempotent: an
// order applied before, by the stream consumer or an earlier run, is skipped).
//   --dynamodb     the DynamoDB Local that `npm start` runs (it prints the endpoint); the table is
//                  its shop-local-* table unless --table names one
//   --table        a deployed table, through the standard AWS credential chain and region
//                  (AWS_PROFILE, AWS_REGION, ...), e.g. --table shop-prod-data-Table...
//   --concurrency  orders applied at once (default 4)
import { parseArgs } from 'node:util';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { useTable } from '../functions/core/db.ts';
import { type BackfillProgress, backfillRecommendations } from '../lib/admin/backfill-recommendations.ts';

const USAGE =
  'Usage: npm run backfill:recommendations -- --dynamodb <endpoint> | --table <name> [--concurrency <n>]';

const { values } = parseArgs({
  options: {
    dynamodb: { type: 'string' },
    table: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
  },
});
const concurrency = Number(values.concurrency);
if (!values.dynamodb && !values.table) {
  console.error(
    `${USAGE}\nGive --dynamodb for the local backend (npm start prints it), --table for a deployed one.`,
  );
  process.exit(2);
}
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 50) {
  console.error(`${USAGE}\n--concurrency must be an integer from 1 to 50.`);
  process.exit(2);
}

const raw = values.dynamodb
  ? new DynamoDBClient({
      endpoint: values.dynamodb,
      region: 'us-east-1',
      // DynamoDB Local checks the shape of credentials, not their value.
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    })
  : new DynamoDBClient({});

/** The table: as given, or the one table `npm start` created in the local DynamoDB. */
async function tableName(): Promise<string> {
  if (values.table) return values.table;
  const { TableNames = [] } = await raw.send(new ListTablesCommand({}));
  const local = TableNames.filter((name) => name.startsWith('shop-local-'));
  if (local.length !== 1) {
    throw new Error(
      `Expected one shop-local-* table at ${values.dynamodb}, found ${local.length} (${TableNames.join(', ') || 'none'}); name it with --table.`,
    );
  }
  return local[0] as string;
}

const line = ({ status, read, outcomes }: BackfillProgress) =>
  `${status.padEnd(9)} orders read ${read} · applied ${outcomes.applied} · already applied ${
    outcomes['already applied']
  } · cancellations taken back ${outcomes['taken back']}`;

try {
  const name = await tableName();
  useTable(DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }), name);
  console.error(`• Rebuilding recommendation aggregates in ${name} from its orders (gsi2, by status)...`);
  const started = Date.now();
  // A progress line that rewrites itself on a terminal, one line per page otherwise (CI logs).
  const done = await backfillRecommendations({
    concurrency,
    onProgress: (progress) =>
      process.stderr.write(process.stderr.isTTY ? `\r${line(progress)}` : `${line(progress)}\n`),
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  console.log(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${line(done)}`);
} catch (error) {
  console.error(`\nBackfill failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  raw.destroy();
}
