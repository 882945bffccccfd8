// `npm run backfill:recommendations -- --dynamodb <endpoint> | --table <name>`: rebuilds the
// recommendation aggregates from the orders in a table. `-- --help` lists the options.
import { exitWithUsage, readCommandLine } from '../lib/cli/command-line.ts';

const BACKFILL_COMMAND = {
  command: 'npm run backfill:recommendations',
  summary:
    'Rebuilds the recommendation aggregates from the orders already in a table (idempotent: an order ' +
    'applied before, by the stream consumer or an earlier run, is skipped).',
  options: {
    dynamodb: {
      type: 'string',
      placeholder: '<endpoint>',
      describe: 'the DynamoDB Local npm start runs (it prints it); its shop-local-* table unless --table',
    },
    table: {
      type: 'string',
      placeholder: '<name>',
      describe:
        'a deployed table, through the standard AWS credential chain and region (AWS_PROFILE, AWS_REGION)',
    },
    concurrency: {
      type: 'integer',
      placeholder: 'N',
      min: 1,
      max: 50,
      default: 4,
      describe: 'orders applied at once',
    },
  },
} as const;
const { values } = readCommandLine(BACKFILL_COMMAND);
const { concurrency } = values;
if (!values.dynamodb && !values.table) {
  exitWithUsage(
    BACKFILL_COMMAND,
    'give --dynamodb for the local backend (npm start prints it), --table for a deployed one.',
  );
}

// Loaded after the command line is known to be fine: --help and a typo answer at once.
const { DynamoDBClient, ListTablesCommand } = await import('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
const { useTable } = await import('../functions/core/db.ts');
const { backfillRecommendations } = await import('../lib/admin/backfill-recommendations.ts');
type BackfillProgress = import('../lib/admin/backfill-recommendations.ts').BackfillProgress;

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
