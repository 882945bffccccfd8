import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { CfnResource } from '../cloudformation/template.ts';

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
