import { App } from 'aws-cdk-lib';
import { addShopStacks } from '../lib/app.ts';
import { environmentConfig } from '../lib/config/environments.ts';

// The CDK app: `npx cdk synth|deploy -c env=<local|dev|staging|prod>`.
const app = new App();
try {
  addShopStacks(app, environmentConfig(app.node.tryGetContext('env')));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
app.synth();
