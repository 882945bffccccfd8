import { describe, expect, it } from 'vitest';
import type { CfnResource } from '../../../lib/local/cloudformation/template.ts';
import { tableDifferences } from '../../../lib/local/dynamodb/table.ts';

const TABLE: CfnResource = {
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
};

const withProperties = (properties: Record<string, unknown>): CfnResource => ({
  ...TABLE,
  Properties: { ...TABLE.Properties, ...properties },
});

describe('tableDifferences (a table created ahead of the template, checked against it)', () => {
  it('finds none between equal definitions, whatever order their properties are listed in', () => {
    const reordered = Object.fromEntries(Object.entries(TABLE.Properties ?? {}).reverse());
    expect(tableDifferences(TABLE, { Type: TABLE.Type, Properties: reordered })).toEqual([]);
  });

  it('ignores what a local table does not have (point-in-time recovery, tags)', () => {
    const deployed = withProperties({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      Tags: [{ Key: 'project', Value: 'shop' }],
    });
    expect(tableDifferences(deployed, TABLE)).toEqual([]);
  });

  it('names an index, a key, the stream or the TTL attribute that differ', () => {
    const other = withProperties({
      GlobalSecondaryIndexes: [],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      StreamSpecification: { StreamViewType: 'KEYS_ONLY' },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    expect(tableDifferences(TABLE, other).sort()).toEqual(
      ['GlobalSecondaryIndexes', 'KeySchema', 'StreamSpecification', 'TimeToLiveSpecification'].sort(),
    );
  });
});
