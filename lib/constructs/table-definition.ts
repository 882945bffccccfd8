// The single table's shape, without CDK: the ShopTable construct (shop-table.ts) builds the
// table from it, and `npm start` creates the local table from it while the app is still
// synthesizing (bin/local.ts), then checks that table against the synthesized template, which
// stays the truth (lib/local/dynamodb/table.ts).
import type { CfnResource } from '../local/cloudformation/template.ts';

/** The name of the attribute DynamoDB's TTL reads (epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAtEpoch';

/**
 * The global secondary indexes, each keyed `<name>pk`/`<name>sk`. Function grants name these
 * indexes one by one, so a new index is added here and nowhere else.
 */
export const SHOP_TABLE_INDEXES = ['gsi1', 'gsi2'] as const;

/** The table's own keys (strings, like every index key). */
export const SHOP_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/**
 * The table's logical id in the data stack: CDK derives it from the construct path
 * (`Shop/Table`). It must never change, since CloudFormation would replace the table, data and
 * all, on the next deploy (test/infra checks it); `npm start` names the local table after it
 * before the synthesis exists.
 */
export const SHOP_TABLE_LOGICAL_ID = 'ShopTable9FD07E5E';

/** What an environment decides about the table (lib/config/environments.ts). */
export interface TableProtection {
  readonly deletionProtection: boolean;
  readonly pointInTimeRecovery: boolean;
}

const keySchema = (partitionKey: string, sortKey: string) => [
  { AttributeName: partitionKey, KeyType: 'HASH' },
  { AttributeName: sortKey, KeyType: 'RANGE' },
];

/**
 * The table as the data stack's template has it (`AWS::DynamoDB::Table`): generic string keys,
 * the indexes (projecting everything), on-demand billing, a NEW_AND_OLD_IMAGES stream, TTL,
 * and the environment's protections.
 */
export function shopTableResource(protection: TableProtection): CfnResource {
  const { partitionKey, sortKey } = SHOP_TABLE_KEYS;
  const keys = [
    partitionKey,
    sortKey,
    ...SHOP_TABLE_INDEXES.flatMap((index) => [`${index}pk`, `${index}sk`]),
  ];
  return {
    Type: 'AWS::DynamoDB::Table',
    Properties: {
      AttributeDefinitions: keys.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      BillingMode: 'PAY_PER_REQUEST',
      DeletionProtectionEnabled: protection.deletionProtection,
      GlobalSecondaryIndexes: SHOP_TABLE_INDEXES.map((index) => ({
        IndexName: index,
        KeySchema: keySchema(`${index}pk`, `${index}sk`),
        Projection: { ProjectionType: 'ALL' },
      })),
      KeySchema: keySchema(partitionKey, sortKey),
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: protection.pointInTimeRecovery },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    },
  };
}
