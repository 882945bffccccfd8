import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environments.ts';
import { ShopTable } from '../constructs/shop-table.ts';
import { acknowledgeCursorSecret } from './nag-suppressions.ts';

export interface DataStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * The stateful half of an environment: the table and the secrets. Kept apart from the API so
 * the API stack can be replaced freely while the data, with its removal policy, stays.
 */
export class DataStack extends Stack {
  readonly table: Table;
  /** HMAC key that makes pagination cursors tamper-evident. */
  readonly cursorSecret: Secret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.table = new ShopTable(this, 'Shop', config).table;
    this.cursorSecret = new Secret(this, 'CursorSigningKey', {
      description: `HMAC key for pagination cursors (${config.name})`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: config.removalPolicy,
    });
    acknowledgeCursorSecret(this.cursorSecret);
  }
}
