import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { TemplateResolver } from '../../../lib/local/cloudformation/template.ts';
import { ensureTable, ensureTemplateTables } from '../../../lib/local/dynamodb/table.ts';
import { assemblyOf } from '../assembly.ts';

const ASSEMBLY = assemblyOf({
  data: {
    Resources: {
      Table: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
            { AttributeName: 'gsi1pk', AttributeType: 'S' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
          GlobalSecondaryIndexes: [
            {
              IndexName: 'gsi1',
              KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
          StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        },
      },
    },
  },
});

describe("the template's tables in DynamoDB Local", () => {
  const client = new DynamoDBClient({
    endpoint: inject('dynamodbEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const resolver = new TemplateResolver(ASSEMBLY, { tableNamePrefix: `tables-${randomUUID().slice(0, 8)}-` });
  const name = resolver.resource('data', 'Table').ref;

  afterAll(() => client.destroy());

  it('creates each table as the template defines it: keys, indexes, billing, stream and TTL', async () => {
    expect(await ensureTemplateTables(client, resolver)).toEqual([
      { logicalId: 'Table', name, created: true },
    ]);
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: name }));
    expect(table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['gsi1']);
    expect(table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: 'ENABLED',
    });
  });

  it('keeps a table that exists (a restart), and says it did not create it', async () => {
    expect(await ensureTemplateTables(client, resolver)).toEqual([
      { logicalId: 'Table', name, created: false },
    ]);
  });
});

// npm start creates the table from the app's own definition while the app synthesizes
// (lib/start/ahead.ts); the template, once there, is checked against it.
describe('a table created ahead of the template', () => {
  const client = new DynamoDBClient({
    endpoint: inject('dynamodbEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const template = ASSEMBLY.stacks[0]?.template.Resources.Table;
  if (!template) throw new Error('The test assembly has no table.');
  const fresh = () =>
    new TemplateResolver(ASSEMBLY, { tableNamePrefix: `ahead-${randomUUID().slice(0, 8)}-` });

  afterAll(() => client.destroy());

  it('counts as created by this run when the template defines the same table', async () => {
    const resolver = fresh();
    const name = resolver.resource('data', 'Table').ref;
    const created = await ensureTable(client, template, name);
    expect(
      await ensureTemplateTables(client, resolver, [{ logicalId: 'Table', resource: template, created }]),
    ).toEqual([{ logicalId: 'Table', name, created: true }]);
  });

  it('fails the start, naming what differs, when the template defines another table', async () => {
    const resolver = fresh();
    const drifted = {
      ...template,
      Properties: { ...template.Properties, StreamSpecification: { StreamViewType: 'KEYS_ONLY' } },
    };
    await ensureTable(client, drifted, resolver.resource('data', 'Table').ref);
    await expect(
      ensureTemplateTables(client, resolver, [{ logicalId: 'Table', resource: drifted, created: true }]),
    ).rejects.toThrow(/differs from the template in StreamSpecification/);
  });

  it('fails the start when the template has no table of that logical id', async () => {
    await expect(
      ensureTemplateTables(client, fresh(), [{ logicalId: 'Renamed', resource: template, created: true }]),
    ).rejects.toThrow(/the template has no table of that logical id/);
  });
});
