import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { TemplateResolver } from '../../../lib/local/cloudformation/template.ts';
import { ensureTemplateTables } from '../../../lib/local/dynamodb/table.ts';
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
