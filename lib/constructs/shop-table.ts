import { Duration } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environments.ts';
import { SHOP_TABLE_INDEXES, SHOP_TABLE_KEYS, TTL_ATTRIBUTE } from './table-definition.ts';

/**
 * The single table: generic `pk`/`sk` keys plus two overloaded GSIs, on-demand billing,
 * TTL, and a NEW_AND_OLD_IMAGES stream for consumers, as table-definition.ts defines it (the
 * local runtime creates the table from that definition too). docs/access-patterns.md lists
 * what each index serves.
 */
export class ShopTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, config: EnvironmentConfig) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: SHOP_TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: SHOP_TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: config.pointInTimeRecovery },
      deletionProtection: config.deletionProtection,
      removalPolicy: config.removalPolicy,
    });
    for (const index of SHOP_TABLE_INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: index,
        partitionKey: { name: `${index}pk`, type: AttributeType.STRING },
        sortKey: { name: `${index}sk`, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
  }
}

/** How long DynamoDB may take to delete an item after its TTL passes (documented: up to a few days). */
export const TTL_DELETION_LAG = Duration.days(2);
