import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_NAMES, environmentConfig } from '../../lib/config/environments.ts';
import { SHOP_TABLE_LOGICAL_ID, shopTableResource } from '../../lib/constructs/table-definition.ts';
import { tableDifferences } from '../../lib/local/dynamodb/table.ts';
import { onlyResource, synthesizeShop } from './shop-app.ts';

// `npm start` creates the local table from lib/constructs/table-definition.ts while the app is
// still synthesizing, and checks it against the template afterwards: the definition must be
// exactly what the data stack synthesizes, in every environment.
describe('the table definition (CDK-free, read by the construct and by npm start)', () => {
  it.each(ENVIRONMENT_NAMES)('is the %s data stack’s table, property for property', (name) => {
    const [, table] = onlyResource(synthesizeShop(name).data, 'AWS::DynamoDB::Table');
    expect(table.Properties).toEqual(shopTableResource(environmentConfig(name)).Properties);
  });

  it.each(ENVIRONMENT_NAMES)('names the %s table’s logical id, which must never change', (name) => {
    // A new logical id makes CloudFormation replace the table, and its data, on the next deploy.
    const [logicalId] = onlyResource(synthesizeShop(name).data, 'AWS::DynamoDB::Table');
    expect(logicalId).toBe(SHOP_TABLE_LOGICAL_ID);
  });

  it('creates a table the local runtime finds no difference in', () => {
    const [, table] = onlyResource(synthesizeShop('local').data, 'AWS::DynamoDB::Table');
    expect(tableDifferences(table, shopTableResource(environmentConfig('local')))).toEqual([]);
  });
});
