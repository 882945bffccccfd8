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

/** Creates every `AWS::DynamoDB::Table` of the template that does not exist yet, under its local name. */
export async function ensureTemplateTables(
  client: DynamoDBClient,
  resolver: TemplateResolver,
): Promise<LocalTable[]> {
  const tables: LocalTable[] = [];
  for (const { stackName, logicalId, resource } of resourcesOfType(
    resolver.assembly,
    'AWS::DynamoDB::Table',
  )) {
    const name = resolver.resource(stackName, logicalId).ref;
    tables.push({ logicalId, name, created: await ensureTable(client, resource, name) });
  }
  return tables;
}
