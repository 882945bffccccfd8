import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type CfnResource, resourcesOfType, type TemplateResolver } from '../cloudformation/template.ts';

/**
 * Turns the template's `AWS::DynamoDB::Table` properties into a CreateTable request, so the
 * local table has exactly the keys, indexes, billing mode and stream the stack deploys.
 */
export function createTableInput(resource: CfnResource, tableName: string): CreateTableCommandInput {
  const p = (resource.Properties ?? {}) as Record<string, unknown>;
  return {
    TableName: tableName,
    KeySchema: p.KeySchema as CreateTableCommandInput['KeySchema'],
    AttributeDefinitions: p.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    BillingMode: (p.BillingMode as CreateTableCommandInput['BillingMode']) ?? 'PROVISIONED',
    ProvisionedThroughput: p.ProvisionedThroughput as CreateTableCommandInput['ProvisionedThroughput'],
    GlobalSecondaryIndexes: p.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'],
    LocalSecondaryIndexes: p.LocalSecondaryIndexes as CreateTableCommandInput['LocalSecondaryIndexes'],
    StreamSpecification: p.StreamSpecification
      ? { StreamEnabled: true, ...(p.StreamSpecification as { StreamViewType: 'NEW_AND_OLD_IMAGES' }) }
      : undefined,
    DeletionProtectionEnabled: p.DeletionProtectionEnabled as boolean | undefined,
  };
}

/** Creates the table unless it exists. Returns whether it was created (so seeding happens once). */
export async function ensureTable(
  client: DynamoDBClient,
  resource: CfnResource,
  tableName: string,
): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return false;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(new CreateTableCommand(createTableInput(resource, tableName)));
  await applyTimeToLive(client, resource, tableName);
  return true;
}

/** Turns on the template's TTL attribute (CreateTable cannot: it is a separate call). */
export async function applyTimeToLive(
  client: DynamoDBClient,
  resource: CfnResource,
  tableName: string,
): Promise<void> {
  const ttl = (resource.Properties?.TimeToLiveSpecification ?? undefined) as
    | { AttributeName: string; Enabled: boolean }
    | undefined;
  if (ttl?.Enabled) {
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { ...ttl } }),
    );
  }
}

/** A table of the template, as a local backend has it. */
export interface LocalTable {
  readonly logicalId: string;
  readonly name: string;
  /** Created by this run (false: it was kept from an earlier one). */
  readonly created: boolean;
}

/**
 * A table created before its template existed (while the app synthesizes), from the app's own
 * definition of it, so that work needing only the table can start early.
 */
export interface TableAhead {
  readonly logicalId: string;
  /** The app's definition (an `AWS::DynamoDB::Table`): checked against the template's once it exists. */
  readonly resource: CfnResource;
  /** Whether this run created it (false: it was kept from an earlier run). */
  readonly created: boolean;
}

/** JSON with object keys sorted: two definitions compare equal whatever order they list properties in. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );

/**
 * The properties of the table a local backend creates (what CreateTable and TTL take) on which
 * two definitions of it differ; none when they would create the same table.
 */
export function tableDifferences(template: CfnResource, other: CfnResource): string[] {
  const shape = (resource: CfnResource): Record<string, unknown> => ({
    ...createTableInput(resource, ''),
    TimeToLiveSpecification: resource.Properties?.TimeToLiveSpecification,
  });
  const [expected, actual] = [shape(template), shape(other)];
  return Object.keys(expected).filter((key) => canonical(expected[key]) !== canonical(actual[key]));
}

/**
 * Checks a table created ahead against the template: the template is the truth, and a
 * definition that drifted from it must fail the start, not serve a table the stack would not
 * deploy.
 */
function checkAhead(ahead: TableAhead, template: CfnResource | undefined): void {
  if (!template) {
    throw new Error(
      `The table ${ahead.logicalId} was created before the synthesis, but the template has no table ` +
        'of that logical id: the table definition and the stack disagree.',
    );
  }
  const differences = tableDifferences(template, ahead.resource);
  if (differences.length > 0) {
    throw new Error(
      `The table ${ahead.logicalId} was created before the synthesis from a definition that differs ` +
        `from the template in ${differences.join(', ')}: the table definition and the stack disagree.`,
    );
  }
}

/**
 * Creates every `AWS::DynamoDB::Table` of the template that does not exist yet, under its local
 * name. Tables created `ahead` are checked against the template first and count as created by
 * this run (their seeding is still to come).
 */
export async function ensureTemplateTables(
  client: DynamoDBClient,
  resolver: TemplateResolver,
  ahead: readonly TableAhead[] = [],
): Promise<LocalTable[]> {
  const templateTables = resourcesOfType(resolver.assembly, 'AWS::DynamoDB::Table');
  for (const early of ahead) {
    checkAhead(early, templateTables.find((table) => table.logicalId === early.logicalId)?.resource);
  }
  const tables: LocalTable[] = [];
  for (const { stackName, logicalId, resource } of templateTables) {
    const name = resolver.resource(stackName, logicalId).ref;
    const createdAhead = ahead.find((early) => early.logicalId === logicalId)?.created ?? false;
    const created = await ensureTable(client, resource, name);
    tables.push({ logicalId, name, created: created || createdAhead });
  }
  return tables;
}
